//! End-of-day sync, the device's side (`docs/sync-protocol.md`): enroll once with the office,
//! then hand over the change log in signed batches with their evidence blobs, and bring back
//! what the office decided.
//!
//! The rules that make it safe to interrupt at any moment and simply run again:
//! - a batch is persisted (id and seq range) before it is first sent, so a resend reuses the
//!   same id and exactly the same content, and the office deduplicates;
//! - nothing counts as synced until the office's signed receipt is checked and stored, in the
//!   same transaction that moves the acknowledged seq;
//! - blobs resume from what the office already holds;
//! - office events are applied by their office and seq, in the transaction that moves the pull
//!   cursor, so a page applied twice changes nothing and another office's seqs are its own;
//!   a plan the office assigned becomes an ordinary, logged plan record, and the same sync
//!   sends it back up, so the office's copy and the laptop's agree (`events.rs`).
//!
//! **Architecture invariant:** only this module talks HTTP, and its upload threads never touch
//! the store (its SQLite connection is not `Sync`): they get the client and the blob source.

mod client;
mod error;
mod events;
mod pin;
mod push;
mod state;
mod upload;
mod verify;

use std::io::{Read, Seek};
use std::time::Duration;

use chrono::{DateTime, Utc};
use mingcha_core::enroll_token::EnrollToken;
use mingcha_core::evidence::Sha256Hex;
use mingcha_core::sync::EnrollRequest;
use rusqlite::OptionalExtension;
use serde::Serialize;
use uuid::Uuid;

pub use error::SyncError;
pub use state::ReceiptProblem;
pub use verify::{BlobInScope, CustodyLine, CustodyReport, Verdict, VerifyScope};

use crate::{Store, parse_time, resolve_id};
use client::{OfficeClient, OfficeUrl};

/// Where upload threads read evidence bytes from (the CLI gives it mingcha-evidence's blob
/// store). Shared by the threads, so `Sync`.
pub trait BlobSource: Sync {
    /// The bytes of the original with this digest, from the start.
    fn open(&self, sha256: &Sha256Hex) -> std::io::Result<Box<dyn BlobRead>>;
}

/// A readable, seekable original (a resumed upload starts part way).
pub trait BlobRead: Read + Seek + Send {}
impl<T: Read + Seek + Send> BlobRead for T {}

/// How hard to try. The defaults suit a laptop on an office network or a hotel's Wi-Fi.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Tries per request before giving up on a failing network or office.
    pub tries: u32,
    /// The wait after the first failed try; it doubles after each.
    pub first_wait: Duration,
    pub connect_timeout: Duration,
    /// For each read or write on the connection.
    pub io_timeout: Duration,
    /// Blobs uploaded at once.
    pub upload_threads: usize,
    /// Another address for the enrolled office (it moved); remembered after a sync succeeds.
    pub server_url: Option<String>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            tries: 5,
            first_wait: Duration::from_millis(250),
            connect_timeout: Duration::from_secs(10),
            io_timeout: Duration::from_secs(60),
            upload_threads: 4,
            server_url: None,
        }
    }
}

/// What enrollment established.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Enrollment {
    pub server_url: String,
    pub device_id: String,
    /// The office's id for this inspector, and the name it knows them by.
    pub office_inspector_id: String,
    pub inspector_name: String,
    /// The office's public key (hex): its receipts are checked against it.
    pub server_key: String,
    /// What the office already held from this device (0 for a new one).
    pub acked_seq: u64,
}

/// Something that happened during a sync, for a progress display.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SyncEvent {
    /// A batch is about to go: `resumed` when it was built by an earlier, interrupted run.
    Batch {
        batch_id: Uuid,
        changes: usize,
        resumed: bool,
    },
    /// The office lacks these blobs of the batch; `bytes` in all.
    Uploading {
        blobs: usize,
        bytes: u64,
    },
    /// More bytes of a blob reached the office.
    BlobBytes {
        bytes: u64,
    },
    /// A blob is complete at the office; `sent` is false when it turned out to be there already.
    BlobDone {
        sha256: Sha256Hex,
        sent: bool,
    },
    BlobFailed {
        failure: SyncFailure,
    },
    /// The office's receipt was checked and stored: these changes count as synced.
    Committed {
        batch_id: Uuid,
        stored: u64,
        already_there: u64,
    },
    /// Office events applied from one page of the pull.
    Pulled {
        events: u64,
    },
}

/// One thing that could not be sent this time, and why. The next sync tries it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncFailure {
    /// What failed: `blob <sha256>` or `batch <id>`.
    pub what: String,
    pub code: String,
    pub reason: String,
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncSummary {
    pub server: String,
    /// Batches committed in this run.
    pub batches: u64,
    /// Changes the office stored for the first time, and those it held already (a replay).
    pub changes_stored: u64,
    pub changes_already_there: u64,
    pub blobs_uploaded: u64,
    pub blobs_already_there: u64,
    pub bytes_sent: u64,
    /// Office events (returned or accepted findings, templates, the taxonomy, assigned plans)
    /// newly applied.
    pub events_applied: u64,
    /// What could not be taken from them in full, one line each (a checklist template an
    /// assigned plan names that this laptop does not have, an unreadable file). Also kept
    /// with the event in the store.
    pub notes: Vec<String>,
    /// The last change the office has acknowledged, and how many are still waiting.
    pub acked_seq: u64,
    pub unsynced_changes: u64,
    pub failures: Vec<SyncFailure>,
}

/// Where sync stands, for `mingcha status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SyncStatus {
    /// None until the laptop is enrolled.
    pub server: Option<String>,
    pub enrolled_at: Option<DateTime<Utc>>,
    pub acked_seq: u64,
    /// Changes not yet acknowledged by the office.
    pub unsynced_changes: u64,
    /// A batch built and perhaps sent, waiting for its receipt.
    pub open_batch: Option<Uuid>,
    pub last_sync_at: Option<DateTime<Utc>>,
}

/// What the office decided about a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// 退回
    Returned,
    /// 已采纳
    Accepted,
}

/// One office decision on a finding, as pulled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OfficeDecision {
    pub event_seq: u64,
    pub finding_id: String,
    pub kind: DecisionKind,
    pub comment: Option<String>,
    pub by: String,
    pub at: DateTime<Utc>,
}

impl Store {
    /// Enroll this laptop with the office at `server_url`, with a one-time `token` the office
    /// printed (`mingcha-server enroll-token`). Registers the device key; remembers the
    /// office's address and key.
    pub fn enroll(&mut self, server_url: &str, token: &str) -> Result<Enrollment, SyncError> {
        self.enroll_with(&SyncOptions::default(), server_url, token)
    }

    pub fn enroll_with(&mut self, opts: &SyncOptions, server_url: &str, token: &str) -> Result<Enrollment, SyncError> {
        let url = OfficeUrl::parse(server_url)?;
        let token = EnrollToken::parse(token)?;
        let device_id = self.identity.device_id;
        let device_name: String =
            self.conn.query_row("SELECT name FROM device WHERE id = ?1", [device_id.to_string()], |r| r.get(0))?;
        let req = EnrollRequest {
            token: token.secret.clone(),
            device_id,
            device_name,
            public_key: self.device_public_key()?,
            inspector_name: self.identity.inspector_name.clone(),
        };
        let resp = OfficeClient::new(url.clone(), None, opts, token.pin.as_deref())?.enroll(&req)?;
        if resp.device_id != device_id {
            return Err(SyncError::WrongDevice(resp.device_id.to_string()));
        }
        if mingcha_core::hex::decode_array::<32>(&resp.server_key).is_none() {
            return Err(SyncError::BadResponse {
                what: "enrollment".into(),
                reason: "the office's key is not 64 hex characters".into(),
            });
        }
        state::save_enrollment(&mut self.conn, &url.as_string(), token.pin.as_deref(), &resp, self.clock.now())?;
        Ok(Enrollment {
            server_url: url.as_string(),
            device_id: device_id.to_string(),
            office_inspector_id: resp.inspector_id.to_string(),
            inspector_name: resp.inspector_name,
            server_key: resp.server_key,
            acked_seq: resp.acked_seq,
        })
    }

    /// Send everything the office has not acknowledged, then bring back its decisions. See
    /// the module documentation for why running it again after any interruption is safe.
    pub fn sync(
        &mut self,
        blobs: &dyn BlobSource,
        progress: &mut dyn FnMut(SyncEvent),
    ) -> Result<SyncSummary, SyncError> {
        self.sync_with(&SyncOptions::default(), blobs, progress)
    }

    pub fn sync_with(
        &mut self,
        opts: &SyncOptions,
        blobs: &dyn BlobSource,
        progress: &mut dyn FnMut(SyncEvent),
    ) -> Result<SyncSummary, SyncError> {
        push::run(self, opts, blobs, progress)
    }

    /// Where sync stands: the office, what is still to send, and when it last ran.
    pub fn sync_status(&self) -> Result<SyncStatus, SyncError> {
        let server = state::enrolled(&self.conn)?;
        let pos = state::position(&self.conn)?;
        // The log is append-only (triggers refuse UPDATE and DELETE) and its seq is
        // AUTOINCREMENT, so it has no gaps: what waits is the newest seq less the acknowledged
        // one. A count(*) over the range would read (and decrypt) every waiting payload, which
        // on a big store is seconds at each start of the app.
        let newest: u64 = self.conn.query_row("SELECT coalesce(max(seq), 0) FROM change_log", [], |r| r.get(0))?;
        let pending = newest.saturating_sub(pos.acked_seq);
        Ok(SyncStatus {
            enrolled_at: server.as_ref().map(|s| s.enrolled_at),
            server: server.map(|s| s.url),
            acked_seq: pos.acked_seq,
            unsynced_changes: pending,
            open_batch: state::open_batch(&self.conn)?.map(|b| b.batch_id),
            last_sync_at: state::last_sync_at(&self.conn)?,
        })
    }

    /// The office's decisions on a finding (by id or unique prefix), oldest first: in the order
    /// this laptop took them, which is the seq order within one office.
    pub fn office_decisions(&self, finding: &str) -> crate::Result<Vec<OfficeDecision>> {
        let id = resolve_id(&self.conn, "finding", "finding", finding)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT event_seq, finding_id, kind, comment, decided_by, decided_at FROM office_decision
             WHERE finding_id = ?1 ORDER BY local_seq",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok(OfficeDecision {
                event_seq: r.get(0)?,
                finding_id: r.get(1)?,
                kind: if r.get_ref(2)?.as_str().unwrap_or_default() == "returned" {
                    DecisionKind::Returned
                } else {
                    DecisionKind::Accepted
                },
                comment: r.get(3)?,
                by: r.get(4)?,
                at: parse_time(&r.get::<_, String>(5)?)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The office's latest comment on a finding it returned, if it is returned now.
    pub fn return_comment(&self, finding_id: &str) -> crate::Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT d.comment FROM office_decision d JOIN finding f ON f.id = d.finding_id
                 WHERE d.finding_id = ?1 AND d.kind = 'returned' AND f.status = 'returned'
                 ORDER BY d.local_seq DESC LIMIT 1",
                [finding_id],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }
}

#[cfg(test)]
mod tests;
