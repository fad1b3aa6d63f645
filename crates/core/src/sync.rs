//! The sync protocol: what a device and the office say to each other at the end of the day.
//!
//! Each device appends only to its own change series, so devices never conflict with each
//! other: a batch is simply "my changes after the last one the office acknowledged". This
//! module holds the wire types and the exact bytes that get signed; the HTTP server lives in
//! `mingcha-server`, the client in `mingcha-store`. `docs/sync-protocol.md` walks through an
//! exchange. Nothing here signs or verifies (no key material in the pure core): it builds the
//! messages, and the callers hold the keys.
//!
//! The five steps:
//! 1. `POST /api/v1/batches` with a [`SignedManifest`] → [`BatchState`]: which blobs are missing.
//! 2. `PUT /api/v1/blobs/{sha256}?offset=N` for each missing blob, in chunks of at most
//!    [`CHUNK_MAX`] bytes → [`UploadState`]. `GET /api/v1/blobs/{sha256}/upload` says how much
//!    of an interrupted upload the office holds, so it resumes rather than restarts.
//! 3. `POST /api/v1/batches/{batch_id}/commit` → [`SignedReceipt`], one outcome per change.
//! 4. The device stores the receipt, and only then counts those changes as synced.
//! 5. `GET /api/v1/pull?since=CURSOR` → [`Pull`]: office events for this device's inspector.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::change::{ChangeOp, ChangeRecord, EntityKind};
use crate::custody::{self, Hash, LogEntry, LogPosition};
use crate::evidence::Sha256Hex;
use crate::id::{DeviceId, InspectorId};

/// The largest request body for a blob chunk, and the size above which a blob goes up in
/// several chunks: 16 MiB.
pub const CHUNK_MAX: u64 = 16 * 1024 * 1024;
/// The largest JSON request body the office accepts (a manifest): 16 MiB. The client splits a
/// day into batches of at most [`BATCH_MAX_CHANGES`] changes, which stays far below it.
pub const JSON_BODY_MAX: usize = 16 * 1024 * 1024;
/// The most changes one batch carries.
pub const BATCH_MAX_CHANGES: usize = 2000;
/// How far a request's clock may be from the office's, in seconds, before it is refused as
/// stale. Laptops in the field drift; five minutes is generous and still bounds replays.
pub const REQUEST_WINDOW_SECS: i64 = 300;

/// The request headers that authenticate a device (after enrollment, every request).
pub mod header {
    pub const DEVICE: &str = "x-mingcha-device";
    /// Unix seconds when the request was signed.
    pub const TIME: &str = "x-mingcha-time";
    /// 32 random hex characters, never reused within [`super::REQUEST_WINDOW_SECS`].
    pub const NONCE: &str = "x-mingcha-nonce";
    /// SHA-256 (hex) of the request body; the empty body's digest for GET.
    pub const BODY_SHA256: &str = "x-mingcha-body-sha256";
    /// ed25519 signature (hex) over [`super::request_message`].
    pub const SIGNATURE: &str = "x-mingcha-signature";
}

/// The bytes a device signs for one request. The body is covered through its digest, which
/// the office checks against the bytes it actually received.
pub fn request_message(method: &str, path_and_query: &str, time: i64, nonce: &str, body_sha256: &str) -> Vec<u8> {
    format!("mingcha-request-v1\n{method}\n{path_and_query}\n{time}\n{nonce}\n{body_sha256}").into_bytes()
}

/// One evidence blob a batch refers to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobRef {
    pub sha256: Sha256Hex,
    pub size: u64,
}

/// What a device offers the office in one batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Chosen by the device and kept until the receipt is stored: resending the same batch
    /// reuses it, so the office can deduplicate.
    pub batch_id: Uuid,
    pub device_id: DeviceId,
    /// The device's acknowledged position when it built the batch; `changes` continue from
    /// `after_seq + 1` without gaps.
    pub after_seq: u64,
    pub changes: Vec<ChangeRecord>,
    /// The distinct blobs that the batch's evidence records need, each once.
    pub blobs: Vec<BlobRef>,
    /// The device's chain state after `after_seq` (see [`crate::custody`]): the office accepts
    /// the batch only if this is the state it last accepted from the device.
    pub chain_before: Hash,
    /// The chain state after the batch's last change: `chain_before` linked through `changes`.
    pub chain_head: Hash,
}

impl Manifest {
    /// Build the batch for `changes` (already pending and in order).
    pub fn new(
        batch_id: Uuid,
        device_id: DeviceId,
        after_seq: u64,
        chain_before: Hash,
        changes: Vec<ChangeRecord>,
    ) -> Self {
        let blobs = blobs_of(&changes);
        let chain_head = custody::fold(chain_before, &changes);
        Self { batch_id, device_id, after_seq, changes, blobs, chain_before, chain_head }
    }

    /// The entry the office's log keeps for this batch once it is committed.
    pub fn log_entry(&self, manifest_sha256: &str, committed_at: DateTime<Utc>) -> LogEntry {
        LogEntry {
            device_id: self.device_id,
            batch_id: self.batch_id,
            after_seq: self.after_seq,
            last_seq: self.last_seq(),
            chain_before: self.chain_before,
            chain_head: self.chain_head,
            manifest_sha256: manifest_sha256.to_owned(),
            committed_at,
        }
    }

    /// The last seq the batch carries (`after_seq` for an empty batch).
    pub fn last_seq(&self) -> u64 {
        self.changes.last().map_or(self.after_seq, |c| c.seq)
    }

    /// The canonical bytes of the manifest: what is signed, hashed and stored. `serde_json`
    /// writes struct fields in declaration order and JSON objects (payloads) with sorted keys,
    /// so a manifest parsed and written again gives the same bytes.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The message the device signs: a domain tag and the canonical bytes.
    pub fn signing_message(&self) -> Vec<u8> {
        [b"mingcha-manifest-v1\n".as_slice(), &self.canonical_bytes()].concat()
    }

    /// Check what the office can check without its database: every change is this device's,
    /// seqs continue from `after_seq + 1` without gaps, the size is within bounds, and `blobs`
    /// is exactly what the evidence records need.
    pub fn check(&self) -> Result<(), ManifestError> {
        if self.changes.len() > BATCH_MAX_CHANGES {
            return Err(ManifestError::TooLarge { changes: self.changes.len() });
        }
        for (i, c) in self.changes.iter().enumerate() {
            if c.device_id != self.device_id {
                return Err(ManifestError::ForeignChange { seq: c.seq });
            }
            // Checked: an `after_seq` near u64::MAX once overflowed here (a panic in a debug
            // build, a seq that wrapped to 0 in a release build); found by the fuzz target.
            let Some(expected) = self.after_seq.checked_add(1 + i as u64) else {
                return Err(ManifestError::SeqOutOfRange { after_seq: self.after_seq });
            };
            if c.seq != expected {
                return Err(ManifestError::Gap { expected, found: c.seq });
            }
            if matches!(c.entity, EntityKind::Evidence | EntityKind::DisclosureCopy)
                && c.op == ChangeOp::Create
                && blob_of(c).is_none()
            {
                return Err(ManifestError::NoDigest { seq: c.seq });
            }
        }
        if self.blobs != blobs_of(&self.changes) {
            return Err(ManifestError::BlobsDisagree);
        }
        if custody::fold(self.chain_before, &self.changes) != self.chain_head {
            return Err(ManifestError::ChainBroken);
        }
        Ok(())
    }
}

/// Why a manifest is refused before anything is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("a batch carries at most {max} changes; this one has {changes}", max = BATCH_MAX_CHANGES)]
    TooLarge { changes: usize },
    #[error("change {seq} belongs to another device")]
    ForeignChange { seq: u64 },
    #[error("changes must continue without gaps: expected seq {expected}, found {found}")]
    Gap { expected: u64, found: u64 },
    #[error("a batch after seq {after_seq} cannot number its changes: seqs end at 2^64 - 1")]
    SeqOutOfRange { after_seq: u64 },
    #[error("evidence change {seq} names no valid sha256 and size")]
    NoDigest { seq: u64 },
    #[error("the blob list does not match the evidence the changes record")]
    BlobsDisagree,
    #[error("the chain head does not follow from the chain state before and the changes")]
    ChainBroken,
}

impl ManifestError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "batch_too_large",
            Self::ForeignChange { .. } => "foreign_change",
            Self::Gap { .. } => "sequence_gap",
            Self::SeqOutOfRange { .. } => "seq_out_of_range",
            Self::NoDigest { .. } => "missing_digest",
            Self::BlobsDisagree => "blobs_disagree",
            Self::ChainBroken => "chain_broken",
        }
    }
}

/// A manifest with the device's ed25519 signature (hex) over [`Manifest::signing_message`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedManifest {
    pub manifest: Manifest,
    pub signature: String,
}

/// Where a batch stands at the office.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BatchStage {
    /// Received; waiting for its missing blobs and the commit.
    Open,
    /// Committed: its records are in the office's store and the receipt is final.
    Committed,
}

/// The office's answer to a manifest (step 1), and to a resend of the same batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchState {
    pub batch_id: Uuid,
    pub stage: BatchStage,
    /// The blobs the office does not hold yet: upload exactly these.
    pub missing: Vec<BlobRef>,
    /// For a committed batch, its receipt again (the device may have lost the first answer).
    pub receipt: Option<SignedReceipt>,
}

/// The office's answer to a blob chunk, and to "how much do you have".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadState {
    pub sha256: Sha256Hex,
    /// Bytes held so far; equals `size` once stored.
    pub received: u64,
    pub size: u64,
    /// True once the whole blob was verified against its sha256 and made visible.
    pub stored: bool,
}

/// What the commit did with one change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemOutcome {
    /// Newly stored by this commit.
    Stored,
    /// The office held it already (a replay or an overlapping batch): nothing changed.
    AlreadyThere,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptItem {
    pub seq: u64,
    pub change_id: crate::id::ChangeId,
    pub outcome: ItemOutcome,
}

/// The office's receipt for a committed batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    pub batch_id: Uuid,
    pub device_id: DeviceId,
    /// SHA-256 (hex) of the manifest's canonical bytes: which content this receipt is for.
    pub manifest_sha256: String,
    pub items: Vec<ReceiptItem>,
    /// Every blob of the batch, held by the office.
    pub blobs: Vec<Sha256Hex>,
    /// The device's acknowledged position after this commit.
    pub acked_seq: u64,
    pub committed_at: DateTime<Utc>,
    /// The device's chain state the office now holds (the manifest's `chain_head`).
    pub chain_head: Hash,
    /// Where the batch's [`LogEntry`] sits in the office's log, with its inclusion proof.
    pub log: LogPosition,
}

impl Receipt {
    pub fn canonical_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
    pub fn signing_message(&self) -> Vec<u8> {
        [b"mingcha-receipt-v1\n".as_slice(), &self.canonical_bytes()].concat()
    }
}

/// A receipt with the office's ed25519 signature (hex) over [`Receipt::signing_message`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedReceipt {
    pub receipt: Receipt,
    pub signature: String,
}

/// Enrollment (no device signature yet: the one-time token is the credential).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollRequest {
    pub token: String,
    pub device_id: DeviceId,
    pub device_name: String,
    /// The device's ed25519 public key, hex.
    pub public_key: String,
    /// The inspector's name on the device, checked against the token's inspector.
    pub inspector_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollResponse {
    pub device_id: DeviceId,
    pub inspector_id: InspectorId,
    pub inspector_name: String,
    /// The office's ed25519 public key (hex): receipts are checked against it.
    pub server_key: String,
    /// What the office already holds from this device (0 for a new one).
    pub acked_seq: u64,
}

/// What the office sends down (step 5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pull {
    /// Pass this as `since` next time.
    pub cursor: u64,
    pub events: Vec<OfficeEvent>,
    /// True when more events wait: pull again with the new cursor.
    pub more: bool,
}

/// One thing the office decided or published, in the order it happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfficeEvent {
    pub seq: u64,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub body: OfficeEventBody,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OfficeEventBody {
    /// 退回: the office sent a finding back to the inspector with a comment.
    FindingReturned { finding_id: crate::id::FindingId, comment: String, by: String },
    /// 已采纳: the office accepted a finding into the ledger.
    FindingAccepted { finding_id: crate::id::FindingId, by: String },
    /// A checklist template published by the office (the JSON format of `assets/templates`).
    TemplatePublished { template: serde_json::Value },
    /// The problem taxonomy published by the office (the JSON format of `assets/taxonomy.json`).
    TaxonomyPublished { taxonomy: serde_json::Value },
    /// A plan assigned to this inspector.
    PlanAssigned { plan: PlanAssignment },
}

/// A plan the office assigns to inspectors (督查任务).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanAssignment {
    pub plan_id: crate::id::PlanId,
    pub title: String,
    /// `open` (明查) or `covert` (暗访).
    pub kind: crate::inspection::InspectionKind,
    pub starts_on: chrono::NaiveDate,
    pub ends_on: chrono::NaiveDate,
    /// The units to visit, by name.
    pub units: Vec<String>,
    /// Checklist template codes to use.
    pub templates: Vec<String>,
    pub team: Vec<String>,
}

/// Every error the office returns: a stable `code` to branch on and a plain message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: String,
    pub message: String,
    /// Extra facts for some codes (`missing` blobs, `received` bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<serde_json::Value>,
}

/// The changes not yet acknowledged: everything after `acked_seq`, in order.
pub fn pending(log: &[ChangeRecord], acked_seq: u64) -> Vec<ChangeRecord> {
    let mut out: Vec<_> = log.iter().filter(|c| c.seq > acked_seq).cloned().collect();
    out.sort_by_key(|c| c.seq);
    out
}

fn blob_of(c: &ChangeRecord) -> Option<BlobRef> {
    let sha256 = c.payload.get("sha256").and_then(|v| v.as_str()).and_then(|s| Sha256Hex::parse(s).ok())?;
    let size = c.payload.get("size").and_then(serde_json::Value::as_u64)?;
    Some(BlobRef { sha256, size })
}

/// The distinct blobs referenced by `changes`: evidence originals and disclosure copies, each
/// once by digest, in digest order. A payload without a readable digest is skipped here;
/// [`Manifest::check`] refuses it.
pub fn blobs_of(changes: &[ChangeRecord]) -> Vec<BlobRef> {
    let mut blobs = BTreeMap::new();
    let carries_blob = |c: &&ChangeRecord| {
        matches!(c.entity, EntityKind::Evidence | EntityKind::DisclosureCopy) && c.op == ChangeOp::Create
    };
    for b in changes.iter().filter(carries_blob).filter_map(blob_of) {
        blobs.entry(b.sha256.clone()).or_insert(b);
    }
    blobs.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::custody::Hash;
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
    fn canonical_bytes_survive_a_trip_through_json_to_the_last_digit() {
        // The fuzz finding: without correctly rounded float parsing this longitude came back
        // as …864, so the office's canonical bytes (and the signature over them) differed.
        let text = r#"{"lat":30.274116666666668,"lon":120.15508333919862,"alt":-3.5}"#;
        let gps: serde_json::Value = serde_json::from_str(text).expect("valid JSON");
        let sent = Manifest::new(
            Uuid::nil(),
            DeviceId::from_uuid(Uuid::nil()),
            0,
            Hash::GENESIS,
            vec![change(1, EntityKind::Evidence, serde_json::json!({ "meta": { "gps": gps } }))],
        );
        let received: Manifest = serde_json::from_slice(&sent.canonical_bytes()).expect("parses back");
        assert_eq!(received, sent);
        assert_eq!(received.canonical_bytes(), sent.canonical_bytes());
    }

    #[test]
    fn seqs_past_the_largest_are_refused_not_wrapped() {
        let mut m = Manifest::new(
            Uuid::nil(),
            DeviceId::from_uuid(Uuid::nil()),
            u64::MAX,
            Hash::GENESIS,
            vec![change(0, EntityKind::Finding, serde_json::json!({}))],
        );
        assert_eq!(m.check().map_err(|e| e.code()), Err("seq_out_of_range"));
        m.after_seq = u64::MAX - 1;
        m.changes[0].seq = u64::MAX;
        m.chain_head = custody::fold(m.chain_before, &m.changes);
        assert_eq!(m.check(), Ok(()));
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

    fn manifest(changes: Vec<ChangeRecord>) -> Manifest {
        Manifest::new(Uuid::from_u128(7), DeviceId::from_uuid(Uuid::nil()), 0, Hash::GENESIS, changes)
    }

    #[test]
    fn a_manifest_read_back_signs_the_same_bytes() {
        let h = "d".repeat(64);
        let m = manifest(vec![
            change(1, EntityKind::Finding, json!({"z": 1, "a": {"y": [1.5, "脱岗"], "b": null}})),
            change(2, EntityKind::Evidence, json!({"sha256": h, "size": 3, "meta": {"gps": 31.2}})),
        ]);
        let bytes = m.canonical_bytes();
        let back: Manifest = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back.canonical_bytes(), bytes);
        assert_eq!(back.signing_message(), m.signing_message());
        assert!(m.check().is_ok());
        assert_eq!(m.last_seq(), 2);
    }

    #[test]
    fn a_gap_a_foreign_change_or_a_wrong_blob_list_is_refused() {
        let gap = manifest(vec![change(1, EntityKind::Unit, json!({})), change(3, EntityKind::Unit, json!({}))]);
        assert_eq!(gap.check(), Err(ManifestError::Gap { expected: 2, found: 3 }));

        let mut foreign = manifest(vec![change(1, EntityKind::Unit, json!({}))]);
        foreign.changes[0].device_id = DeviceId::from_uuid(Uuid::from_u128(9));
        assert_eq!(foreign.check().map_err(|e| e.code()), Err("foreign_change"));

        let mut hidden = manifest(vec![change(1, EntityKind::Evidence, json!({"sha256": "e".repeat(64), "size": 1}))]);
        hidden.blobs.clear();
        assert_eq!(hidden.check(), Err(ManifestError::BlobsDisagree));

        let no_digest = manifest(vec![change(1, EntityKind::Evidence, json!({"size": 1}))]);
        assert_eq!(no_digest.check(), Err(ManifestError::NoDigest { seq: 1 }));

        // A change altered after the device linked it no longer reaches the signed head.
        let mut altered = manifest(vec![change(1, EntityKind::Unit, json!({"name": "城南区政务服务中心"}))]);
        altered.changes[0].payload = json!({"name": "城北区政务服务中心"});
        assert_eq!(altered.check().map_err(|e| e.code()), Err("chain_broken"));
    }

    #[test]
    fn office_events_are_tagged_by_kind() {
        let e = OfficeEvent {
            seq: 4,
            at: DateTime::UNIX_EPOCH,
            body: OfficeEventBody::FindingReturned {
                finding_id: crate::id::FindingId::from_uuid(Uuid::from_u128(1)),
                comment: "照片不清晰".into(),
                by: "王审核".into(),
            },
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["kind"], "finding_returned");
        assert_eq!(serde_json::from_value::<OfficeEvent>(v).unwrap(), e);
    }
}
