//! `audit_log` on SQLite: append and read (triggers refuse UPDATE and DELETE).

use rusqlite::{Connection, params};

use super::{parse_ts, ts};
use crate::error::Result;
use crate::{AuditEntry, AuditPage, AuditQuery, AuditRow, json, to_i64, to_json, to_u64};

pub(super) fn append(c: &mut Connection, e: &AuditEntry) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO audit_log (at, actor, action, target, client, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![ts(&e.at), e.actor, e.action, e.target, e.client, to_json(&e.detail)?])?;
    Ok(())
}

const FILTER: &str = "WHERE (?1 IS NULL OR actor = ?1) AND (?2 IS NULL OR action = ?2)
                        AND (?3 IS NULL OR at >= ?3) AND (?4 IS NULL OR at < ?4)";

pub(super) fn read(c: &mut Connection, q: &AuditQuery) -> Result<AuditPage> {
    let (from, until) = (q.from.as_ref().map(ts), q.until.as_ref().map(ts));
    let filter = params![q.actor, q.action, from, until];
    let total: i64 =
        c.prepare_cached(&format!("SELECT count(*) FROM audit_log {FILTER}"))?.query_row(filter, |r| r.get(0))?;
    let mut stmt = c.prepare_cached(&format!(
        "SELECT seq, at, actor, action, target, client, detail FROM audit_log {FILTER} ORDER BY seq DESC LIMIT ?5 OFFSET ?6"
    ))?;
    let rows = stmt
        .query_map(params![q.actor, q.action, from, until, to_i64(q.limit)?, to_i64(q.offset)?], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get::<_, String>(6)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let rows = rows
        .into_iter()
        .map(|(seq, at, actor, action, target, client, detail)| {
            Ok(AuditRow {
                seq: to_u64(seq)?,
                entry: AuditEntry { at: parse_ts(&at)?, actor, action, target, client, detail: json(&detail)? },
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(AuditPage { total: to_u64(total)?, rows })
}
