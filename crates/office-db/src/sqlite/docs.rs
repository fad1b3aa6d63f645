//! `office_doc` on SQLite: the console's versioned documents, and what the console reads of
//! the exchange's tables.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{parse_ts, ts};
use crate::error::Result;
use crate::parse;
use crate::{
    Audience, CommittedBatch, Doc, DocWrite, NewEvent, doc_conflict, event_parts, json, to_i64, to_json, to_u64,
};

pub(super) const SELECT: &str = "SELECT kind, id, version, body, updated_at, updated_by FROM office_doc";

pub(super) fn doc_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, String, i64, String, String, String)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
}

pub(super) fn build(row: (String, String, i64, String, String, String)) -> Result<Doc> {
    let (kind, id, version, body, at, by) = row;
    Ok(Doc { kind, id, version: to_u64(version)?, body: json(&body)?, updated_at: parse_ts(&at)?, updated_by: by })
}

pub(super) fn docs(c: &mut Connection, kind: &str) -> Result<Vec<Doc>> {
    let mut stmt = c.prepare_cached(&format!("{SELECT} WHERE kind = ?1 ORDER BY id"))?;
    let rows = stmt.query_map([kind], doc_from)?.collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(build).collect()
}

pub(super) fn doc(c: &mut Connection, kind: &str, id: &str) -> Result<Option<Doc>> {
    let row = c
        .prepare_cached(&format!("{SELECT} WHERE kind = ?1 AND id = ?2"))?
        .query_row([kind, id], doc_from)
        .optional()?;
    row.map(build).transpose()
}

pub(super) fn write(
    c: &mut Connection,
    writes: &[DocWrite],
    events: &[NewEvent],
    by: &str,
    now: DateTime<Utc>,
) -> Result<Vec<u64>> {
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let at = ts(&now);
    for w in writes {
        let stored: Option<i64> = tx
            .query_row("SELECT version FROM office_doc WHERE kind = ?1 AND id = ?2", [w.kind, &w.id], |r| r.get(0))
            .optional()?;
        if stored.unwrap_or(0) != to_i64(w.expect)? {
            return Err(doc_conflict(w));
        }
        let version = to_i64(w.expect + 1)?;
        let body = w.body.as_ref().map(to_json).transpose()?;
        match &body {
            Some(body) => tx.execute(
                "INSERT INTO office_doc (kind, id, version, body, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (kind, id) DO UPDATE SET version = excluded.version, body = excluded.body,
                     updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                params![w.kind, w.id, version, body, at, by],
            )?,
            None => tx.execute("DELETE FROM office_doc WHERE kind = ?1 AND id = ?2", [w.kind, &w.id])?,
        };
        tx.execute(
            "INSERT INTO office_doc_log (kind, id, version, body, at, by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![w.kind, w.id, version, body, at, by],
        )?;
        let index = crate::read_model::on_doc(w.kind, &w.id, w.body.as_ref(), w.ledger.as_ref())?;
        super::read::apply(&tx, &index)?;
    }
    let mut seqs = Vec::with_capacity(events.len());
    for e in events {
        let (kind, value) = event_parts(&e.body)?;
        let inspector = match e.audience {
            Audience::Everyone => None,
            Audience::Inspector(id) => Some(id.to_string()),
        };
        tx.execute(
            "INSERT INTO office_event (inspector_id, kind, subject, body, at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![inspector, kind, e.subject, to_json(&value)?, at],
        )?;
        seqs.push(to_u64(tx.last_insert_rowid())?);
    }
    tx.commit()?;
    Ok(seqs)
}

pub(super) fn committed_batches(c: &mut Connection) -> Result<Vec<CommittedBatch>> {
    let mut stmt = c.prepare_cached(
        "SELECT b.id, b.device_id, d.name, i.name, b.committed_at FROM batch b JOIN device d ON d.id = b.device_id
         JOIN inspector i ON i.id = d.inspector_id WHERE b.stage = 'committed' ORDER BY b.committed_at DESC",
    )?;
    let rows = stmt
        .query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?, r.get(3)?, r.get::<_, String>(4)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(id, device_id, device, inspector, at)| {
            Ok(CommittedBatch {
                id: parse(&id)?,
                device_id: parse(&device_id)?,
                device,
                inspector,
                committed_at: parse_ts(&at)?,
            })
        })
        .collect()
}
