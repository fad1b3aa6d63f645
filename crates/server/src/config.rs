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
//!
//! The folders are made readable by the server's account only (0700), and so are the files
//! in them (0600): evidence of covert visits, the keys and the tables are nobody else's.

use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use mingcha_office_db::fs::{narrow, private_dir};

use crate::limits::Settings;

/// How to open an office: its data folder and, if the tables live in PostgreSQL, its URL.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    /// `postgres://…`; `None` keeps the tables in `DIR/office.db`.
    pub database_url: Option<String>,
    /// Rate limits, turns and upload quotas (`serve`'s flags; defaults otherwise).
    pub limits: Settings,
}

impl Config {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self { data_dir: data_dir.into(), database_url: None, limits: Settings::default() }
    }

    pub fn with_database_url(mut self, url: Option<String>) -> Self {
        self.database_url = url;
        self
    }

    pub fn with_limits(mut self, limits: Settings) -> Self {
        self.limits = limits;
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

    /// Create the folder and its subfolders if missing, all of them (and the SQLite file)
    /// for the server's account only.
    pub fn prepare(&self) -> std::io::Result<()> {
        for dir in [self.data_dir.clone(), self.blobs_dir(), self.uploads_dir(), self.tls_dir()] {
            private_dir(&dir)?;
        }
        if self.database_url.is_none() {
            // SQLite gives its -wal and -shm files the mode of the database file.
            private_file(&self.sqlite_path())?;
        }
        Ok(())
    }
}

/// Make `path` an empty file with mode 0600 if it is missing, and take group and other access
/// away from one that exists.
fn private_file(path: &Path) -> std::io::Result<()> {
    std::fs::OpenOptions::new().append(true).create(true).mode(0o600).open(path)?;
    narrow(path, 0o600)
}
