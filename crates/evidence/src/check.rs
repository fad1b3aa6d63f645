//! Checking the evidence store against the database: every recorded original present and still
//! hashing to its name, and any stored file nothing records (an orphan a crash left between
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
    /// Recorded, but the bytes no longer hash to the name: altered or damaged on disk.
    pub altered: Vec<Sha256Hex>,
    /// Stored files no record points at.
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
    let blobs = blob_store(data);
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
    let known: HashSet<&str> = recorded.iter().map(Sha256Hex::as_str).collect();
    report.orphans = blobs.digests().into_iter().filter(|d| !known.contains(d.as_str())).collect();
    report.orphans.sort();
    Ok(report)
}
