//! Checking the evidence store against the database: every recorded original present and still
//! decrypting whole and hashing to its digest, and any stored file nothing records (an orphan a crash left between
//! storing and recording; the next import of the same file reuses it).

use std::collections::HashSet;

use mingcha_core::evidence::Sha256Hex;
use mingcha_store::{DataDir, Store};
use serde::Serialize;

use crate::EvidenceError;
use crate::import::blob_store;

/// What a check found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CheckReport {
    /// Originals recorded and read back whole.
    pub intact: usize,
    /// Recorded, but the file is gone.
    pub missing: Vec<Sha256Hex>,
    /// Recorded, but the file no longer decrypts, or not to bytes with its digest: altered,
    /// truncated, damaged on disk, or another file put under its name.
    pub altered: Vec<Sha256Hex>,
    /// Stored files no record points at, by their file names (which do not reveal digests).
    pub orphans: Vec<String>,
}

impl CheckReport {
    /// Whether every recorded original is present and unchanged (orphans do not count).
    pub fn holds(&self) -> bool {
        self.missing.is_empty() && self.altered.is_empty()
    }
}

/// Read every recorded original back and compare it with its digest.
pub fn check(store: &Store, data: &DataDir) -> Result<CheckReport, EvidenceError> {
    let blobs = blob_store(store, data);
    let recorded = store.blob_digests()?;
    let mut report = CheckReport::default();
    for sha in &recorded {
        if !blobs.path(sha).exists() {
            report.missing.push(sha.clone());
        } else if blobs.verify(sha)? {
            report.intact += 1;
        } else {
            report.altered.push(sha.clone());
        }
    }
    // Names are HMACs of digests: an orphan is a name no recorded digest gives.
    let known: HashSet<String> = recorded.iter().map(|sha| blobs.name(sha)).collect();
    report.orphans = blobs.stored_names().into_iter().filter(|n| !known.contains(n)).collect();
    report.orphans.sort();
    Ok(report)
}
