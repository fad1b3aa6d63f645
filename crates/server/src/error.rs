//! The one error type of the office. Every refusal has a stable `code` and an HTTP status, and
//! reaches a device as `{code, message, detail?}` (the wire type [`mingcha_core::sync::ApiError`]);
//! the admin commands print the same message on one line.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mingcha_core::sync::{ApiError, ManifestError};
use mingcha_office_app::Error as AppError;
use mingcha_office_db::RepoError;
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
    // Device authentication.
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
    #[error("no open batch of this device names this blob")]
    BlobNotExpected,
    #[error("a blob is named by 64 lower-case hex characters")]
    BadDigest,

    // Admin.
    #[error("no inspector named {0}")]
    UnknownInspector(String),
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
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// The office's store refused (enrollment, the exchange, a blob): its code and detail are
    /// the store's ([`RepoError::code`]).
    #[error(transparent)]
    Refused(RepoError),
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
    #[error("the batch's files have {size} bytes together, over the office's limit of {max} bytes a batch")]
    BatchOverQuota { size: u64, max: u64 },
    // What a laptop may write (see `crate::intake`).
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
            Self::StaleRequest { .. } => "stale_request",
            Self::ReplayedRequest => "replayed_request",
            Self::BadSignature => "bad_signature",
            Self::BodyDigestMismatch => "body_digest_mismatch",
            Self::BadManifestSignature => "bad_manifest_signature",
            Self::ForeignManifest => "foreign_manifest",
            Self::Manifest(e) => e.code(),
            Self::BlobNotExpected => "blob_not_expected",
            Self::BadDigest => "bad_digest",
            Self::UnknownInspector(_) => "unknown_inspector",
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
            Self::Io(_) | Self::Internal(_) => "internal",
            Self::Refused(r) => r.code(),
            Self::LinkQuota { .. } => "link_quota_exceeded",
            Self::TooLong { .. } => "too_long",
            Self::TooMany { .. } => "too_many",
            Self::Busy => "busy",
            Self::BatchOverQuota { .. } => "batch_over_quota",
            Self::Unsigned(_) => "unsigned_request",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::MalformedJson(_)
            | Self::BadRequest(_)
            | Self::BodyDigestMismatch
            | Self::BadDigest
            | Self::Invalid(_)
            | Self::DeadlinePast { .. }
            | Self::EmptyNotice
            | Self::BadUpload(_) => StatusCode::BAD_REQUEST,
            Self::NotSignedIn | Self::BadLogin => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::Csrf => StatusCode::FORBIDDEN,
            Self::UnknownUnit(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) | Self::WrongStage(_) => StatusCode::CONFLICT,
            Self::StaleRequest { .. } | Self::ReplayedRequest | Self::BadSignature | Self::BadManifestSignature => {
                StatusCode::UNAUTHORIZED
            }
            Self::ForeignManifest => StatusCode::FORBIDDEN,
            Self::NotFound(_) | Self::BlobNotExpected | Self::UnknownInspector(_) | Self::UnknownFinding(_) => {
                StatusCode::NOT_FOUND
            }
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Manifest(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Io(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::LinkQuota { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooLong { .. } | Self::TooMany { .. } => StatusCode::BAD_REQUEST,
            Self::Busy => StatusCode::TOO_MANY_REQUESTS,
            Self::BatchOverQuota { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unsigned(_) => StatusCode::UNAUTHORIZED,
            Self::Refused(r) => refused_status(r),
        }
    }

    fn detail(&self) -> Option<serde_json::Value> {
        match self {
            Self::StaleRequest { skew } => Some(json!({ "skew_secs": skew })),
            Self::RateLimited { retry_after } => Some(json!({ "retry_after_secs": retry_after })),
            Self::LinkQuota { files, bytes } => Some(json!({ "max_files": files, "max_bytes": bytes })),
            Self::TooLong { field, max } | Self::TooMany { field, max } => Some(json!({ "field": field, "max": max })),
            Self::Busy => Some(json!({ "retry_after_secs": 1 })),
            Self::BatchOverQuota { size, max } => Some(json!({ "size": size, "max": max })),
            Self::Refused(r) => r.detail(),
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

/// The HTTP status of a refusal of the office's store.
fn refused_status(r: &RepoError) -> StatusCode {
    use RepoError as R;
    match r {
        R::BadRequest(_) | R::Invalid(_) | R::BeyondSize { .. } => StatusCode::BAD_REQUEST,
        R::NotFound(_) => StatusCode::NOT_FOUND,
        R::BadToken | R::UnknownDevice => StatusCode::UNAUTHORIZED,
        R::InspectorMismatch { .. } | R::DeviceRevoked | R::ForeignRecord { .. } => StatusCode::FORBIDDEN,
        R::Conflict(_)
        | R::AlreadyEnrolled
        | R::SequenceGap { .. }
        | R::Fork { .. }
        | R::ChainFork { .. }
        | R::ChainReplay { .. }
        | R::BatchConflict
        | R::OffsetMismatch { .. }
        | R::MissingBlobs(_)
        | R::InspectorExists(_) => StatusCode::CONFLICT,
        R::BlobTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        R::DigestMismatch | R::ChangeTimeOutOfRange { .. } | R::UnreadableRecord { .. } => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        R::Sqlite(_) | R::Postgres(_) | R::Pool(_) | R::Io(_) | R::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A use case's answer, with the HTTP status of its kind.
impl From<AppError> for Error {
    fn from(e: AppError) -> Self {
        match e {
            AppError::BadRequest(m) => Self::BadRequest(m),
            AppError::NotFound(m) => Self::NotFound(m),
            AppError::Invalid(m) => Self::Invalid(m),
            AppError::Conflict(m) => Self::Conflict(m),
            AppError::UnknownInspector(m) => Self::UnknownInspector(m),
            AppError::UnknownFinding(m) => Self::UnknownFinding(m),
            AppError::UnknownUnit(m) => Self::UnknownUnit(m),
            AppError::DeadlinePast { deadline, today } => Self::DeadlinePast { deadline, today },
            AppError::WrongStage(m) => Self::WrongStage(m),
            AppError::EmptyNotice => Self::EmptyNotice,
            AppError::Refused(r) => Self::Refused(r),
            AppError::Io(e) => Self::Io(e),
            AppError::Internal(m) => Self::Internal(m),
        }
    }
}

/// A rule of the office's refused, read as the use cases read it.
impl From<mingcha_office::OfficeError> for Error {
    fn from(e: mingcha_office::OfficeError) -> Self {
        Self::from(AppError::from(e))
    }
}

/// The store's errors, read as the use cases read them.
impl From<RepoError> for Error {
    fn from(e: RepoError) -> Self {
        Self::from(AppError::from(e))
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

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use mingcha_core::change::EntityKind;

    use super::*;

    #[test]
    fn a_refusal_of_the_store_keeps_its_code_detail_and_status() {
        let at = Utc::now();
        let cases = [
            (RepoError::BadToken, "bad_token", 401),
            (RepoError::DeviceRevoked, "device_revoked", 403),
            (RepoError::SequenceGap { after_seq: 5, acked_seq: 3 }, "sequence_gap", 409),
            (RepoError::OffsetMismatch { received: 7 }, "offset_mismatch", 409),
            (RepoError::BlobTooLarge { size: 9, max: 8 }, "blob_too_large", 413),
            (RepoError::DigestMismatch, "digest_mismatch", 422),
            (
                RepoError::ChangeTimeOutOfRange {
                    entity: EntityKind::Unit,
                    id: "u".into(),
                    seq: 1,
                    at,
                    earliest: at,
                    latest: at,
                },
                "change_time_out_of_range",
                422,
            ),
            (
                RepoError::UnreadableRecord { entity: EntityKind::Unit, id: "u".into(), seq: 1, reason: "r".into() },
                "unreadable_record",
                422,
            ),
            (RepoError::NotFound("x".into()), "not_found", 404),
            (RepoError::Internal("disk".into()), "internal", 500),
        ];
        for (refusal, code, status) in cases {
            let detail = refusal.detail();
            let e = Error::from(refusal);
            assert_eq!((e.code(), e.status().as_u16()), (code, status), "{e}");
            assert_eq!(e.to_api().detail, detail, "{code}");
        }
        let offset = Error::from(RepoError::OffsetMismatch { received: 7 }).to_api();
        assert_eq!(offset.detail, Some(json!({ "received": 7 })));
        let internal = Error::from(RepoError::Internal("/var/lib/mingcha: disk full".into())).to_api();
        assert!(!internal.message.contains("disk full"), "internal failures stay in the office's log");
    }
}
