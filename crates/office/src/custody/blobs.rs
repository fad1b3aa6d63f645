//! The checks of the blobs: the bytes the store holds hash to their name and have their
//! recorded size, and every blob an evidence record names is held.

use std::collections::{BTreeSet, HashMap};

use super::held::HeldChange;
use super::scope::blob_named;
use super::{BlobDigests, Checks, Holdings, Subject, short};

/// The blob checks of the subjects `wanted` (all when `None`).
pub(super) fn blobs(h: &Holdings, hashed: &BlobDigests, wanted: Option<&BTreeSet<Subject>>, c: &mut Checks) {
    // Blobs: bytes hash to their name, and evidence records name them.
    let mut named: HashMap<String, Vec<&HeldChange>> = HashMap::new();
    for row in &h.changes {
        if let Some(sha) = blob_named(row) {
            named.entry(sha).or_default().push(row);
        }
    }
    let held_blobs: BTreeSet<&str> = h.blobs.iter().map(|(s, _)| s.as_str()).collect();
    for (sha, size) in &h.blobs {
        let about = vec![Subject::Blob(sha.clone())];
        if let Some(w) = wanted
            && !w.contains(&about[0])
        {
            continue;
        }
        let name = format!("blob {}", short(sha));
        // Hashed by the caller as it streamed the bytes; not asked for or not held: missing.
        let held = hashed.get(sha).cloned().flatten();
        let (ok, msg) = match held {
            None => (false, format!("{name}: the file is missing from the blob store")),
            Some((digest, _)) if digest != *sha => {
                (false, format!("{name}: its bytes do NOT hash to its name (the file was altered)"))
            }
            Some((_, len)) if i64::try_from(len).ok() != Some(*size) => {
                (false, format!("{name}: its size is not the recorded {size} bytes"))
            }
            Some(_) => (true, format!("{name}: its {size} bytes hash to its name")),
        };
        c.push(ok, "blob", about.clone(), msg);
        if let Some(rows) = named.get(sha) {
            let mut about = about;
            about.extend(rows.iter().map(|r| Subject::Change(r.id.clone())));
            let records: Vec<String> = rows.iter().map(|r| format!("{} {}", r.entity, short(&r.entity_id))).collect();
            c.push(true, "record", about, format!("{name}: named by {}", records.join(", ")));
        }
    }
    for (sha, rows) in &named {
        if !held_blobs.contains(sha.as_str()) {
            let about: Vec<Subject> = std::iter::once(Subject::Blob(sha.clone()))
                .chain(rows.iter().map(|r| Subject::Change(r.id.clone())))
                .collect();
            c.push(false, "record", about, format!("blob {}: named by an evidence record but not held", short(sha)));
        }
    }
}
