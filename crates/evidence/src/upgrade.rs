//! Sealing what an older build left in plaintext: originals at `evidence/sha256/ab/cd/<hex>`
//! and previews at `previews/ab/<hex>-256.jpg`. It runs when a store is opened (the CLI and
//! the desktop call [`seal_plaintext`] right after unlocking), so upgrading loses no evidence
//! and leaves no plaintext behind.
//!
//! An original is streamed into the sealed store (which hashes it), made durable there, and
//! only then is its plaintext removed. One that no longer hashes to its name is still sealed,
//! under the digest it really has (it is then an orphan `photo check` lists, and its record
//! shows as missing), and reported: nothing is thrown away. Previews are derived, so any
//! leftover that is not a preview (a half-written `.jpg.tmp`) is simply removed. Deleting a
//! file does not scrub the disk blocks it used; see the README.

use std::fs;
use std::path::Path;

use mingcha_core::evidence::Sha256Hex;
use mingcha_store::{DataDir, Store};
use serde::Serialize;

use crate::EvidenceError;
use crate::blobs::sync_dir;
use crate::import::{blob_store, preview_store};
use crate::preview::{SCREEN, THUMBNAIL};

/// What was sealed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Upgrade {
    /// Plaintext originals now sealed (and removed).
    pub originals: usize,
    /// Plaintext previews now sealed (and removed).
    pub previews: usize,
    /// Plaintext originals whose bytes did not hash to their file name: sealed under the digest
    /// they have, named here as `name → actual digest`.
    pub altered: Vec<String>,
}

impl Upgrade {
    pub fn is_empty(&self) -> bool {
        self.originals == 0 && self.previews == 0
    }
}

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .collect()
}

/// Seal every plaintext original and preview of the old layout into the sealed one.
pub fn seal_plaintext(store: &Store, data: &DataDir) -> Result<Upgrade, EvidenceError> {
    let mut done = Upgrade::default();
    let evidence = data.root().join("evidence");
    let legacy = evidence.join("sha256");
    if legacy.is_dir() {
        let blobs = blob_store(store, data);
        for path in files_under(&legacy) {
            let file = fs::File::open(&path).map_err(EvidenceError::io(format!("opening {}", path.display())))?;
            // `put_stream` returns once the sealed copy and its folders are fsynced.
            let put = blobs.put_stream(std::io::BufReader::new(file))?;
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if name != put.sha256.as_str() {
                done.altered.push(format!("{name} → {}", put.sha256.as_str()));
            }
            fs::remove_file(&path).map_err(EvidenceError::io(format!("removing {}", path.display())))?;
            done.originals += 1;
        }
        fs::remove_dir_all(&legacy).map_err(EvidenceError::io(format!("removing {}", legacy.display())))?;
        // Temporary files of the old layout were plaintext too.
        blobs.sweep_temporary();
        sync_dir(&evidence).map_err(EvidenceError::io(format!("flushing {}", evidence.display())))?;
    }

    let root = data.root().join("previews");
    let Ok(entries) = fs::read_dir(&root) else { return Ok(done) };
    let previews = preview_store(store, data);
    for entry in entries.filter_map(Result::ok) {
        let dir = entry.path();
        // The sealed layout's folder is `v1`; the old one had a folder per two hex digits.
        if entry.file_name() == "v1" || !dir.is_dir() {
            continue;
        }
        for path in files_under(&dir) {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if let Some((sha256, side)) = old_preview_name(&name) {
                let jpeg = fs::read(&path).map_err(EvidenceError::io(format!("reading {}", path.display())))?;
                previews.write_jpeg(&sha256, side, &jpeg)?;
                done.previews += 1;
            }
            fs::remove_file(&path).map_err(EvidenceError::io(format!("removing {}", path.display())))?;
        }
        fs::remove_dir_all(&dir).map_err(EvidenceError::io(format!("removing {}", dir.display())))?;
    }
    Ok(done)
}

/// `<64 hex>-256.jpg` → (digest, 256).
fn old_preview_name(name: &str) -> Option<(Sha256Hex, u32)> {
    let (hash, rest) = name.split_once('-')?;
    let side = match rest {
        "256.jpg" => THUMBNAIL,
        "1600.jpg" => SCREEN,
        _ => return None,
    };
    Some((Sha256Hex::parse(hash).ok()?, side))
}
