//! `mingcha-office-db`: the office's store. Its tables behind traits split by role
//! ([`Devices`], [`Exchange`], [`Records`], [`Events`], [`Documents`], [`ReadModel`],
//! [`Custody`], [`Audit`]; [`Repo`] is all of them) with a SQLite and a PostgreSQL
//! implementation, one migration runner ([`migrate`]), the exchange with a laptop
//! (enrollment, batches, the chain rule, receipts), the console's read model, the office's
//! signing key, and where evidence bytes live ([`blobs::BlobStore`]). Its errors are its own
//! ([`RepoError`]).
//!
//! **Architecture invariant:** no HTTP. This crate never links axum or an HTTP client; the
//! server (`mingcha-server`) serves what it stores, and the office's rules stay in
//! `mingcha-office`. It may link the database drivers, the only office crate that does.
//!
//! Both hold the same tables (see `migrations/sqlite` and `migrations/postgres`): `inspector`,
//! `enroll_token`, `device`, `batch`, `batch_blob`, `change`, `record`, `office_event` and
//! `blob`. Every method that changes more than one row runs in one transaction, and the ones
//! that must not interleave (enrollment, a manifest, a commit) take the write lock first:
//! `BEGIN IMMEDIATE` on SQLite, a row lock (`SELECT … FOR UPDATE`) on PostgreSQL.
//!
//! The office console's own work lives in `office_doc` (versioned JSON documents, see [`Doc`])
//! with every version kept in `office_doc_log`.

pub mod blobs;
pub mod chain;
mod error;
pub mod fs;
pub mod intake;
pub mod key;
pub mod migrate;
pub mod postgres;
pub mod read_model;
pub mod sqlite;

pub use error::{RepoError, Result};

/// Every role of the store, to bring their methods into scope: `use mingcha_office_db::prelude::*`.
pub mod prelude {
    pub use crate::{Audit, Custody, Devices, Documents, Events, Exchange, ReadModel, Records, Repo};
}

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mingcha_core::change::{ChangeOp, EntityKind};
use mingcha_core::evidence::Sha256Hex;
use mingcha_core::id::{ChangeId, DeviceId, InspectorId};
use mingcha_core::sync::{BatchState, Manifest, OfficeEvent, OfficeEventBody, SignedReceipt};
use serde::Serialize;

use crate::key::ServerKey;

/// A numbered schema migration, applied once and recorded in `schema_migration` with its
/// SHA-256, so an edited migration is noticed rather than silently skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inspector {
    pub id: InspectorId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Device {
    pub id: DeviceId,
    pub name: String,
    pub inspector_id: InspectorId,
    pub inspector_name: String,
    /// ed25519 public key, hex.
    pub public_key: String,
    pub enrolled_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// The last seq of this device that the office holds.
    pub acked_seq: u64,
}

/// A device asking to be enrolled.
#[derive(Debug, Clone)]
pub struct NewDevice {
    pub id: DeviceId,
    pub name: String,
    pub public_key: String,
    pub inspector_name: String,
}

/// A manifest whose signature and shape were checked, ready to be stored as `open`.
#[derive(Debug, Clone)]
pub struct NewBatch {
    pub manifest: Manifest,
    /// The canonical bytes, as signed and hashed.
    pub canonical: String,
    pub manifest_sha256: String,
    pub signature: String,
}

/// The latest state of one entity, as the office holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredRecord {
    pub entity: EntityKind,
    pub entity_id: String,
    pub op: ChangeOp,
    pub payload: serde_json::Value,
    pub changed_at: DateTime<Utc>,
    pub change_id: ChangeId,
    pub device_id: DeviceId,
    pub inspector_name: String,
    /// The batch that brought the latest change.
    pub batch_id: uuid::Uuid,
}

/// A committed batch, as the review screen lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommittedBatch {
    pub id: uuid::Uuid,
    pub device_id: DeviceId,
    pub device: String,
    pub inspector: String,
    pub committed_at: DateTime<Utc>,
}

/// Who an office event is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Every inspector, including those added later (templates, taxonomy).
    Everyone,
    Inspector(InspectorId),
}

/// How many rows each table holds: what a test compares before and after a refused request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub inspectors: i64,
    pub enroll_tokens: i64,
    pub spent_tokens: i64,
    pub devices: i64,
    pub batches: i64,
    pub committed_batches: i64,
    pub batch_blobs: i64,
    pub changes: i64,
    pub records: i64,
    pub office_events: i64,
    pub blobs: i64,
}

/// One document of the office's own work (an account, a review, a ledger problem, a notice…):
/// JSON, with a version that grows by one on every write.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    pub kind: String,
    pub id: String,
    pub version: u64,
    pub body: serde_json::Value,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

/// A write of one document, checked against the version the writer read.
#[derive(Debug, Clone)]
pub struct DocWrite {
    pub kind: &'static str,
    pub id: String,
    /// The version read before the change; 0 for a document that must not exist yet.
    pub expect: u64,
    /// The new body, or `None` to delete it.
    pub body: Option<serde_json::Value>,
    /// A ledger problem's row in the read model, written with it: required for a problem, and
    /// carried by a review whose wording changes its problem's row.
    pub ledger: Option<read_model::LedgerIndex>,
}

/// An office event to append in the same transaction as document writes.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub audience: Audience,
    pub subject: Option<String>,
    pub body: OfficeEventBody,
}

/// One action for the audit log (`audit_log`, append-only).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// Who: an account's username, `device:<id>`, `cli`, or `anonymous`.
    pub actor: String,
    /// What: `login`, `login_failed`, `logout`, `rate_limited`, `enroll`, `enroll_failed`,
    /// `cli:<command>`, or a console write as `METHOD /api/console/…` (the route's pattern).
    pub action: String,
    /// On what: the path, an account, a device, an inspector.
    pub target: Option<String>,
    /// The client's IP address, for what came over the network.
    pub client: Option<String>,
    /// A small JSON object: the answer's status and error code, the reason.
    pub detail: serde_json::Value,
}

/// A stored audit row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRow {
    pub seq: u64,
    #[serde(flatten)]
    pub entry: AuditEntry,
}

/// Which audit rows to read: all filters optional, newest first, one page.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    /// From this instant (inclusive) …
    pub from: Option<DateTime<Utc>>,
    /// … to this one (exclusive).
    pub until: Option<DateTime<Utc>>,
    pub offset: u64,
    pub limit: u64,
}

/// One page of audit rows, and how many match in all.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditPage {
    pub total: u64,
    pub rows: Vec<AuditRow>,
}

/// Inspectors, their enrollment tokens and their devices (登记与设备).
#[async_trait]
pub trait Devices: Send + Sync {
    async fn add_inspector(&self, inspector: &Inspector) -> Result<()>;

    async fn inspectors(&self) -> Result<Vec<Inspector>>;

    /// Inspectors are few (an office's staff), so both stores find one in the full list.
    async fn inspector_by_name(&self, name: &str) -> Result<Option<Inspector>> {
        Ok(self.inspectors().await?.into_iter().find(|i| i.name == name))
    }

    /// Keep a token's SHA-256 (never the token) with its expiry.
    async fn add_enroll_token(
        &self,
        token_sha256: &str,
        inspector: InspectorId,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()>;

    /// Spend the token and register the device, in one transaction: `bad_token`,
    /// `inspector_mismatch` or `already_enrolled` leave the token unspent.
    async fn enroll(&self, token_sha256: &str, device: &NewDevice, now: DateTime<Utc>) -> Result<Device>;

    async fn device(&self, id: DeviceId) -> Result<Option<Device>>;

    async fn devices(&self) -> Result<Vec<Device>>;

    /// `not_found` for an unknown device; revoking twice keeps the first time.
    async fn revoke_device(&self, id: DeviceId, now: DateTime<Utc>) -> Result<()>;
}

/// The exchange with a laptop: manifests, the blobs they name, the commit and its receipt.
#[async_trait]
pub trait Exchange: Send + Sync {
    /// Store a manifest as `open`, or give the state of the same batch received before.
    async fn open_batch(&self, batch: &NewBatch, now: DateTime<Utc>) -> Result<BatchState>;

    /// The size of `sha256` if an open batch of `device` names it.
    async fn expected_blob(&self, device: DeviceId, sha256: &Sha256Hex) -> Result<Option<u64>>;

    /// The size of `sha256` if the office holds it.
    async fn stored_blob(&self, sha256: &Sha256Hex) -> Result<Option<u64>>;

    /// Note that the blob store holds `sha256` (after it was verified and made visible).
    async fn record_blob(&self, sha256: &Sha256Hex, size: u64, now: DateTime<Utc>) -> Result<()>;

    /// Commit an open batch of `device` in one transaction, or give the receipt of a committed
    /// one again. The receipt is signed with `key` inside the transaction and stored with it.
    async fn commit(
        &self,
        device: DeviceId,
        batch_id: uuid::Uuid,
        key: &ServerKey,
        now: DateTime<Utc>,
    ) -> Result<SignedReceipt>;

    /// Every committed batch, newest first.
    async fn committed_batches(&self) -> Result<Vec<CommittedBatch>>;
}

/// The latest state of every record the laptops sent (findings, visits, evidence …).
#[async_trait]
pub trait Records: Send + Sync {
    /// The latest state of every entity of a kind, oldest change first.
    async fn records(&self, entity: EntityKind) -> Result<Vec<StoredRecord>>;

    async fn record(&self, entity: EntityKind, entity_id: &str) -> Result<Option<StoredRecord>>;

    /// The latest state of the records of `entity` among `ids`.
    async fn records_in(&self, entity: EntityKind, ids: &[String]) -> Result<Vec<StoredRecord>>;

    /// The latest state of the records of `entity` whose parent (an evidence file's finding, a
    /// copy's evidence file) is among `parents`.
    async fn records_under(&self, entity: EntityKind, parents: &[String]) -> Result<Vec<StoredRecord>>;
}

/// What the office sends back to the laptops through pull: decisions, templates, plans.
#[async_trait]
pub trait Events: Send + Sync {
    /// Append an office event; `subject` is the finding (or other record) it is about.
    async fn append_event(
        &self,
        audience: Audience,
        subject: Option<&str>,
        body: &OfficeEventBody,
        at: DateTime<Utc>,
    ) -> Result<u64>;

    /// Events for `inspector` (theirs and everyone's) after `since`, at most `limit`.
    async fn events_for(&self, inspector: InspectorId, since: u64, limit: usize) -> Result<Vec<OfficeEvent>>;

    /// The body of the last event of `kind` published to everyone.
    async fn latest_broadcast(&self, kind: &str) -> Result<Option<OfficeEventBody>>;

    /// Every finding decision (`finding_returned`, `finding_accepted`) as (finding id, kind), in order.
    async fn finding_decisions(&self) -> Result<Vec<(String, String)>>;
}

/// The office's own work as versioned documents: reviews (审核), ledger problems (台账), notices
/// (通报), accounts and settings, each `kind` a role of its own over one table.
#[async_trait]
pub trait Documents: Send + Sync {
    /// Every document of `kind`, in id order.
    async fn docs(&self, kind: &str) -> Result<Vec<Doc>>;

    async fn doc(&self, kind: &str, id: &str) -> Result<Option<Doc>>;

    /// Apply `writes` and append `events` in one transaction, or nothing at all: a write whose
    /// `expect` is not the stored version (0 = absent) fails the whole call with `conflict`.
    /// Every new version (or deletion) is kept in `office_doc_log` with `by` and `now`.
    /// Answers the seqs of the appended events, in order.
    async fn write_docs(
        &self,
        writes: Vec<DocWrite>,
        events: Vec<NewEvent>,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<u64>>;

    /// The documents of `kind` among `ids`, in id order.
    async fn docs_in(&self, kind: &str, ids: &[String]) -> Result<Vec<Doc>>;
}

/// The console's read model: its SQL for the paged reads, and the one-time rebuild.
#[async_trait]
pub trait ReadModel: Send + Sync {
    /// The read model's SQL, for the paged reads written once in [`read_model`].
    fn sql(&self) -> &dyn read_model::Sql;

    /// Run `stmts` in one transaction: the read model's one-time rebuild.
    async fn apply(&self, stmts: Vec<read_model::Stmt>) -> Result<()>;
}

/// What the chain-of-custody checks read (证据链).
#[async_trait]
pub trait Custody: Send + Sync {
    /// The raw bytes the chain-of-custody checks read: devices, committed batches, changes,
    /// the log, the daily heads and the blob list (see [`mingcha_office::custody`]).
    async fn custody_holdings(&self) -> Result<mingcha_office::custody::Holdings>;

    /// Every signed daily head, oldest first.
    async fn custody_heads(&self) -> Result<Vec<mingcha_core::custody::SignedTreeHead>>;

    /// The log's stored leaf hashes, in index order.
    async fn custody_leaves(&self) -> Result<Vec<mingcha_core::custody::Hash>>;
}

/// The audit log (审计日志): append-only.
#[async_trait]
pub trait Audit: Send + Sync {
    /// Append one row to the audit log.
    async fn append_audit(&self, entry: &AuditEntry) -> Result<()>;

    /// Read the audit log, newest first.
    async fn audit(&self, query: &AuditQuery) -> Result<AuditPage>;
}

/// The office's storage: every role above, on one database. Methods take `now` rather than
/// reading a clock, so callers decide what time it is. A use case needs only the roles it
/// names; `&dyn Repo` gives them all.
#[async_trait]
pub trait Repo:
    Devices + Exchange + Records + Events + Documents + ReadModel + Custody + Audit + std::fmt::Debug
{
    async fn counts(&self) -> Result<Counts>;
}

/// Open the office's tables (PostgreSQL at `database_url` if there is one, else the SQLite file
/// at `sqlite_path`) and bring their schema up to date.
pub async fn open(database_url: Option<&str>, sqlite_path: &std::path::Path) -> Result<Arc<dyn Repo>> {
    match database_url {
        Some(url) => Ok(Arc::new(postgres::PgRepo::connect(url).await?)),
        None => Ok(Arc::new(sqlite::SqliteRepo::open(sqlite_path).await?)),
    }
}

/// The row a `record` upsert writes, derived from a change.
pub(crate) fn outcome_name(stored: bool) -> mingcha_core::sync::ItemOutcome {
    if stored { mingcha_core::sync::ItemOutcome::Stored } else { mingcha_core::sync::ItemOutcome::AlreadyThere }
}

/// `u64` seqs and sizes live in signed 64-bit columns on both databases.
pub(crate) fn to_i64(n: u64) -> Result<i64> {
    i64::try_from(n).map_err(|_| RepoError::BadRequest(format!("{n} is out of range")))
}

pub(crate) fn to_u64(n: i64) -> Result<u64> {
    u64::try_from(n).map_err(|_| RepoError::Internal(format!("negative value {n} in a count column")))
}

/// A fault hook for the tests that kill the office mid-commit: with
/// `MINGCHA_SERVER_FAULT=abort-mid-commit` the process aborts inside the commit transaction,
/// after every insert and before COMMIT, the worst instant for a crash. Unset, it does nothing.
pub(crate) fn fault_point(name: &str) {
    // Read once: the commit path should not look up the environment on every batch.
    static FAULT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if FAULT.get_or_init(|| std::env::var("MINGCHA_SERVER_FAULT").ok()).as_deref() == Some(name) {
        std::process::abort();
    }
}

/// Enrollment answered twice: a device whose first answer was lost on the way (a cut
/// connection) sends the same token, id and key again. The token is spent, but it was spent
/// by exactly this device, so the office gives the same registration back instead of leaving
/// the laptop unable to enroll at all. Nothing secret is in the answer.
pub(crate) fn repeated_enrollment(
    spent_by: Option<DeviceId>,
    existing: Option<Device>,
    d: &NewDevice,
) -> Result<Device> {
    match existing {
        Some(device) if spent_by == Some(d.id) && device.public_key == d.public_key => {
            if device.revoked_at.is_some() {
                Err(RepoError::DeviceRevoked)
            } else {
                Ok(device)
            }
        }
        _ => Err(RepoError::BadToken),
    }
}

/// A value read back from either store's text columns.
pub(crate) fn parse<T: std::str::FromStr>(s: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e| RepoError::Internal(format!("bad value `{s}` in the database: {e}")))
}

pub(crate) fn json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| RepoError::Internal(format!("bad JSON in the database: {e}")))
}

/// The conflict error of a document write, named as a person reads it.
pub(crate) fn doc_conflict(w: &DocWrite) -> RepoError {
    RepoError::Conflict(format!("{} {}", w.kind, w.id))
}

/// An event's `kind` tag and JSON body, as both stores keep them.
pub(crate) fn event_parts(body: &OfficeEventBody) -> Result<(String, serde_json::Value)> {
    let value = serde_json::to_value(body).map_err(|e| RepoError::Internal(e.to_string()))?;
    let kind = value.get("kind").and_then(|k| k.as_str()).unwrap_or_default().to_owned();
    Ok((kind, value))
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| RepoError::Internal(format!("JSON: {e}")))
}
