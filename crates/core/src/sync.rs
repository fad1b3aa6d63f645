//! Sync protocol types and the pure planning that decides what to send.
//!
//! Each device appends only to its own change series, so devices never conflict with each
//! other: a batch is simply "my changes after the last one the office acknowledged". The
//! transport (HTTP, signatures, receipts) comes with the server; what to send is decided here.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::change::{ChangeOp, ChangeRecord, EntityKind};
use crate::evidence::Sha256Hex;
use crate::id::DeviceId;

/// One evidence blob a batch refers to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobRef {
    pub sha256: Sha256Hex,
    pub size: u64,
}

/// What a device offers the office in one batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Chosen by the device; resending the same batch reuses it so the office can deduplicate.
    pub batch_id: Uuid,
    pub device_id: DeviceId,
    pub changes: Vec<ChangeRecord>,
    /// The distinct blobs that the batch's evidence records need, each once.
    pub blobs: Vec<BlobRef>,
}

/// The changes not yet acknowledged: everything after `acked_seq`, in order.
pub fn pending(log: &[ChangeRecord], acked_seq: u64) -> Vec<ChangeRecord> {
    let mut out: Vec<_> = log.iter().filter(|c| c.seq > acked_seq).cloned().collect();
    out.sort_by_key(|c| c.seq);
    out
}

/// The distinct blobs referenced by `changes`: evidence originals and disclosure copies, each
/// once by digest. A payload without a readable digest is skipped here; the server refuses
/// such a record on commit.
pub fn blobs_of(changes: &[ChangeRecord]) -> Vec<BlobRef> {
    let mut blobs = BTreeMap::new();
    let carries_blob = |c: &&ChangeRecord| {
        matches!(c.entity, EntityKind::Evidence | EntityKind::DisclosureCopy) && c.op == ChangeOp::Create
    };
    for c in changes.iter().filter(carries_blob) {
        let digest = c.payload.get("sha256").and_then(|v| v.as_str()).and_then(|s| Sha256Hex::parse(s).ok());
        let size = c.payload.get("size").and_then(serde_json::Value::as_u64);
        if let (Some(sha256), Some(size)) = (digest, size) {
            blobs.entry(sha256.clone()).or_insert(BlobRef { sha256, size });
        }
    }
    blobs.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::ChangeId;
    use chrono::DateTime;
    use serde_json::json;

    fn change(seq: u64, entity: EntityKind, payload: serde_json::Value) -> ChangeRecord {
        ChangeRecord {
            id: ChangeId::from_uuid(Uuid::from_u128(u128::from(seq))),
            seq,
            device_id: DeviceId::from_uuid(Uuid::nil()),
            entity,
            entity_id: format!("e{seq}"),
            op: ChangeOp::Create,
            payload,
            at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn pending_is_everything_after_the_acknowledged_seq_in_order() {
        let log = vec![
            change(3, EntityKind::Finding, json!({})),
            change(1, EntityKind::Unit, json!({})),
            change(2, EntityKind::Visit, json!({})),
        ];
        assert_eq!(pending(&log, 1).iter().map(|c| c.seq).collect::<Vec<_>>(), [2, 3]);
        assert!(pending(&log, 3).is_empty());
    }

    #[test]
    fn the_same_photo_attached_twice_is_one_blob_and_copies_travel_too() {
        let h = "a".repeat(64);
        let log = vec![
            change(1, EntityKind::Evidence, json!({"sha256": h, "size": 10})),
            change(2, EntityKind::Evidence, json!({"sha256": h, "size": 10})),
            change(3, EntityKind::Finding, json!({"sha256": "b".repeat(64), "size": 1})),
            change(4, EntityKind::DisclosureCopy, json!({"sha256": "c".repeat(64), "size": 7})),
        ];
        let blobs = blobs_of(&log);
        assert_eq!(
            blobs.iter().map(|b| b.size).collect::<Vec<_>>(),
            [10, 7],
            "photos and disclosure copies, once each"
        );
    }
}
