//! The change log, written in the same transaction as every change (see `Store::write`).

use chrono::{DateTime, Utc};
use mingcha_core::change::{ChangeOp, ChangeRecord, EntityKind};
use mingcha_core::id::{ChangeId, DeviceId};
use rusqlite::Connection;
use serde::Serialize;

use crate::error::Result;
use crate::{Store, new_id, parse_time, time_text};

pub(crate) fn append(
    conn: &Connection,
    device: DeviceId,
    at: DateTime<Utc>,
    entity: EntityKind,
    entity_id: &str,
    op: ChangeOp,
    payload: &impl Serialize,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO change_log (id, device_id, entity, entity_id, op, payload, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute((
        new_id(at).to_string(),
        device.to_string(),
        entity.as_str(),
        entity_id,
        op.as_str(),
        serde_json::to_string(payload)?,
        time_text(at),
    ))?;
    Ok(())
}

impl Store {
    /// The change log after `after_seq`, in order: what a sync would send.
    pub fn changes_after(&self, after_seq: u64) -> Result<Vec<ChangeRecord>> {
        self.changes_page(after_seq, None)
    }

    /// At most `limit` changes after `after_seq`, in order (all of them when `limit` is None).
    pub fn changes_page(&self, after_seq: u64, limit: Option<usize>) -> Result<Vec<ChangeRecord>> {
        let limit = limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, id, device_id, entity, entity_id, op, payload, at FROM change_log WHERE seq > ?1 ORDER BY seq
             LIMIT ?2",
        )?;
        let rows = stmt.query_map((after_seq, limit), |r| {
            Ok((
                r.get::<_, u64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                parse_time(&r.get::<_, String>(7)?)?,
            ))
        })?;
        rows.map(|row| {
            let (seq, id, device, entity, entity_id, op, payload, at) = row?;
            Ok(ChangeRecord {
                id: id.parse::<ChangeId>()?,
                seq,
                device_id: device.parse()?,
                entity: entity.parse::<EntityKind>()?,
                entity_id,
                op: op.parse()?,
                payload: serde_json::from_str(&payload)?,
                at,
            })
        })
        .collect()
    }
}
