//! The inspector's local store: everything recorded in the field, encrypted, on the laptop.
//!
//! A data directory holds `mingcha.db` (SQLite encrypted with SQLCipher) and `key.json` (the
//! data key sealed by the passphrase, see [`keyfile`]). [`Store::init`] makes one,
//! [`Store::unlock`] opens one. Every write goes through one transaction that also appends to
//! the change log, so the log (the sync outbox) and the tables can never disagree.
//!
//! **Architecture invariant:** this crate knows nothing of Tauri, HTTP or terminals. It takes
//! time from a [`Clock`] it is given, and its errors carry stable codes ([`StoreError::code`]).

#![forbid(unsafe_code)]

pub mod catalog;
mod changelog;
pub mod checklists;
pub mod db;
pub mod device_key;
mod error;
pub mod evidence;
pub mod findings;
pub mod keyfile;
pub mod plans;
mod search;
pub mod sync;
pub mod units;
pub mod visits;

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use mingcha_core::change::{ChangeOp, EntityKind};
use mingcha_core::clock::Clock;
use mingcha_core::id::{DeviceId, InspectorId};
use mingcha_core::taxonomy::Taxonomy;
use rusqlite::{Connection, Transaction};
use serde::Serialize;
use uuid::{Timestamp, Uuid};

pub use changelog::{ChainCheck, ChainProblem, UnreadableChange};
pub use error::{Result, StoreError};
pub use keyfile::{DataKey, EvidenceKeys, KdfParams};
pub use search::FindingQuery;

/// The system clock, for real use. Tests pass a fixed one.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Where a store's files are.
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }
    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn database(&self) -> PathBuf {
        self.root.join("mingcha.db")
    }
    pub fn key_file(&self) -> PathBuf {
        self.root.join("key.json")
    }
    pub fn is_initialised(&self) -> bool {
        self.key_file().exists()
    }
}

/// Who this laptop is: its inspector and its device id, fixed at `init`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Identity {
    pub inspector_id: InspectorId,
    pub inspector_name: String,
    pub device_id: DeviceId,
}

/// An open, unlocked store.
pub struct Store {
    conn: Connection,
    identity: Identity,
    clock: Arc<dyn Clock>,
    /// The live taxonomy: what the category picker offers and a new finding may name.
    taxonomy: Taxonomy,
    /// "散 / 脱岗离岗" by leaf code, retired categories included: every listed finding shows one.
    labels: HashMap<String, String>,
    /// Derived from the data key at unlock; dropped (and wiped) with the store when it locks.
    evidence_keys: Arc<EvidenceKeys>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("identity", &self.identity).finish_non_exhaustive()
    }
}

/// Options for [`Store::init`].
#[derive(Debug, Clone)]
pub struct InitOptions {
    pub inspector_name: String,
    pub device_name: String,
    pub kdf: KdfParams,
}

impl Store {
    /// Create a new store in `dir` (made if missing): a fresh data key sealed by `passphrase`,
    /// the schema, the built-in taxonomy and templates, and this inspector and device.
    /// An existing store is never touched; a failure part way leaves no store behind.
    pub fn init(dir: &DataDir, passphrase: &str, opts: &InitOptions, clock: Arc<dyn Clock>) -> Result<Self> {
        if dir.is_initialised() || dir.database().exists() {
            return Err(StoreError::AlreadyInitialised(dir.root().to_owned()));
        }
        let name = mingcha_core::text::required("inspector name", &opts.inspector_name, 50)?;
        let device_name = mingcha_core::text::required("device name", &opts.device_name, 100)?;
        check_passphrase(passphrase)?;
        fs::create_dir_all(dir.root()).map_err(StoreError::io(format!("creating {}", dir.root().display())))?;
        let key = DataKey::generate()?;
        let made = (|| {
            let mut conn = Self::open_with_key(dir, &key, clock.as_ref())?;
            let identity = create_identity(&mut conn, clock.now(), &name, &device_name)?;
            keyfile::seal(&dir.key_file(), &key, passphrase, opts.kdf)?;
            Self::assemble(conn, identity, clock, key.evidence_keys())
        })();
        if made.is_err() {
            for suffix in ["", "-wal", "-shm"] {
                let _ = fs::remove_file(format!("{}{suffix}", dir.database().display()));
            }
        }
        made
    }

    /// Open the store in `dir` with the inspector's passphrase.
    pub fn unlock(dir: &DataDir, passphrase: &str, clock: Arc<dyn Clock>) -> Result<Self> {
        if !dir.is_initialised() {
            return Err(StoreError::NotInitialised(dir.root().to_owned()));
        }
        let key = keyfile::unseal(&dir.key_file(), passphrase)?;
        let conn = Self::open_with_key(dir, &key, clock.as_ref())?;
        let identity = identity(&conn)?;
        Self::assemble(conn, identity, clock, key.evidence_keys())
    }

    /// Re-seal the data key under a new passphrase. The database is not rewritten.
    pub fn change_passphrase(dir: &DataDir, old: &str, new: &str, kdf: KdfParams) -> Result<()> {
        check_passphrase(new)?;
        let key = keyfile::unseal(&dir.key_file(), old)?;
        keyfile::seal(&dir.key_file(), &key, new, kdf)
    }

    fn open_with_key(dir: &DataDir, key: &DataKey, clock: &dyn Clock) -> Result<Connection> {
        let mut conn = db::open(&dir.database(), key)?;
        changelog::link_unlinked(&mut conn)?;
        catalog::load_builtin(&conn, clock.now())?;
        Ok(conn)
    }

    fn assemble(conn: Connection, identity: Identity, clock: Arc<dyn Clock>, keys: EvidenceKeys) -> Result<Self> {
        let mut store = Self {
            conn,
            identity,
            clock,
            taxonomy: Taxonomy { version: 0, categories: vec![] },
            labels: HashMap::new(),
            evidence_keys: Arc::new(keys),
        };
        store.reload_catalogue()?;
        Ok(store)
    }

    /// Read the taxonomy and the category labels again, after something changed them in the
    /// database (a taxonomy the office published, applied by a sync).
    pub(crate) fn reload_catalogue(&mut self) -> Result<()> {
        self.taxonomy = catalog::taxonomy(&self.conn)?;
        self.labels = catalog::labels(&self.conn)?;
        Ok(())
    }

    /// How a category shows in a list, "散 / 脱岗离岗"; an unknown code shows as itself.
    pub fn category_label(&self, code: &str) -> String {
        self.labels.get(code).cloned().unwrap_or_else(|| code.to_owned())
    }

    /// The keys mingcha-evidence seals and names the evidence files with. The store itself
    /// never reads or writes evidence bytes.
    pub fn evidence_keys(&self) -> Arc<EvidenceKeys> {
        Arc::clone(&self.evidence_keys)
    }

    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    pub fn taxonomy(&self) -> &Taxonomy {
        &self.taxonomy
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The raw connection, for benchmarks that compare against plain SQL and for diagnostics.
    /// Writing through it bypasses the change log: don't.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Run `f` in one transaction that stamps every change with this device and one instant.
    pub(crate) fn write<T>(&mut self, f: impl FnOnce(&mut Writer<'_>) -> Result<T>) -> Result<T> {
        write(&mut self.conn, self.identity.device_id, self.clock.now(), f)
    }
}

fn write<T>(
    conn: &mut Connection,
    device: DeviceId,
    now: DateTime<Utc>,
    f: impl FnOnce(&mut Writer<'_>) -> Result<T>,
) -> Result<T> {
    let mut w = Writer { tx: conn.transaction()?, device, now };
    let out = f(&mut w)?;
    w.tx.commit()?;
    Ok(out)
}

fn check_passphrase(passphrase: &str) -> Result<()> {
    if passphrase.chars().count() < 8 {
        return Err(mingcha_core::ValidationError::Inconsistent {
            field: "passphrase",
            reason: "use at least 8 characters: it guards covert-visit material".into(),
        }
        .into());
    }
    Ok(())
}

/// Make this laptop's inspector and device, at `init`.
fn create_identity(conn: &mut Connection, now: DateTime<Utc>, name: &str, device_name: &str) -> Result<Identity> {
    let identity = Identity {
        inspector_id: InspectorId::from_uuid(new_id(now)),
        inspector_name: name.to_owned(),
        device_id: DeviceId::from_uuid(new_id(now)),
    };
    write(conn, identity.device_id, now, |w| {
        let at = w.now_text();
        let (inspector, device) = (identity.inspector_id.to_string(), identity.device_id.to_string());
        w.execute("INSERT INTO inspector (id, name, created_at) VALUES (?1, ?2, ?3)", (&inspector, name, &at))?;
        w.execute(
            "INSERT INTO device (id, inspector_id, name, created_at) VALUES (?1, ?2, ?3, ?4)",
            (&device, &inspector, device_name, &at),
        )?;
        db::set_meta(w, "inspector_id", &inspector)?;
        db::set_meta(w, "device_id", &device)?;
        let public_key = device_key::create(w)?;
        let payload = serde_json::json!({"id": inspector, "name": name, "created_at": at});
        w.log(EntityKind::Inspector, &inspector, ChangeOp::Create, &payload)?;
        let payload = serde_json::json!({
            "id": device, "inspector_id": inspector, "name": device_name, "public_key": public_key, "created_at": at,
        });
        w.log(EntityKind::Device, &device, ChangeOp::Create, &payload)?;
        Ok(())
    })?;
    Ok(identity)
}

fn identity(conn: &Connection) -> Result<Identity> {
    let get = |k: &str| db::meta(conn, k)?.ok_or_else(|| StoreError::Corrupt(format!("meta `{k}` is missing")));
    let inspector_id: InspectorId = get("inspector_id")?.parse()?;
    let device_id: DeviceId = get("device_id")?.parse()?;
    let inspector_name =
        conn.query_row("SELECT name FROM inspector WHERE id = ?1", [inspector_id.to_string()], |r| r.get(0))?;
    Ok(Identity { inspector_id, inspector_name, device_id })
}

/// A fresh UUIDv7 at `now`.
pub(crate) fn new_id(now: DateTime<Utc>) -> Uuid {
    let secs = u64::try_from(now.timestamp()).unwrap_or(0);
    Uuid::new_v7(Timestamp::from_unix(uuid::NoContext, secs, now.timestamp_subsec_nanos()))
}

/// An open write transaction with the device and instant every change is stamped with.
pub(crate) struct Writer<'a> {
    tx: Transaction<'a>,
    device: DeviceId,
    now: DateTime<Utc>,
}

impl Writer<'_> {
    pub(crate) fn new_id(&self) -> Uuid {
        new_id(self.now)
    }

    pub(crate) fn now_text(&self) -> String {
        time_text(self.now)
    }

    /// Append to the change log; called by every write, in its transaction.
    pub(crate) fn log(
        &self,
        entity: EntityKind,
        entity_id: &str,
        op: ChangeOp,
        payload: &impl Serialize,
    ) -> Result<()> {
        changelog::append(&self.tx, self.device, self.now, entity, entity_id, op, payload)
    }
}

impl std::ops::Deref for Writer<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.tx
    }
}

/// How record times are stored: RFC 3339 in UTC with fixed precision, so text order is time order.
pub(crate) fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(crate) fn parse_time(s: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).map_err(|e| conversion(0, e))
}

/// A stored text column that does not read back as its type.
pub(crate) fn conversion(column: usize, e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, Box::new(e))
}

/// Read an id column into its newtype.
pub(crate) fn parse_id<T: std::str::FromStr<Err = mingcha_core::ValidationError>>(s: &str) -> rusqlite::Result<T> {
    s.parse().map_err(|e| conversion(0, e))
}

/// Find a live record of `table` by its full id or a unique prefix of it (at least 4 characters),
/// the way a person copies an id from a listing.
pub(crate) fn resolve_id(conn: &Connection, table: &'static str, what: &'static str, key: &str) -> Result<String> {
    let key = key.trim();
    if key.len() < 4 {
        return Err(StoreError::not_found(what, key));
    }
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id FROM {table} WHERE id >= ?1 AND id < ?1 || 'g' AND deleted_at IS NULL ORDER BY id LIMIT 6"
    ))?;
    let ids: Vec<String> = stmt.query_map([key.to_ascii_lowercase()], |r| r.get(0))?.collect::<Result<_, _>>()?;
    match ids.len() {
        0 => Err(StoreError::not_found(what, key)),
        1 => Ok(ids.into_iter().next().expect("one")),
        _ => Err(StoreError::Ambiguous { what, key: key.to_owned(), candidates: ids.join(", ") }),
    }
}
