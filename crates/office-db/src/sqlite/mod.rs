//! The tables in SQLite (`DIR/office.db`): one connection behind a mutex, used inside
//! `spawn_blocking`. WAL lets the admin commands read and write while the server runs; each
//! write that must not interleave starts with `BEGIN IMMEDIATE`, which takes the database's
//! write lock at once (across processes too), so two commits of one batch run one after the
//! other and the second finds it committed.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mingcha_core::change::{ChangeOp, EntityKind};
use mingcha_core::custody::Hash;
use mingcha_core::evidence::Sha256Hex;
use mingcha_core::id::{DeviceId, InspectorId};
use mingcha_core::sync::{BatchState, OfficeEvent, OfficeEventBody, SignedReceipt};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::prelude::*;
use super::{Audience, Counts, Device, Doc, DocWrite, Inspector, NewBatch, NewDevice, NewEvent};
use super::{CommittedBatch, StoredRecord};
use super::{json, parse, to_i64, to_json, to_u64};
use crate::error::{RepoError, Result};
use crate::key::ServerKey;
use crate::migrate;

mod audit;
mod custody;
mod docs;
mod exchange;
mod read;

#[derive(Debug, Clone)]
pub struct SqliteRepo {
    conn: Arc<Mutex<Connection>>,
}

impl SqliteRepo {
    /// The one place that opens `office.db`: WAL, foreign keys, a busy timeout so the admin
    /// commands wait for the server's write lock rather than fail, `synchronous = FULL` so a
    /// committed receipt survives a power cut, then the migrations.
    pub async fn open(path: &Path) -> Result<Self> {
        let path = path.to_owned();
        let conn = tokio::task::spawn_blocking(move || -> Result<Connection> {
            let mut conn = Connection::open(&path)?;
            conn.busy_timeout(Duration::from_secs(10))?;
            let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(RepoError::Internal(format!("{} refused WAL mode ({mode})", path.display())));
            }
            conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;")?;
            migrate(&mut conn)?;
            Ok(conn)
        })
        .await
        .map_err(|e| RepoError::Internal(format!("opening the database: {e}")))??;
        Ok(Self { conn: Arc::new(Mutex::new(conn)) })
    }

    async fn run<T: Send + 'static>(&self, f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static) -> Result<T> {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut conn = conn.lock().map_err(|_| RepoError::Internal("the database mutex is poisoned".into()))?;
            f(&mut conn)
        })
        .await
        .map_err(|e| RepoError::Internal(format!("database task: {e}")))?
    }
}

fn migrate(conn: &mut Connection) -> Result<()> {
    conn.execute_batch(migrate::SQLITE_TABLE)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let applied = tx
        .prepare("SELECT version, sha256 FROM schema_migration")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<(i64, String)>>>()?;
    for step in migrate::pending(migrate::SQLITE, &applied)? {
        let m = step.migration;
        tx.execute_batch(m.sql)?;
        tx.execute(
            "INSERT INTO schema_migration (version, name, sha256, applied_at) VALUES (?1, ?2, ?3, ?4)",
            params![m.version, m.name, step.sha256, ts(&Utc::now())],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// Times as fixed-width UTC text, so that text order is time order.
fn ts(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| RepoError::Internal(format!("bad time `{s}` in the database: {e}")))
}

const DEVICE_SELECT: &str = "SELECT d.id, d.name, d.inspector_id, i.name, d.public_key, d.enrolled_at, d.revoked_at,
    d.acked_seq FROM device d JOIN inspector i ON i.id = d.inspector_id";

type DeviceRow = (String, String, String, String, String, String, Option<String>, i64);

fn device_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeviceRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
}

fn device_from(row: DeviceRow) -> Result<Device> {
    let (id, name, inspector_id, inspector_name, public_key, enrolled_at, revoked_at, acked) = row;
    Ok(Device {
        id: parse(&id)?,
        name,
        inspector_id: parse(&inspector_id)?,
        inspector_name,
        public_key,
        enrolled_at: parse_ts(&enrolled_at)?,
        revoked_at: revoked_at.as_deref().map(parse_ts).transpose()?,
        acked_seq: to_u64(acked)?,
    })
}

fn device_in(conn: &Connection, id: DeviceId) -> Result<Option<Device>> {
    let sql = format!("{DEVICE_SELECT} WHERE d.id = ?1");
    conn.query_row(&sql, [id.to_string()], device_row).optional()?.map(device_from).transpose()
}

pub(super) type RecordRow = (String, String, String, String, String, String, String, String, String);

pub(super) fn record_from(row: RecordRow) -> Result<StoredRecord> {
    let (entity, entity_id, op, payload, changed_at, change_id, device_id, inspector_name, batch_id) = row;
    Ok(StoredRecord {
        entity: parse::<EntityKind>(&entity)?,
        entity_id,
        op: parse::<ChangeOp>(&op)?,
        payload: json(&payload)?,
        changed_at: parse_ts(&changed_at)?,
        change_id: parse(&change_id)?,
        device_id: parse(&device_id)?,
        inspector_name,
        batch_id: parse(&batch_id)?,
    })
}

pub(super) const RECORD_SELECT: &str =
    "SELECT r.entity, r.entity_id, r.op, r.payload, r.changed_at, r.change_id, r.device_id,
    i.name, c.batch_id FROM record r JOIN device d ON d.id = r.device_id JOIN inspector i ON i.id = d.inspector_id
    JOIN change c ON c.id = r.change_id";

pub(super) fn record_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RecordRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?))
}

#[async_trait]
impl Devices for SqliteRepo {
    async fn add_inspector(&self, inspector: &Inspector) -> Result<()> {
        let i = inspector.clone();
        self.run(move |c| {
            let n = c.execute(
                "INSERT INTO inspector (id, name, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO NOTHING",
                params![i.id.to_string(), i.name, ts(&i.created_at)],
            )?;
            if n == 0 { Err(RepoError::InspectorExists(i.name)) } else { Ok(()) }
        })
        .await
    }

    async fn inspectors(&self) -> Result<Vec<Inspector>> {
        self.run(|c| {
            let mut stmt = c.prepare("SELECT id, name, created_at FROM inspector ORDER BY name")?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get::<_, String>(2)?)))?;
            let mut out = Vec::new();
            for row in rows {
                let (id, name, created_at) = row?;
                out.push(Inspector { id: parse(&id)?, name, created_at: parse_ts(&created_at)? });
            }
            Ok(out)
        })
        .await
    }

    async fn add_enroll_token(
        &self,
        token_sha256: &str,
        inspector: InspectorId,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let token = token_sha256.to_owned();
        self.run(move |c| {
            c.execute(
                "INSERT INTO enroll_token (token_sha256, inspector_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![token, inspector.to_string(), ts(&now), ts(&expires_at)],
            )?;
            Ok(())
        })
        .await
    }

    async fn enroll(&self, token_sha256: &str, device: &NewDevice, now: DateTime<Utc>) -> Result<Device> {
        let (token, d) = (token_sha256.to_owned(), device.clone());
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let row: Option<(String, String, String, Option<String>, Option<String>)> = tx
                .query_row(
                    "SELECT t.inspector_id, i.name, t.expires_at, t.spent_at, t.spent_by FROM enroll_token t
                     JOIN inspector i ON i.id = t.inspector_id WHERE t.token_sha256 = ?1",
                    [&token],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .optional()?;
            let Some((inspector_id, inspector_name, expires_at, spent_at, spent_by)) = row else {
                return Err(RepoError::BadToken);
            };
            if spent_at.is_some() {
                let spent_by = spent_by.and_then(|s| s.parse().ok());
                return super::repeated_enrollment(spent_by, device_in(&tx, d.id)?, &d);
            }
            if parse_ts(&expires_at)? <= now {
                return Err(RepoError::BadToken);
            }
            if inspector_name != d.inspector_name.trim() {
                return Err(RepoError::InspectorMismatch { expected: inspector_name, given: d.inspector_name });
            }
            let taken: i64 = tx.query_row(
                "SELECT count(*) FROM device WHERE id = ?1 OR public_key = ?2",
                params![d.id.to_string(), d.public_key],
                |r| r.get(0),
            )?;
            if taken > 0 {
                return Err(RepoError::AlreadyEnrolled);
            }
            tx.execute(
                "INSERT INTO device (id, inspector_id, name, public_key, enrolled_at, chain_head)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![d.id.to_string(), inspector_id, d.name, d.public_key, ts(&now), Hash::GENESIS.to_hex()],
            )?;
            tx.execute(
                "UPDATE enroll_token SET spent_at = ?1, spent_by = ?2 WHERE token_sha256 = ?3",
                params![ts(&now), d.id.to_string(), token],
            )?;
            let device = device_in(&tx, d.id)?.ok_or_else(|| RepoError::Internal("enrolled device vanished".into()))?;
            tx.commit()?;
            Ok(device)
        })
        .await
    }

    async fn device(&self, id: DeviceId) -> Result<Option<Device>> {
        self.run(move |c| device_in(c, id)).await
    }

    async fn devices(&self) -> Result<Vec<Device>> {
        self.run(|c| {
            let mut stmt = c.prepare(&format!("{DEVICE_SELECT} ORDER BY i.name, d.enrolled_at"))?;
            let rows = stmt.query_map([], device_row)?;
            rows.map(|r| device_from(r?)).collect()
        })
        .await
    }

    async fn revoke_device(&self, id: DeviceId, now: DateTime<Utc>) -> Result<()> {
        self.run(move |c| {
            let n = c.execute(
                "UPDATE device SET revoked_at = coalesce(revoked_at, ?1) WHERE id = ?2",
                params![ts(&now), id.to_string()],
            )?;
            if n == 0 { Err(RepoError::NotFound(format!("no device {id}"))) } else { Ok(()) }
        })
        .await
    }
}

#[async_trait]
impl Exchange for SqliteRepo {
    async fn open_batch(&self, batch: &NewBatch, now: DateTime<Utc>) -> Result<BatchState> {
        let batch = batch.clone();
        self.run(move |c| exchange::open_batch(c, &batch, now)).await
    }

    async fn expected_blob(&self, device: DeviceId, sha256: &Sha256Hex) -> Result<Option<u64>> {
        let sha = sha256.as_str().to_owned();
        self.run(move |c| {
            let size: Option<i64> = c
                .query_row(
                    "SELECT bb.size FROM batch_blob bb JOIN batch b ON b.id = bb.batch_id
                     WHERE b.device_id = ?1 AND b.stage = 'open' AND bb.sha256 = ?2 LIMIT 1",
                    params![device.to_string(), sha],
                    |r| r.get(0),
                )
                .optional()?;
            size.map(to_u64).transpose()
        })
        .await
    }

    async fn stored_blob(&self, sha256: &Sha256Hex) -> Result<Option<u64>> {
        let sha = sha256.as_str().to_owned();
        self.run(move |c| {
            let size: Option<i64> =
                c.query_row("SELECT size FROM blob WHERE sha256 = ?1", [sha], |r| r.get(0)).optional()?;
            size.map(to_u64).transpose()
        })
        .await
    }

    async fn record_blob(&self, sha256: &Sha256Hex, size: u64, now: DateTime<Utc>) -> Result<()> {
        let sha = sha256.as_str().to_owned();
        self.run(move |c| {
            c.execute(
                "INSERT INTO blob (sha256, size, stored_at) VALUES (?1, ?2, ?3) ON CONFLICT (sha256) DO NOTHING",
                params![sha, to_i64(size)?, ts(&now)],
            )?;
            Ok(())
        })
        .await
    }

    async fn commit(
        &self,
        device: DeviceId,
        batch_id: uuid::Uuid,
        key: &ServerKey,
        now: DateTime<Utc>,
    ) -> Result<SignedReceipt> {
        let key = key.clone();
        self.run(move |c| exchange::commit(c, device, batch_id, &key, now)).await
    }

    async fn committed_batches(&self) -> Result<Vec<CommittedBatch>> {
        self.run(docs::committed_batches).await
    }
}

#[async_trait]
impl Records for SqliteRepo {
    async fn records(&self, entity: EntityKind) -> Result<Vec<StoredRecord>> {
        self.run(move |c| {
            let mut stmt =
                c.prepare(&format!("{RECORD_SELECT} WHERE r.entity = ?1 ORDER BY r.changed_at, r.entity_id"))?;
            let rows = stmt.query_map([entity.as_str()], record_row)?;
            rows.map(|r| record_from(r?)).collect()
        })
        .await
    }

    async fn record(&self, entity: EntityKind, entity_id: &str) -> Result<Option<StoredRecord>> {
        let id = entity_id.to_owned();
        self.run(move |c| {
            let sql = format!("{RECORD_SELECT} WHERE r.entity = ?1 AND r.entity_id = ?2");
            c.query_row(&sql, params![entity.as_str(), id], record_row).optional()?.map(record_from).transpose()
        })
        .await
    }

    async fn records_in(&self, entity: EntityKind, ids: &[String]) -> Result<Vec<StoredRecord>> {
        let ids = ids.to_vec();
        self.run(move |c| read::records_where(c, entity.as_str(), "entity_id", &ids)).await
    }

    async fn records_under(&self, entity: EntityKind, parents: &[String]) -> Result<Vec<StoredRecord>> {
        let ids = parents.to_vec();
        self.run(move |c| read::records_where(c, entity.as_str(), "parent_id", &ids)).await
    }
}

#[async_trait]
impl Events for SqliteRepo {
    async fn append_event(
        &self,
        audience: Audience,
        subject: Option<&str>,
        body: &OfficeEventBody,
        at: DateTime<Utc>,
    ) -> Result<u64> {
        let (kind, value) = super::event_parts(body)?;
        let (body, subject) = (to_json(&value)?, subject.map(str::to_owned));
        let inspector = match audience {
            Audience::Everyone => None,
            Audience::Inspector(id) => Some(id.to_string()),
        };
        self.run(move |c| {
            c.execute(
                "INSERT INTO office_event (inspector_id, kind, subject, body, at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![inspector, kind, subject, body, ts(&at)],
            )?;
            to_u64(c.last_insert_rowid())
        })
        .await
    }

    async fn events_for(&self, inspector: InspectorId, since: u64, limit: usize) -> Result<Vec<OfficeEvent>> {
        let (since, limit) = (to_i64(since)?, i64::try_from(limit).unwrap_or(i64::MAX));
        self.run(move |c| {
            let mut stmt = c.prepare(
                "SELECT seq, at, body FROM office_event WHERE seq > ?1 AND (inspector_id IS NULL OR inspector_id = ?2)
                 ORDER BY seq LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![since, inspector.to_string(), limit], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (seq, at, body) = row?;
                out.push(OfficeEvent { seq: to_u64(seq)?, at: parse_ts(&at)?, body: json(&body)? });
            }
            Ok(out)
        })
        .await
    }

    async fn latest_broadcast(&self, kind: &str) -> Result<Option<OfficeEventBody>> {
        let kind = kind.to_owned();
        self.run(move |c| {
            let body: Option<String> = c
                .query_row(
                    "SELECT body FROM office_event WHERE kind = ?1 AND inspector_id IS NULL ORDER BY seq DESC LIMIT 1",
                    [kind],
                    |r| r.get(0),
                )
                .optional()?;
            body.as_deref().map(json).transpose()
        })
        .await
    }

    async fn finding_decisions(&self) -> Result<Vec<(String, String)>> {
        self.run(|c| {
            let mut stmt = c.prepare(
                "SELECT subject, kind FROM office_event WHERE kind IN ('finding_returned', 'finding_accepted')
                 AND subject IS NOT NULL ORDER BY seq",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
        .await
    }
}

#[async_trait]
impl Documents for SqliteRepo {
    async fn docs(&self, kind: &str) -> Result<Vec<Doc>> {
        let kind = kind.to_owned();
        self.run(move |c| docs::docs(c, &kind)).await
    }

    async fn doc(&self, kind: &str, id: &str) -> Result<Option<Doc>> {
        let (kind, id) = (kind.to_owned(), id.to_owned());
        self.run(move |c| docs::doc(c, &kind, &id)).await
    }

    async fn write_docs(
        &self,
        writes: Vec<DocWrite>,
        events: Vec<NewEvent>,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<u64>> {
        let by = by.to_owned();
        self.run(move |c| docs::write(c, &writes, &events, &by, now)).await
    }

    async fn docs_in(&self, kind: &str, ids: &[String]) -> Result<Vec<Doc>> {
        let (kind, ids) = (kind.to_owned(), ids.to_vec());
        self.run(move |c| read::docs_in(c, &kind, &ids)).await
    }
}

#[async_trait]
impl ReadModel for SqliteRepo {
    fn sql(&self) -> &dyn super::read_model::Sql {
        self
    }

    async fn apply(&self, stmts: Vec<super::read_model::Stmt>) -> Result<()> {
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            read::apply(&tx, &stmts)?;
            Ok(tx.commit()?)
        })
        .await
    }
}

#[async_trait]
impl Custody for SqliteRepo {
    async fn custody_holdings(&self) -> Result<mingcha_office::custody::Holdings> {
        self.run(custody::holdings).await
    }

    async fn custody_heads(&self) -> Result<Vec<mingcha_core::custody::SignedTreeHead>> {
        self.run(|c| {
            let mut stmt = c.prepare("SELECT head FROM custody_head ORDER BY day")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            rows.map(|r| json(&r?)).collect()
        })
        .await
    }

    async fn custody_leaves(&self) -> Result<Vec<Hash>> {
        self.run(|c| {
            let mut stmt = c.prepare("SELECT leaf_hash FROM custody_log ORDER BY idx")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            rows.map(|r| super::chain::stored_hash(&r?)).collect()
        })
        .await
    }
}

#[async_trait]
impl Audit for SqliteRepo {
    async fn append_audit(&self, entry: &super::AuditEntry) -> Result<()> {
        let entry = entry.clone();
        self.run(move |c| audit::append(c, &entry)).await
    }

    async fn audit(&self, query: &super::AuditQuery) -> Result<super::AuditPage> {
        let query = query.clone();
        self.run(move |c| audit::read(c, &query)).await
    }
}

#[async_trait]
impl Repo for SqliteRepo {
    async fn counts(&self) -> Result<Counts> {
        self.run(|c| {
            Ok(c.query_row(
                "SELECT (SELECT count(*) FROM inspector), (SELECT count(*) FROM enroll_token),
                    (SELECT count(*) FROM enroll_token WHERE spent_at IS NOT NULL),
                    (SELECT count(*) FROM device), (SELECT count(*) FROM batch),
                    (SELECT count(*) FROM batch WHERE stage = 'committed'), (SELECT count(*) FROM batch_blob),
                    (SELECT count(*) FROM change), (SELECT count(*) FROM record),
                    (SELECT count(*) FROM office_event), (SELECT count(*) FROM blob)",
                [],
                |r| {
                    Ok(Counts {
                        inspectors: r.get(0)?,
                        enroll_tokens: r.get(1)?,
                        spent_tokens: r.get(2)?,
                        devices: r.get(3)?,
                        batches: r.get(4)?,
                        committed_batches: r.get(5)?,
                        batch_blobs: r.get(6)?,
                        changes: r.get(7)?,
                        records: r.get(8)?,
                        office_events: r.get(9)?,
                        blobs: r.get(10)?,
                    })
                },
            )?)
        })
        .await
    }
}

#[async_trait]
impl super::read_model::Sql for SqliteRepo {
    async fn rows(&self, sql: String, args: Vec<super::read_model::Arg>) -> Result<Vec<Vec<super::read_model::Cell>>> {
        self.run(move |c| read::rows(c, &sql, &args)).await
    }
}
