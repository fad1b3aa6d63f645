//! The one error type of the office. Every refusal has a stable `code` and an HTTP status, and
//! reaches a device as `{code, message, detail?}` (the wire type [`mingcha_core::sync::ApiError`]);
//! the admin commands print the same message on one line.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use mingcha_core::change::EntityKind;
use mingcha_core::custody::Hash;
use mingcha_core::sync::{ApiError, BlobRef, ManifestError};
use serde_json::json;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    // What any request can get wrong.
    #[error("the body is not the JSON this call expects: {0}")]
    MalformedJson(String),
    #[error("the body is larger than 16 MiB")]
    BodyTooLarge,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("this route does not take that method")]
    MethodNotAllowed,

    // Enrollment.
    #[error("the enrollment token is unknown, spent or expired")]
    BadToken,
    #[error("this device id or public key is already enrolled")]
    AlreadyEnrolled,
    #[error("the token was made for inspector {expected}, not {given}")]
    InspectorMismatch { expected: String, given: String },

    // Device authentication.
    #[error("no device with this id is enrolled")]
    UnknownDevice,
    #[error("this device was revoked by the office")]
    DeviceRevoked,
    #[error("the request was signed {skew} s away from the office's clock (at most 300 s)")]
    StaleRequest { skew: i64 },
    #[error("this nonce was already used by this device")]
    ReplayedRequest,
    #[error("the request signature does not verify with the device's key")]
    BadSignature,
    #[error("the body does not match x-mingcha-body-sha256")]
    BodyDigestMismatch,

    // The exchange.
    #[error("the manifest signature does not verify with the device's key")]
    BadManifestSignature,
    #[error("the manifest belongs to another device")]
    ForeignManifest,
    #[error("{0}")]
    Manifest(#[from] ManifestError),
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
    #[error("no open batch of this device names this blob")]
    BlobNotExpected,
    #[error("the office holds {received} bytes of this blob; send from there")]
    OffsetMismatch { received: u64 },
    #[error("the chunk runs past the blob's size of {size} bytes")]
    BeyondSize { size: u64 },
    #[error("the uploaded bytes do not hash to the blob's name; the upload was discarded")]
    DigestMismatch,
    #[error("a blob is named by 64 lower-case hex characters")]
    BadDigest,
    #[error("{} blob(s) of this batch are not uploaded yet", .0.len())]
    MissingBlobs(Vec<BlobRef>),

    // Admin.
    #[error("no inspector named {0}")]
    UnknownInspector(String),
    #[error("an inspector named {0} already exists")]
    InspectorExists(String),
    #[error("the office holds no finding {0}")]
    UnknownFinding(String),
    #[error("{0}")]
    Invalid(String),

    // The office console.
    #[error("sign in first")]
    NotSignedIn,
    #[error("wrong username or password")]
    BadLogin,
    #[error("your role may not {0}")]
    Forbidden(&'static str),
    #[error("a write from the console must carry the X-Mingcha-Console header")]
    Csrf,
    #[error("{0} was changed by someone else meanwhile; reload and try again")]
    Conflict(String),
    #[error("no unit named {0}")]
    UnknownUnit(String),
    #[error("the deadline {deadline} is already past (today is {today})")]
    DeadlinePast { deadline: chrono::NaiveDate, today: chrono::NaiveDate },
    #[error("a notice needs at least one problem")]
    EmptyNotice,
    #[error("{0}")]
    BadUpload(String),
    #[error("{0}")]
    WrongStage(String),
    #[error("too many failed attempts; try again in {retry_after} s")]
    RateLimited { retry_after: u64 },

    // The office's own failures: reported as 500 `internal`, details go to the log.
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

    // Office security (issue 14).
    #[error("a one-time link uploads at most {files} files and {} MiB in all; ask the office for another link", .bytes >> 20)]
    LinkQuota { files: u32, bytes: u64 },
    // Bounds on what comes from outside (see `crate::bounds`).
    #[error("{field} is longer than {max} characters")]
    TooLong { field: String, max: usize },
    #[error("{field} has more than {max} items")]
    TooMany { field: String, max: usize },
    #[error("the office is checking too many passwords or enrollments at once; try again in a moment")]
    Busy,
    #[error("a file of {size} bytes is over the office's limit of {max} bytes a file")]
    BlobTooLarge { size: u64, max: u64 },
    #[error("the batch's files have {size} bytes together, over the office's limit of {max} bytes a batch")]
    BatchOverQuota { size: u64, max: u64 },
    // What a laptop may write (see `crate::intake`).
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
    #[error("this call must be signed by an enrolled device: {0}")]
    Unsigned(String),
}

impl Error {
    /// The stable code a device or a script branches on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedJson(_) => "malformed_json",
            Self::BodyTooLarge => "body_too_large",
            Self::BadRequest(_) => "bad_request",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::BadToken => "bad_token",
            Self::AlreadyEnrolled => "already_enrolled",
            Self::InspectorMismatch { .. } => "inspector_mismatch",
            Self::UnknownDevice => "unknown_device",
            Self::DeviceRevoked => "device_revoked",
            Self::StaleRequest { .. } => "stale_request",
            Self::ReplayedRequest => "replayed_request",
            Self::BadSignature => "bad_signature",
            Self::BodyDigestMismatch => "body_digest_mismatch",
            Self::BadManifestSignature => "bad_manifest_signature",
            Self::ForeignManifest => "foreign_manifest",
            Self::Manifest(e) => e.code(),
            Self::SequenceGap { .. } => "sequence_gap",
            Self::Fork { .. } => "fork",
            Self::ChainFork { .. } => "chain_fork",
            Self::ChainReplay { .. } => "chain_replay",
            Self::BatchConflict => "batch_conflict",
            Self::BlobNotExpected => "blob_not_expected",
            Self::OffsetMismatch { .. } => "offset_mismatch",
            Self::BeyondSize { .. } => "beyond_size",
            Self::DigestMismatch => "digest_mismatch",
            Self::BadDigest => "bad_digest",
            Self::MissingBlobs(_) => "missing_blobs",
            Self::UnknownInspector(_) => "unknown_inspector",
            Self::InspectorExists(_) => "inspector_exists",
            Self::UnknownFinding(_) => "unknown_finding",
            Self::Invalid(_) => "invalid_input",
            Self::NotSignedIn => "not_signed_in",
            Self::BadLogin => "bad_login",
            Self::Forbidden(_) => "forbidden",
            Self::Csrf => "csrf",
            Self::Conflict(_) => "conflict",
            Self::UnknownUnit(_) => "unknown_unit",
            Self::DeadlinePast { .. } => "deadline_past",
            Self::EmptyNotice => "empty_notice",
            Self::BadUpload(_) => "bad_upload",
            Self::WrongStage(_) => "wrong_stage",
            Self::RateLimited { .. } => "rate_limited",
            Self::Sqlite(_) | Self::Postgres(_) | Self::Pool(_) | Self::Io(_) | Self::Internal(_) => "internal",
            Self::LinkQuota { .. } => "link_quota_exceeded",
            Self::TooLong { .. } => "too_long",
            Self::TooMany { .. } => "too_many",
            Self::Busy => "busy",
            Self::BlobTooLarge { .. } => "blob_too_large",
            Self::BatchOverQuota { .. } => "batch_over_quota",
            Self::ForeignRecord { .. } => "foreign_record",
            Self::ChangeTimeOutOfRange { .. } => "change_time_out_of_range",
            Self::UnreadableRecord { .. } => "unreadable_record",
            Self::Unsigned(_) => "unsigned_request",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::MalformedJson(_)
            | Self::BadRequest(_)
            | Self::BodyDigestMismatch
            | Self::BeyondSize { .. }
            | Self::BadDigest
            | Self::Invalid(_)
            | Self::DeadlinePast { .. }
            | Self::EmptyNotice
            | Self::BadUpload(_) => StatusCode::BAD_REQUEST,
            Self::NotSignedIn | Self::BadLogin => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::Csrf => StatusCode::FORBIDDEN,
            Self::UnknownUnit(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) | Self::WrongStage(_) => StatusCode::CONFLICT,
            Self::BadToken
            | Self::UnknownDevice
            | Self::StaleRequest { .. }
            | Self::ReplayedRequest
            | Self::BadSignature
            | Self::BadManifestSignature => StatusCode::UNAUTHORIZED,
            Self::InspectorMismatch { .. } | Self::DeviceRevoked | Self::ForeignManifest => StatusCode::FORBIDDEN,
            Self::NotFound(_) | Self::BlobNotExpected | Self::UnknownInspector(_) | Self::UnknownFinding(_) => {
                StatusCode::NOT_FOUND
            }
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::AlreadyEnrolled
            | Self::SequenceGap { .. }
            | Self::Fork { .. }
            | Self::ChainFork { .. }
            | Self::ChainReplay { .. }
            | Self::BatchConflict
            | Self::OffsetMismatch { .. }
            | Self::MissingBlobs(_)
            | Self::InspectorExists(_) => StatusCode::CONFLICT,
            Self::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Manifest(_) | Self::DigestMismatch => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Sqlite(_) | Self::Postgres(_) | Self::Pool(_) | Self::Io(_) | Self::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            Self::LinkQuota { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooLong { .. } | Self::TooMany { .. } => StatusCode::BAD_REQUEST,
            Self::Busy => StatusCode::TOO_MANY_REQUESTS,
            Self::BlobTooLarge { .. } | Self::BatchOverQuota { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::ForeignRecord { .. } => StatusCode::FORBIDDEN,
            Self::ChangeTimeOutOfRange { .. } | Self::UnreadableRecord { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unsigned(_) => StatusCode::UNAUTHORIZED,
        }
    }

    fn detail(&self) -> Option<serde_json::Value> {
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
            Self::StaleRequest { skew } => Some(json!({ "skew_secs": skew })),
            Self::RateLimited { retry_after } => Some(json!({ "retry_after_secs": retry_after })),
            Self::LinkQuota { files, bytes } => Some(json!({ "max_files": files, "max_bytes": bytes })),
            Self::TooLong { field, max } | Self::TooMany { field, max } => Some(json!({ "field": field, "max": max })),
            Self::Busy => Some(json!({ "retry_after_secs": 1 })),
            Self::BlobTooLarge { size, max } | Self::BatchOverQuota { size, max } => {
                Some(json!({ "size": size, "max": max }))
            }
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

    /// The wire form. Internal failures say only that something failed at the office: their
    /// text (paths, SQL) is for the office's log, not for a device.
    pub fn to_api(&self) -> ApiError {
        let message = if self.status().is_server_error() {
            "the office failed to handle this request; it was logged".to_owned()
        } else {
            self.to_string()
        };
        ApiError { code: self.code().to_owned(), message, detail: self.detail() }
    }
}

impl From<deadpool_postgres::PoolError> for Error {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        Self::Pool(e.to_string())
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            eprintln!("mingcha-server: {} ({})", self, self.code());
        }
        let mut response = (status, axum::Json(self.to_api())).into_response();
        let retry_after = match self {
            Self::RateLimited { retry_after } => Some(retry_after),
            Self::Busy => Some(1),
            _ => None,
        };
        if let Some(secs) = retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
        }
        response
    }
}
