//! The tables in PostgreSQL, through a deadpool of tokio-postgres connections. Writes that
//! must not interleave lock the device's row first (`SELECT … FOR UPDATE`): two commits of one
//! batch, or two manifests of one device, then run one after the other, and the second sees
//! what the first did. Office events take a table lock so that their sequence numbers become
//! visible in order: a pull can never pass over an event that commits later with a lower seq.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod};
use mingcha_core::change::{ChangeOp, EntityKind};
use mingcha_core::custody::Hash;
use mingcha_core::evidence::Sha256Hex;
use mingcha_core::id::{ChangeId, DeviceId, InspectorId};
use mingcha_core::sync::{BatchState, OfficeEvent, OfficeEventBody, SignedReceipt};
use tokio_postgres::{NoTls, Row};
use uuid::Uuid;

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

/// Any fixed number: the advisory lock that keeps two processes from migrating at once.
const MIGRATION_LOCK: i64 = 0x006d_696e_6763_6861;

pub struct PgRepo {
    pool: Pool,
}

impl std::fmt::Debug for PgRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgRepo").field("status", &self.pool.status()).finish()
    }
}

impl PgRepo {
    /// Connect to `url` (`postgres://user:pass@host:port/db`) and bring the schema up to date.
    pub async fn connect(url: &str) -> Result<Self> {
        let config: tokio_postgres::Config =
            url.parse().map_err(|e| RepoError::Invalid(format!("the database URL is not valid: {e}")))?;
        let manager = Manager::from_config(config, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager).max_size(16).build().map_err(|e| RepoError::Pool(e.to_string()))?;
        let repo = Self { pool };
        repo.migrate().await?;
        Ok(repo)
    }

    /// Close every connection (so that a test can drop its database at once).
    pub fn close(&self) {
        self.pool.close();
    }

    async fn migrate(&self) -> Result<()> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).await?;
        tx.batch_execute(migrate::POSTGRES_TABLE).await?;
        let applied: Vec<(i64, String)> = tx
            .query("SELECT version, sha256 FROM schema_migration", &[])
            .await?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<_>>()?;
        for step in migrate::pending(migrate::POSTGRES, &applied)? {
            let m = step.migration;
            tx.batch_execute(m.sql).await?;
            tx.execute(
                "INSERT INTO schema_migration (version, name, sha256, applied_at) VALUES ($1, $2, $3, now())",
                &[&m.version, &m.name, &step.sha256],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

const DEVICE_SELECT: &str = "SELECT d.id, d.name, d.inspector_id, i.name, d.public_key, d.enrolled_at, d.revoked_at,
    d.acked_seq FROM device d JOIN inspector i ON i.id = d.inspector_id";

fn device_from(r: &Row) -> Result<Device> {
    Ok(Device {
        id: DeviceId::from_uuid(r.try_get(0)?),
        name: r.try_get(1)?,
        inspector_id: InspectorId::from_uuid(r.try_get(2)?),
        inspector_name: r.try_get(3)?,
        public_key: r.try_get(4)?,
        enrolled_at: r.try_get(5)?,
        revoked_at: r.try_get(6)?,
        acked_seq: to_u64(r.try_get(7)?)?,
    })
}

async fn device_in(c: &impl GenericClient, id: DeviceId) -> Result<Option<Device>> {
    let sql = format!("{DEVICE_SELECT} WHERE d.id = $1");
    c.query_opt(&sql, &[id.as_uuid()]).await?.as_ref().map(device_from).transpose()
}

pub(super) const RECORD_SELECT: &str =
    "SELECT r.entity, r.entity_id, r.op, r.payload, r.changed_at, r.change_id, r.device_id,
    i.name, c.batch_id FROM record r JOIN device d ON d.id = r.device_id JOIN inspector i ON i.id = d.inspector_id
    JOIN change c ON c.id = r.change_id";

pub(super) fn record_from(r: &Row) -> Result<StoredRecord> {
    Ok(StoredRecord {
        entity: parse::<EntityKind>(r.try_get(0)?)?,
        entity_id: r.try_get(1)?,
        op: parse::<ChangeOp>(r.try_get(2)?)?,
        payload: r.try_get(3)?,
        changed_at: r.try_get(4)?,
        change_id: ChangeId::from_uuid(r.try_get(5)?),
        device_id: DeviceId::from_uuid(r.try_get(6)?),
        inspector_name: r.try_get(7)?,
        batch_id: r.try_get(8)?,
    })
}

#[async_trait]
impl Devices for PgRepo {
    async fn add_inspector(&self, inspector: &Inspector) -> Result<()> {
        let n = self
            .pool
            .get()
            .await?
            .execute(
                "INSERT INTO inspector (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
                &[inspector.id.as_uuid(), &inspector.name, &inspector.created_at],
            )
            .await?;
        if n == 0 { Err(RepoError::InspectorExists(inspector.name.clone())) } else { Ok(()) }
    }

    async fn inspectors(&self) -> Result<Vec<Inspector>> {
        let rows =
            self.pool.get().await?.query("SELECT id, name, created_at FROM inspector ORDER BY name", &[]).await?;
        rows.iter()
            .map(|r| {
                Ok(Inspector {
                    id: InspectorId::from_uuid(r.try_get(0)?),
                    name: r.try_get(1)?,
                    created_at: r.try_get(2)?,
                })
            })
            .collect()
    }

    async fn add_enroll_token(
        &self,
        token_sha256: &str,
        inspector: InspectorId,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.pool
            .get()
            .await?
            .execute(
                "INSERT INTO enroll_token (token_sha256, inspector_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                &[&token_sha256, inspector.as_uuid(), &now, &expires_at],
            )
            .await?;
        Ok(())
    }

    async fn enroll(&self, token_sha256: &str, d: &NewDevice, now: DateTime<Utc>) -> Result<Device> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let row = tx
            .query_opt(
                "SELECT t.inspector_id, i.name, t.expires_at, t.spent_at, t.spent_by FROM enroll_token t
                 JOIN inspector i ON i.id = t.inspector_id WHERE t.token_sha256 = $1 FOR UPDATE OF t",
                &[&token_sha256],
            )
            .await?
            .ok_or(RepoError::BadToken)?;
        let (inspector_id, inspector_name): (Uuid, String) = (row.try_get(0)?, row.try_get(1)?);
        let (expires_at, spent_at): (DateTime<Utc>, Option<DateTime<Utc>>) = (row.try_get(2)?, row.try_get(3)?);
        if spent_at.is_some() {
            let spent_by: Option<Uuid> = row.try_get(4)?;
            let existing = device_in(&tx, d.id).await?;
            return super::repeated_enrollment(spent_by.map(DeviceId::from_uuid), existing, d);
        }
        if expires_at <= now {
            return Err(RepoError::BadToken);
        }
        if inspector_name != d.inspector_name.trim() {
            return Err(RepoError::InspectorMismatch { expected: inspector_name, given: d.inspector_name.clone() });
        }
        let inserted = tx
            .execute(
                "INSERT INTO device (id, inspector_id, name, public_key, enrolled_at, chain_head)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                &[d.id.as_uuid(), &inspector_id, &d.name, &d.public_key, &now, &Hash::GENESIS.to_hex()],
            )
            .await?;
        if inserted == 0 {
            return Err(RepoError::AlreadyEnrolled);
        }
        tx.execute(
            "UPDATE enroll_token SET spent_at = $1, spent_by = $2 WHERE token_sha256 = $3",
            &[&now, d.id.as_uuid(), &token_sha256],
        )
        .await?;
        let device =
            device_in(&tx, d.id).await?.ok_or_else(|| RepoError::Internal("enrolled device vanished".into()))?;
        tx.commit().await?;
        Ok(device)
    }

    async fn device(&self, id: DeviceId) -> Result<Option<Device>> {
        device_in(&self.pool.get().await?, id).await
    }

    async fn devices(&self) -> Result<Vec<Device>> {
        let sql = format!("{DEVICE_SELECT} ORDER BY i.name, d.enrolled_at");
        self.pool.get().await?.query(&sql, &[]).await?.iter().map(device_from).collect()
    }

    async fn revoke_device(&self, id: DeviceId, now: DateTime<Utc>) -> Result<()> {
        let n = self
            .pool
            .get()
            .await?
            .execute("UPDATE device SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2", &[&now, id.as_uuid()])
            .await?;
        if n == 0 { Err(RepoError::NotFound(format!("no device {id}"))) } else { Ok(()) }
    }
}

#[async_trait]
impl Exchange for PgRepo {
    async fn open_batch(&self, batch: &NewBatch, now: DateTime<Utc>) -> Result<BatchState> {
        exchange::open_batch(&self.pool, batch, now).await
    }

    async fn expected_blob(&self, device: DeviceId, sha256: &Sha256Hex) -> Result<Option<u64>> {
        let row = self
            .pool
            .get()
            .await?
            .query_opt(
                "SELECT bb.size FROM batch_blob bb JOIN batch b ON b.id = bb.batch_id
                 WHERE b.device_id = $1 AND b.stage = 'open' AND bb.sha256 = $2 LIMIT 1",
                &[device.as_uuid(), &sha256.as_str()],
            )
            .await?;
        row.map(|r| to_u64(r.try_get(0)?)).transpose()
    }

    async fn stored_blob(&self, sha256: &Sha256Hex) -> Result<Option<u64>> {
        let row =
            self.pool.get().await?.query_opt("SELECT size FROM blob WHERE sha256 = $1", &[&sha256.as_str()]).await?;
        row.map(|r| to_u64(r.try_get(0)?)).transpose()
    }

    async fn record_blob(&self, sha256: &Sha256Hex, size: u64, now: DateTime<Utc>) -> Result<()> {
        self.pool
            .get()
            .await?
            .execute(
                "INSERT INTO blob (sha256, size, stored_at) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING",
                &[&sha256.as_str(), &to_i64(size)?, &now],
            )
            .await?;
        Ok(())
    }

    async fn commit(
        &self,
        device: DeviceId,
        batch_id: Uuid,
        key: &ServerKey,
        now: DateTime<Utc>,
    ) -> Result<SignedReceipt> {
        exchange::commit(&self.pool, device, batch_id, key, now).await
    }

    async fn committed_batches(&self) -> Result<Vec<CommittedBatch>> {
        docs::committed_batches(&self.pool).await
    }
}

#[async_trait]
impl Records for PgRepo {
    async fn records(&self, entity: EntityKind) -> Result<Vec<StoredRecord>> {
        let sql = format!("{RECORD_SELECT} WHERE r.entity = $1 ORDER BY r.changed_at, r.entity_id");
        self.pool.get().await?.query(&sql, &[&entity.as_str()]).await?.iter().map(record_from).collect()
    }

    async fn record(&self, entity: EntityKind, entity_id: &str) -> Result<Option<StoredRecord>> {
        let sql = format!("{RECORD_SELECT} WHERE r.entity = $1 AND r.entity_id = $2");
        let row = self.pool.get().await?.query_opt(&sql, &[&entity.as_str(), &entity_id]).await?;
        row.as_ref().map(record_from).transpose()
    }

    async fn records_in(&self, entity: EntityKind, ids: &[String]) -> Result<Vec<StoredRecord>> {
        read::records_where(&self.pool.get().await?, entity.as_str(), "entity_id", ids).await
    }

    async fn records_under(&self, entity: EntityKind, parents: &[String]) -> Result<Vec<StoredRecord>> {
        read::records_where(&self.pool.get().await?, entity.as_str(), "parent_id", parents).await
    }
}

#[async_trait]
impl Events for PgRepo {
    async fn append_event(
        &self,
        audience: Audience,
        subject: Option<&str>,
        body: &OfficeEventBody,
        at: DateTime<Utc>,
    ) -> Result<u64> {
        let (kind, value) = super::event_parts(body)?;
        let inspector = match audience {
            Audience::Everyone => None,
            Audience::Inspector(id) => Some(*id.as_uuid()),
        };
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        // Appends one at a time, so seqs commit in order (see the module doc).
        tx.batch_execute("LOCK TABLE office_event IN SHARE ROW EXCLUSIVE MODE").await?;
        let row = tx
            .query_one(
                "INSERT INTO office_event (inspector_id, kind, subject, body, at) VALUES ($1, $2, $3, $4, $5)
                 RETURNING seq",
                &[&inspector, &kind, &subject, &value, &at],
            )
            .await?;
        tx.commit().await?;
        to_u64(row.try_get(0)?)
    }

    async fn events_for(&self, inspector: InspectorId, since: u64, limit: usize) -> Result<Vec<OfficeEvent>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .pool
            .get()
            .await?
            .query(
                "SELECT seq, at, body FROM office_event WHERE seq > $1 AND (inspector_id IS NULL OR inspector_id = $2)
                 ORDER BY seq LIMIT $3",
                &[&to_i64(since)?, inspector.as_uuid(), &limit],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let body: serde_json::Value = r.try_get(2)?;
                Ok(OfficeEvent {
                    seq: to_u64(r.try_get(0)?)?,
                    at: r.try_get(1)?,
                    body: serde_json::from_value(body).map_err(|e| RepoError::Internal(format!("bad event: {e}")))?,
                })
            })
            .collect()
    }

    async fn latest_broadcast(&self, kind: &str) -> Result<Option<OfficeEventBody>> {
        let row = self
            .pool
            .get()
            .await?
            .query_opt(
                "SELECT body FROM office_event WHERE kind = $1 AND inspector_id IS NULL ORDER BY seq DESC LIMIT 1",
                &[&kind],
            )
            .await?;
        let Some(row) = row else { return Ok(None) };
        let body: serde_json::Value = row.try_get(0)?;
        serde_json::from_value(body).map(Some).map_err(|e| RepoError::Internal(format!("bad event: {e}")))
    }

    async fn finding_decisions(&self) -> Result<Vec<(String, String)>> {
        let rows = self
            .pool
            .get()
            .await?
            .query(
                "SELECT subject, kind FROM office_event WHERE kind IN ('finding_returned', 'finding_accepted')
                 AND subject IS NOT NULL ORDER BY seq",
                &[],
            )
            .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }
}

#[async_trait]
impl Documents for PgRepo {
    async fn docs(&self, kind: &str) -> Result<Vec<Doc>> {
        docs::docs(&self.pool, kind).await
    }

    async fn doc(&self, kind: &str, id: &str) -> Result<Option<Doc>> {
        docs::doc(&self.pool, kind, id).await
    }

    async fn write_docs(
        &self,
        writes: Vec<DocWrite>,
        events: Vec<NewEvent>,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<u64>> {
        docs::write(&self.pool, &writes, &events, by, now).await
    }

    async fn docs_in(&self, kind: &str, ids: &[String]) -> Result<Vec<Doc>> {
        read::docs_in(&self.pool.get().await?, kind, ids).await
    }
}

#[async_trait]
impl ReadModel for PgRepo {
    fn sql(&self) -> &dyn super::read_model::Sql {
        self
    }

    async fn apply(&self, stmts: Vec<super::read_model::Stmt>) -> Result<()> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        read::apply(&tx, &stmts).await?;
        Ok(tx.commit().await?)
    }
}

#[async_trait]
impl Custody for PgRepo {
    async fn custody_holdings(&self) -> Result<mingcha_office::custody::Holdings> {
        custody::holdings(&self.pool).await
    }

    async fn custody_heads(&self) -> Result<Vec<mingcha_core::custody::SignedTreeHead>> {
        let client = self.pool.get().await?;
        let rows = client.query("SELECT head FROM custody_head ORDER BY day", &[]).await?;
        rows.iter().map(|r| json(r.try_get(0)?)).collect()
    }

    async fn custody_leaves(&self) -> Result<Vec<Hash>> {
        let client = self.pool.get().await?;
        let rows = client.query("SELECT leaf_hash FROM custody_log ORDER BY idx", &[]).await?;
        rows.iter().map(|r| super::chain::stored_hash(r.try_get(0)?)).collect()
    }
}

#[async_trait]
impl Audit for PgRepo {
    async fn append_audit(&self, entry: &super::AuditEntry) -> Result<()> {
        audit::append(&self.pool, entry).await
    }

    async fn audit(&self, query: &super::AuditQuery) -> Result<super::AuditPage> {
        audit::read(&self.pool, query).await
    }
}

#[async_trait]
impl Repo for PgRepo {
    async fn counts(&self) -> Result<Counts> {
        let r = self
            .pool
            .get()
            .await?
            .query_one(
                "SELECT (SELECT count(*) FROM inspector), (SELECT count(*) FROM enroll_token),
                    (SELECT count(*) FROM enroll_token WHERE spent_at IS NOT NULL),
                    (SELECT count(*) FROM device), (SELECT count(*) FROM batch),
                    (SELECT count(*) FROM batch WHERE stage = 'committed'), (SELECT count(*) FROM batch_blob),
                    (SELECT count(*) FROM change), (SELECT count(*) FROM record),
                    (SELECT count(*) FROM office_event), (SELECT count(*) FROM blob)",
                &[],
            )
            .await?;
        Ok(Counts {
            inspectors: r.try_get(0)?,
            enroll_tokens: r.try_get(1)?,
            spent_tokens: r.try_get(2)?,
            devices: r.try_get(3)?,
            batches: r.try_get(4)?,
            committed_batches: r.try_get(5)?,
            batch_blobs: r.try_get(6)?,
            changes: r.try_get(7)?,
            records: r.try_get(8)?,
            office_events: r.try_get(9)?,
            blobs: r.try_get(10)?,
        })
    }
}

#[async_trait]
impl super::read_model::Sql for PgRepo {
    async fn rows(&self, sql: String, args: Vec<super::read_model::Arg>) -> Result<Vec<Vec<super::read_model::Cell>>> {
        read::rows(&self.pool.get().await?, &sql, &args).await
    }
}
