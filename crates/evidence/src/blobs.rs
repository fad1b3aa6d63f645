//! Content-addressed, write-once storage of original evidence bytes.
//!
//! An original lives at `evidence/sha256/ab/cd/<64 hex>`, named by the SHA-256 of its bytes.
//! It is written to `evidence/tmp/`, fsynced, renamed into place and its folder fsynced, so a
//! file at its final name is always whole: a crash leaves either nothing there or the complete
//! file. The same bytes imported twice are stored once. A stored original is never rewritten;
//! the one exception is a file whose size does not match its name, which cannot be the
//! original and is replaced by the bytes that are.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use mingcha_core::evidence::Sha256Hex;
use mingcha_core::hex;
use sha2::{Digest, Sha256};

use crate::EvidenceError;

/// Where the originals are.
#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

/// The result of storing bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Put {
    pub sha256: Sha256Hex,
    pub size: u64,
    /// False when the same bytes were already stored (and were reused as they are).
    pub written: bool,
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

impl BlobStore {
    /// The blob store of a data directory.
    pub fn new(evidence_root: impl Into<PathBuf>) -> Self {
        Self { root: evidence_root.into() }
    }

    /// The final path of an original.
    pub fn path(&self, sha256: &Sha256Hex) -> PathBuf {
        let h = sha256.as_str();
        self.root.join("sha256").join(&h[0..2]).join(&h[2..4]).join(h)
    }

    fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// Store everything `reader` yields, hashing as it is copied (for files too big to hold in
    /// memory: a 500 MB video goes through a 1 MiB buffer).
    pub fn put_stream(&self, mut reader: impl Read) -> Result<Put, EvidenceError> {
        let tmp_dir = self.tmp_dir();
        fs::create_dir_all(&tmp_dir).map_err(EvidenceError::io(format!("creating {}", tmp_dir.display())))?;
        let mut tmp =
            tempfile::NamedTempFile::new_in(&tmp_dir).map_err(EvidenceError::io("creating a temporary file"))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut size = 0u64;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(EvidenceError::Io { context: "reading the file".into(), source: e }),
            };
            hasher.update(&buf[..n]);
            tmp.write_all(&buf[..n]).map_err(EvidenceError::io("writing the evidence store"))?;
            size += n as u64;
        }
        let sha256 =
            Sha256Hex::parse(&hex::encode(&hasher.finalize())).map_err(|e| EvidenceError::Image(e.to_string()))?;
        self.commit(tmp, sha256, size)
    }

    /// Store bytes already in memory.
    pub fn put_bytes(&self, bytes: &[u8]) -> Result<Put, EvidenceError> {
        self.put_stream(bytes)
    }

    fn commit(&self, tmp: tempfile::NamedTempFile, sha256: Sha256Hex, size: u64) -> Result<Put, EvidenceError> {
        let path = self.path(&sha256);
        if fs::metadata(&path).is_ok_and(|m| m.len() == size) {
            // Already stored: keep the original exactly as it is.
            return Ok(Put { sha256, size, written: false });
        }
        tmp.as_file().sync_all().map_err(EvidenceError::io("flushing the evidence file"))?;
        let dir = path.parent().expect("blob paths have a parent").to_owned();
        fs::create_dir_all(&dir).map_err(EvidenceError::io(format!("creating {}", dir.display())))?;
        tmp.persist(&path)
            .map_err(|e| EvidenceError::Io { context: format!("storing {}", path.display()), source: e.error })?;
        // The rename is durable only once the folders that name it are.
        for d in [dir.as_path(), dir.parent().unwrap_or(&dir), &self.root.join("sha256")] {
            sync_dir(d).map_err(EvidenceError::io(format!("flushing {}", d.display())))?;
        }
        Ok(Put { sha256, size, written: true })
    }

    /// Open an original for reading.
    pub fn open(&self, sha256: &Sha256Hex) -> Result<File, EvidenceError> {
        let path = self.path(sha256);
        File::open(&path).map_err(EvidenceError::io(format!("opening {}", path.display())))
    }

    /// Whether the stored original still hashes to its name.
    pub fn verify(&self, sha256: &Sha256Hex) -> Result<bool, EvidenceError> {
        let mut f = self.open(sha256)?;
        let mut hasher = Sha256::new();
        io::copy(&mut f, &mut hasher).map_err(EvidenceError::io("reading an original"))?;
        Ok(hex::encode(&hasher.finalize()) == sha256.as_str())
    }

    /// Remove temporary files left by an import that was killed mid-write. They were never
    /// renamed into place, so nothing refers to them.
    pub fn sweep_temporary(&self) -> usize {
        let Ok(entries) = fs::read_dir(self.tmp_dir()) else { return 0 };
        entries.filter_map(Result::ok).filter(|e| fs::remove_file(e.path()).is_ok()).count()
    }

    /// Every stored original's digest (for orphan checks and audits).
    pub fn digests(&self) -> Vec<String> {
        walkdir::WalkDir::new(self.root.join("sha256"))
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .filter_map(|e| e.file_name().to_str().map(str::to_owned))
            .collect()
    }
}

/// Sync sends originals straight from the write-once store, from the start or, for a resumed
/// upload, part way in.
impl mingcha_store::sync::BlobSource for BlobStore {
    fn open(&self, sha256: &Sha256Hex) -> io::Result<Box<dyn mingcha_store::sync::BlobRead>> {
        let path = self.path(sha256);
        let file = File::open(&path).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        Ok(Box::new(file))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_bytes_are_stored_once_under_their_digest() {
        let tmp = tempfile::tempdir().unwrap();
        let store = BlobStore::new(tmp.path().join("evidence"));
        let a = store.put_bytes(b"photo bytes").unwrap();
        let b = store.put_stream(&b"photo bytes"[..]).unwrap();
        assert!(a.written && !b.written);
        assert_eq!(a.sha256, b.sha256);
        assert_eq!(fs::read(store.path(&a.sha256)).unwrap(), b"photo bytes");
        assert!(store.verify(&a.sha256).unwrap());
        assert_eq!(store.digests(), [a.sha256.as_str()]);
        assert_eq!(fs::read_dir(tmp.path().join("evidence/tmp")).unwrap().count(), 0, "no temporary file is left");
    }

    #[test]
    fn a_damaged_file_under_a_digest_is_replaced_by_the_real_bytes() {
        let tmp = tempfile::tempdir().unwrap();
        let store = BlobStore::new(tmp.path().join("evidence"));
        let put = store.put_bytes(b"the original").unwrap();
        fs::write(store.path(&put.sha256), b"the orig").unwrap();
        assert!(!store.verify(&put.sha256).unwrap());
        assert!(store.put_bytes(b"the original").unwrap().written);
        assert!(store.verify(&put.sha256).unwrap());
    }

    #[test]
    fn leftovers_of_a_killed_write_are_swept() {
        let tmp = tempfile::tempdir().unwrap();
        let store = BlobStore::new(tmp.path().join("evidence"));
        fs::create_dir_all(tmp.path().join("evidence/tmp")).unwrap();
        fs::write(tmp.path().join("evidence/tmp/.tmpXYZ"), b"half a photo").unwrap();
        assert_eq!(store.sweep_temporary(), 1);
    }
}
