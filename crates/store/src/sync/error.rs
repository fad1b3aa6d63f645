//! What can go wrong talking to the office. Each error has a stable [`SyncError::code`]; a
//! refusal carries the office's own `{code, message}` so scripts branch on the office's code.

use thiserror::Error;
use uuid::Uuid;

use crate::StoreError;

#[derive(Debug, Error)]
pub enum SyncError {
    #[error("this laptop is not enrolled with an office yet (run `mingcha enroll --server URL --token TOKEN`)")]
    NotEnrolled,
    #[error("`{0}` is not an office address: write it as https://HOST:PORT")]
    BadUrl(String),
    #[error("the office at {0} speaks HTTPS: write its address as https://…")]
    TlsRequired(String),
    /// The server answered with another certificate than the one the enrollment token named.
    #[error(
        "the server at {url} is not the office this laptop enrolled with: its certificate (SHA-256 {got}) is not \
         the office's ({expected}); nothing was sent. If the office changed its certificate, enroll again with a new token"
    )]
    CertificateMismatch { url: String, expected: String, got: String },
    #[error(transparent)]
    Token(#[from] mingcha_core::enroll_token::TokenError),
    /// A 4xx: the office understood the request and said no. Retrying will not help.
    #[error("the office refused the request ({status} {code}): {message}{hint}", hint = hint(code))]
    Refused { status: u16, code: String, message: String, detail: Option<serde_json::Value> },
    /// The network failed on every try (connection refused, reset, timed out).
    #[error("the office at {url} could not be reached after {tries} tries: {reason}")]
    Unreachable { url: String, tries: u32, reason: String },
    /// The office answered 5xx on every try.
    #[error("the office at {url} kept failing after {tries} tries ({status}): {message}")]
    ServerFailing { url: String, tries: u32, status: u16, message: String },
    #[error("the office's answer to {what} could not be understood: {reason}")]
    BadResponse { what: String, reason: String },
    #[error("the office's receipt for batch {batch_id} is not valid: {reason}; nothing was marked as synced")]
    BadReceipt { batch_id: Uuid, reason: super::state::ReceiptProblem },
    #[error("batch {batch_id} can no longer be rebuilt exactly as it was first sent: {reason}")]
    BatchChanged { batch_id: Uuid, reason: String },
    #[error("the office enrolled a different device ({0}) than this one")]
    WrongDevice(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn hint(code: &str) -> &'static str {
    match code {
        "bad_token" => " (ask the office for a new enrollment token)",
        "stale_request" => " (check this laptop's date, time and time zone)",
        "unknown_device" => " (enroll this laptop again with a new token)",
        "device_revoked" => " (this laptop was revoked by the office; contact the office)",
        "already_enrolled" => " (this laptop or its key is registered already)",
        // The office stored none of the batch, and every later sync stops at it again: only
        // the office can sort it out, so say so rather than "try again".
        "foreign_record" | "unreadable_record" => " (this laptop cannot send its log until the office looks at it)",
        "change_time_out_of_range" => " (this laptop's date was wrong when that change was saved; tell the office)",
        "unsigned_request" => {
            " (the call reached the office without this laptop's signature: a proxy may strip headers)"
        }
        _ => "",
    }
}

impl SyncError {
    /// A stable code for programs: the office's own code for a refusal, otherwise one of ours.
    pub fn code(&self) -> &str {
        match self {
            Self::NotEnrolled => "not_enrolled",
            Self::BadUrl(_) => "bad_url",
            Self::TlsRequired(_) => "tls_required",
            Self::CertificateMismatch { .. } => "certificate_mismatch",
            Self::Token(e) => e.code(),
            Self::Refused { code, .. } => code,
            Self::Unreachable { .. } => "unreachable",
            Self::ServerFailing { .. } => "server_error",
            Self::BadResponse { .. } => "bad_response",
            Self::BadReceipt { .. } => "bad_receipt",
            Self::BatchChanged { .. } => "batch_changed",
            Self::WrongDevice(_) => "wrong_device",
            Self::Store(e) => e.code(),
        }
    }

    /// The network or the office failed, rather than the request being refused: trying again
    /// later may work.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unreachable { .. } | Self::ServerFailing { .. })
    }
}

impl From<rusqlite::Error> for SyncError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(e.into())
    }
}

impl From<mingcha_core::ValidationError> for SyncError {
    fn from(e: mingcha_core::ValidationError) -> Self {
        Self::Store(e.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_keeps_the_office_code_and_says_what_to_do() {
        let e = SyncError::Refused {
            status: 401,
            code: "bad_token".into(),
            message: "the token is unknown, spent or expired".into(),
            detail: None,
        };
        assert_eq!(e.code(), "bad_token");
        let text = e.to_string();
        assert!(text.contains("401 bad_token") && text.contains("new enrollment token"), "{text}");
        assert!(!e.is_transient());
        for code in ["foreign_record", "change_time_out_of_range", "unreadable_record", "unsigned_request"] {
            let e = SyncError::Refused { status: 403, code: code.into(), message: "refused".into(), detail: None };
            let text = e.to_string();
            assert!(!hint(code).is_empty() && text.ends_with(')') && !text.contains('\n'), "{code}: {text}");
        }
        let down = SyncError::Unreachable { url: "http://x".into(), tries: 5, reason: "refused".into() };
        assert!(down.is_transient());
        assert_eq!(down.code(), "unreachable");
    }
}
