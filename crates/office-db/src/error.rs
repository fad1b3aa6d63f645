//! The office store's one error type. A refusal (enrollment, the exchange, a blob) has a stable
//! `code` ([`RepoError::code`]) and, where a device needs it, a JSON `detail`; the server adds
//! the HTTP status. A failure of the database or the disk says what failed, for the office's
//! log.

use chrono::{DateTime, Utc};
use mingcha_core::change::EntityKind;
use mingcha_core::custody::Hash;
use mingcha_core::sync::BlobRef;
use serde_json::json;

pub type Result<T, E = RepoError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0} was changed by someone else meanwhile; reload and try again")]
    Conflict(String),

    #[error("the enrollment token is unknown, spent or expired")]
    BadToken,
    #[error("this device id or public key is already enrolled")]
    AlreadyEnrolled,
    #[error("the token was made for inspector {expected}, not {given}")]
    InspectorMismatch { expected: String, given: String },
    #[error("an inspector named {0} already exists")]
    InspectorExists(String),

    #[error("no device with this id is enrolled")]
    UnknownDevice,
    #[error("this device was revoked by the office")]
    DeviceRevoked,
    #[error(
        "the batch starts after seq {after_seq}, but the office holds this device's changes only up to {acked_seq}"
    )]
    SequenceGap { after_seq: u64, acked_seq: u64 },
    #[error("seq {seq} of this device is already stored with another change id")]
    Fork { seq: u64 },
    #[error(
        "the batch does not continue this device's chain as the office holds it: at seq {seq} the office holds {}, \
         the batch offers {}", .expected.short(), .offered.short()
    )]
    ChainFork { seq: u64, expected: Hash, offered: Hash },
    #[error("the office already holds every change of this batch (up to seq {acked_seq}); nothing new to store")]
    ChainReplay { acked_seq: u64, chain_head: Option<Hash> },
    #[error("a batch with this id and other content was already received")]
    BatchConflict,
    #[error("the office holds {received} bytes of this blob; send from there")]
    OffsetMismatch { received: u64 },
    #[error("the chunk runs past the blob's size of {size} bytes")]
    BeyondSize { size: u64 },
    #[error("the uploaded bytes do not hash to the blob's name; the upload was discarded")]
    DigestMismatch,
    #[error("{} blob(s) of this batch are not uploaded yet", .0.len())]
    MissingBlobs(Vec<BlobRef>),
    #[error("a file of {size} bytes is over the office's limit of {max} bytes a file")]
    BlobTooLarge { size: u64, max: u64 },
    #[error(
        "change {seq} writes to {entity} {id}, a record another laptop made; a laptop changes only its own records, \
         so nothing of this batch was stored"
    )]
    ForeignRecord { entity: EntityKind, id: String, seq: u64 },
    #[error(
        "change {seq} ({entity} {id}) is dated {at}, outside what the office takes from this laptop ({earliest} to \
         {latest}); nothing of this batch was stored"
    )]
    ChangeTimeOutOfRange {
        entity: EntityKind,
        id: String,
        seq: u64,
        at: DateTime<Utc>,
        earliest: DateTime<Utc>,
        latest: DateTime<Utc>,
    },
    #[error("change {seq} ({entity} {id}) cannot be read: {reason}; nothing of this batch was stored")]
    UnreadableRecord { entity: EntityKind, id: String, seq: u64, reason: String },

    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    #[error("PostgreSQL pool: {0}")]
    Pool(String),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Internal(String),
}

impl RepoError {
    /// The stable code a device or a script branches on; `internal` for the store's own
    /// failures.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::NotFound(_) => "not_found",
            Self::Invalid(_) => "invalid_input",
            Self::Conflict(_) => "conflict",
            Self::BadToken => "bad_token",
            Self::AlreadyEnrolled => "already_enrolled",
            Self::InspectorMismatch { .. } => "inspector_mismatch",
            Self::InspectorExists(_) => "inspector_exists",
            Self::UnknownDevice => "unknown_device",
            Self::DeviceRevoked => "device_revoked",
            Self::SequenceGap { .. } => "sequence_gap",
            Self::Fork { .. } => "fork",
            Self::ChainFork { .. } => "chain_fork",
            Self::ChainReplay { .. } => "chain_replay",
            Self::BatchConflict => "batch_conflict",
            Self::OffsetMismatch { .. } => "offset_mismatch",
            Self::BeyondSize { .. } => "beyond_size",
            Self::DigestMismatch => "digest_mismatch",
            Self::MissingBlobs(_) => "missing_blobs",
            Self::BlobTooLarge { .. } => "blob_too_large",
            Self::ForeignRecord { .. } => "foreign_record",
            Self::ChangeTimeOutOfRange { .. } => "change_time_out_of_range",
            Self::UnreadableRecord { .. } => "unreadable_record",
            Self::Sqlite(_) | Self::Postgres(_) | Self::Pool(_) | Self::Io(_) | Self::Internal(_) => "internal",
        }
    }

    /// What a device needs beyond the message to act on a refusal.
    pub fn detail(&self) -> Option<serde_json::Value> {
        match self {
            Self::OffsetMismatch { received } => Some(json!({ "received": received })),
            Self::MissingBlobs(missing) => Some(json!({ "missing": missing })),
            Self::BeyondSize { size } => Some(json!({ "size": size })),
            Self::SequenceGap { after_seq, acked_seq } => {
                Some(json!({ "after_seq": after_seq, "acked_seq": acked_seq }))
            }
            Self::Fork { seq } => Some(json!({ "seq": seq })),
            Self::ChainFork { seq, expected, offered } => {
                Some(json!({ "seq": seq, "expected": expected, "offered": offered }))
            }
            Self::ChainReplay { acked_seq, chain_head } => {
                Some(json!({ "acked_seq": acked_seq, "chain_head": chain_head }))
            }
            Self::BlobTooLarge { size, max } => Some(json!({ "size": size, "max": max })),
            Self::ForeignRecord { entity, id, seq } => Some(json!({ "entity": entity, "id": id, "seq": seq })),
            Self::ChangeTimeOutOfRange { entity, id, seq, at, earliest, latest } => Some(json!({
                "entity": entity, "id": id, "seq": seq, "at": at, "earliest": earliest, "latest": latest,
            })),
            Self::UnreadableRecord { entity, id, seq, reason } => {
                Some(json!({ "entity": entity, "id": id, "seq": seq, "reason": reason }))
            }
            _ => None,
        }
    }
}

impl From<deadpool_postgres::PoolError> for RepoError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        Self::Pool(e.to_string())
    }
}
