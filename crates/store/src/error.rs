//! The store's errors. Each has a stable [`StoreError::code`] for the desktop and the CLI's
//! `--json` output to branch on; the message is for people.

use std::path::PathBuf;

use mingcha_core::ValidationError;
use mingcha_core::assets::AssetError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("no Mingcha data in {0} (run `mingcha --data {dir} init --inspector NAME` first)", dir = .0.display())]
    NotInitialised(PathBuf),
    #[error("{dir} already holds a Mingcha store; nothing was changed", dir = .0.display())]
    AlreadyInitialised(PathBuf),
    #[error("wrong passphrase: the store stays locked and unchanged")]
    WrongPassphrase,
    #[error("the key file {path} is damaged: {1}", path = .0.display())]
    DamagedKeyFile(PathBuf, String),
    #[error("the database could not be opened with this key: {0}")]
    WrongKey(String),
    #[error("this store was written by a newer Mingcha (schema {found}, this build knows {known}); update Mingcha")]
    NewerSchema { found: u32, known: u32 },
    #[error("migration {version} was changed after it was applied to this store")]
    MigrationChanged { version: u32 },
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("no {what} `{key}`")]
    NotFound { what: &'static str, key: String },
    #[error("{what} `{key}` is ambiguous: {candidates}")]
    Ambiguous { what: &'static str, key: String, candidates: String },
    #[error("{what} `{key}` already exists")]
    Duplicate { what: &'static str, key: String },
    #[error(transparent)]
    Asset(#[from] AssetError),
    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored record is unreadable: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// A stable code for programs; never branch on the message.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotInitialised(_) => "not_initialised",
            Self::AlreadyInitialised(_) => "already_initialised",
            Self::WrongPassphrase => "wrong_passphrase",
            Self::DamagedKeyFile(..) => "damaged_key_file",
            Self::WrongKey(_) => "wrong_key",
            Self::NewerSchema { .. } => "newer_schema",
            Self::MigrationChanged { .. } => "migration_changed",
            Self::Invalid(e) => e.code(),
            Self::NotFound { .. } => "not_found",
            Self::Ambiguous { .. } => "ambiguous",
            Self::Duplicate { .. } => "duplicate",
            Self::Asset(_) => "bad_asset",
            Self::Io { .. } => "io",
            Self::Sqlite(_) => "database",
            Self::Corrupt(_) => "corrupt",
        }
    }

    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let context = context.into();
        move |source| Self::Io { context, source }
    }

    pub(crate) fn not_found(what: &'static str, key: impl Into<String>) -> Self {
        Self::NotFound { what, key: key.into() }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        Self::Corrupt(e.to_string())
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
