//! `office_doc` on PostgreSQL: the console's versioned documents, and what the console reads
//! of the exchange's tables.

use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Pool};
use tokio_postgres::Row;

use crate::error::Result;
use crate::{Audience, CommittedBatch, Doc, DocWrite, NewEvent, doc_conflict, event_parts, to_i64, to_u64};

pub(super) const SELECT: &str = "SELECT kind, id, version, body, updated_at, updated_by FROM office_doc";

pub(super) fn build(r: &Row) -> Result<Doc> {
    Ok(Doc {
        kind: r.try_get(0)?,
        id: r.try_get(1)?,
        version: to_u64(r.try_get(2)?)?,
        body: r.try_get(3)?,
        updated_at: r.try_get(4)?,
        updated_by: r.try_get(5)?,
    })
}

pub(super) async fn docs(pool: &Pool, kind: &str) -> Result<Vec<Doc>> {
    let client = pool.get().await?;
    let rows = client.query(&format!("{SELECT} WHERE kind = $1 ORDER BY id"), &[&kind]).await?;
    rows.iter().map(build).collect()
}

pub(super) async fn doc(pool: &Pool, kind: &str, id: &str) -> Result<Option<Doc>> {
    let client = pool.get().await?;
    let row = client.query_opt(&format!("{SELECT} WHERE kind = $1 AND id = $2"), &[&kind, &id]).await?;
    row.as_ref().map(build).transpose()
}

pub(super) async fn write(
    pool: &Pool,
    writes: &[DocWrite],
    events: &[NewEvent],
    by: &str,
    now: DateTime<Utc>,
) -> Result<Vec<u64>> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    for w in writes {
        // A new document has no row to lock: a concurrent insert of the same id then fails on
        // the primary key instead, which is reported as the same conflict.
        let stored = tx
            .query_opt("SELECT version FROM office_doc WHERE kind = $1 AND id = $2 FOR UPDATE", &[&w.kind, &w.id])
            .await?
            .map(|r| r.try_get::<_, i64>(0))
            .transpose()?;
        if stored.unwrap_or(0) != to_i64(w.expect)? {
            return Err(doc_conflict(w));
        }
        let version = to_i64(w.expect + 1)?;
        match &w.body {
            Some(body) => {
                let upsert = tx
                    .execute(
                        "INSERT INTO office_doc (kind, id, version, body, updated_at, updated_by)
                         VALUES ($1, $2, $3, $4, $5, $6)
                         ON CONFLICT (kind, id) DO UPDATE SET version = excluded.version, body = excluded.body,
                             updated_at = excluded.updated_at, updated_by = excluded.updated_by
                         WHERE office_doc.version = $3 - 1",
                        &[&w.kind, &w.id, &version, body, &now, &by],
                    )
                    .await;
                match upsert {
                    Ok(1) => {}
                    Ok(_) => return Err(doc_conflict(w)),
                    Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) => {
                        return Err(doc_conflict(w));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            None => {
                tx.execute("DELETE FROM office_doc WHERE kind = $1 AND id = $2", &[&w.kind, &w.id]).await?;
            }
        }
        tx.execute(
            "INSERT INTO office_doc_log (kind, id, version, body, at, by) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&w.kind, &w.id, &version, &w.body, &now, &by],
        )
        .await?;
        let index = crate::read_model::on_doc(w.kind, &w.id, w.body.as_ref(), w.ledger.as_ref())?;
        super::read::apply(&tx, &index).await?;
    }
    if !events.is_empty() {
        // The same lock as every event append: seqs become visible in order.
        tx.batch_execute("LOCK TABLE office_event IN SHARE ROW EXCLUSIVE MODE").await?;
    }
    let mut seqs = Vec::with_capacity(events.len());
    for e in events {
        let (kind, value) = event_parts(&e.body)?;
        let inspector = match e.audience {
            Audience::Everyone => None,
            Audience::Inspector(id) => Some(*id.as_uuid()),
        };
        let row = tx
            .query_one(
                "INSERT INTO office_event (inspector_id, kind, subject, body, at) VALUES ($1, $2, $3, $4, $5)
                 RETURNING seq",
                &[&inspector, &kind, &e.subject, &value, &now],
            )
            .await?;
        seqs.push(to_u64(row.try_get(0)?)?);
    }
    tx.commit().await?;
    Ok(seqs)
}

pub(super) async fn committed_batches(pool: &Pool) -> Result<Vec<CommittedBatch>> {
    let client = pool.get().await?;
    let rows = client
        .query(
            "SELECT b.id, b.device_id, d.name, i.name, b.committed_at FROM batch b JOIN device d ON d.id = b.device_id
             JOIN inspector i ON i.id = d.inspector_id WHERE b.stage = 'committed' ORDER BY b.committed_at DESC",
            &[],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(CommittedBatch {
                id: r.try_get(0)?,
                device_id: mingcha_core::id::DeviceId::from_uuid(r.try_get(1)?),
                device: r.try_get(2)?,
                inspector: r.try_get(3)?,
                committed_at: r.try_get(4)?,
            })
        })
        .collect()
}
