//! `audit_log` on PostgreSQL: append and read (a trigger refuses UPDATE, DELETE and TRUNCATE).

use deadpool_postgres::Pool;

use crate::error::Result;
use crate::{AuditEntry, AuditPage, AuditQuery, AuditRow, to_i64, to_u64};

pub(super) async fn append(pool: &Pool, e: &AuditEntry) -> Result<()> {
    let client = pool.get().await?;
    client
        .execute(
            "INSERT INTO audit_log (at, actor, action, target, client, detail) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&e.at, &e.actor, &e.action, &e.target, &e.client, &e.detail],
        )
        .await?;
    Ok(())
}

const FILTER: &str = "WHERE ($1::text IS NULL OR actor = $1) AND ($2::text IS NULL OR action = $2)
                        AND ($3::timestamptz IS NULL OR at >= $3) AND ($4::timestamptz IS NULL OR at < $4)";

pub(super) async fn read(pool: &Pool, q: &AuditQuery) -> Result<AuditPage> {
    let client = pool.get().await?;
    let total: i64 = client
        .query_one(&format!("SELECT count(*) FROM audit_log {FILTER}"), &[&q.actor, &q.action, &q.from, &q.until])
        .await?
        .try_get(0)?;
    let (limit, offset) = (to_i64(q.limit)?, to_i64(q.offset)?);
    let rows = client
        .query(
            &format!(
                "SELECT seq, at, actor, action, target, client, detail FROM audit_log {FILTER}
                 ORDER BY seq DESC LIMIT $5 OFFSET $6"
            ),
            &[&q.actor, &q.action, &q.from, &q.until, &limit, &offset],
        )
        .await?;
    let rows = rows
        .iter()
        .map(|r| {
            Ok(AuditRow {
                seq: to_u64(r.try_get(0)?)?,
                entry: AuditEntry {
                    at: r.try_get(1)?,
                    actor: r.try_get(2)?,
                    action: r.try_get(3)?,
                    target: r.try_get(4)?,
                    client: r.try_get(5)?,
                    detail: r.try_get(6)?,
                },
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(AuditPage { total: to_u64(total)?, rows })
}
