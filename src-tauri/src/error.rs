//! Errors as the UI sees them: `{code, message}`. The UI branches on `code` (stable, from the
//! libraries' own codes), and shows `message` (a sentence for a person).

use serde::Serialize;
use ts_rs::TS;

#[derive(Debug, Clone, Serialize, TS, thiserror::Error)]
#[error("{message} ({code})")]
pub struct IpcError {
    pub code: String,
    pub message: String,
}

impl IpcError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self { code: code.to_owned(), message: message.into() }
    }

    /// The store is closed: before the passphrase, or after "lock".
    pub fn locked() -> Self {
        Self::new("locked", "the store is locked: enter the passphrase")
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new("invalid_input", message)
    }

    pub fn internal(message: impl std::fmt::Display) -> Self {
        Self::new("internal", message.to_string())
    }
}

impl From<mingcha_store::StoreError> for IpcError {
    fn from(e: mingcha_store::StoreError) -> Self {
        Self::new(e.code(), e.to_string())
    }
}

impl From<mingcha_store::sync::SyncError> for IpcError {
    fn from(e: mingcha_store::sync::SyncError) -> Self {
        Self::new(e.code(), e.to_string())
    }
}

impl From<mingcha_evidence::EvidenceError> for IpcError {
    fn from(e: mingcha_evidence::EvidenceError) -> Self {
        Self::new(e.code(), e.to_string())
    }
}

impl From<mingcha_core::ValidationError> for IpcError {
    fn from(e: mingcha_core::ValidationError) -> Self {
        mingcha_store::StoreError::from(e).into()
    }
}

pub type IpcResult<T> = Result<T, IpcError>;
