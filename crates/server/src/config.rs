//! Where the office keeps things: one data folder, and optionally a PostgreSQL database.
//!
//! ```text
//! DIR/office.db     the tables, when no database URL is given (SQLite, WAL)
//! DIR/server-key    the office's ed25519 seed (hex, mode 0600), made at first start
//! DIR/blobs/        evidence blobs, write-once by digest (see [`crate::blobs`])
//! DIR/uploads/      partial uploads, per device
//! DIR/tls/          the self-signed certificate (cert.pem, key.pem mode 0600), made at first
//!                   start unless the office gives its own; `in-use` names what `serve` last
//!                   served (a fingerprint, or `plain-http`), for `enroll-token` and `status`
//! ```

use std::path::{Path, PathBuf};

/// How to open an office: its data folder and, if the tables live in PostgreSQL, its URL.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    /// `postgres://…`; `None` keeps the tables in `DIR/office.db`.
    pub database_url: Option<String>,
}

impl Config {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self { data_dir: data_dir.into(), database_url: None }
    }

    pub fn with_database_url(mut self, url: Option<String>) -> Self {
        self.database_url = url;
        self
    }

    pub fn sqlite_path(&self) -> PathBuf {
        self.data_dir.join("office.db")
    }

    pub fn key_path(&self) -> PathBuf {
        self.data_dir.join("server-key")
    }

    pub fn tls_dir(&self) -> PathBuf {
        self.data_dir.join("tls")
    }

    pub fn tls_in_use_path(&self) -> PathBuf {
        self.tls_dir().join("in-use")
    }

    pub fn blobs_dir(&self) -> PathBuf {
        self.data_dir.join("blobs")
    }

    pub fn uploads_dir(&self) -> PathBuf {
        self.data_dir.join("uploads")
    }

    /// Create the folder and its subfolders if missing.
    pub fn prepare(&self) -> std::io::Result<()> {
        for dir in [self.data_dir.clone(), self.blobs_dir(), self.uploads_dir()] {
            std::fs::create_dir_all(&dir)?;
        }
        Ok(())
    }
}

/// fsync a folder, so that a name just created or removed in it survives a power cut.
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}
