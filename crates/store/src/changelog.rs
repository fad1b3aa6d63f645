//! The change log, written in the same transaction as every change (see `Store::write`).

use chrono::{DateTime, Utc};
use mingcha_core::change::{ChangeOp, ChangeRecord, EntityKind};
use mingcha_core::custody::{self, BadHash, Hash};
use mingcha_core::id::{ChangeId, DeviceId};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use crate::error::{Result, StoreError};
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
    let payload = serde_json::to_string(payload)?;
    let id = new_id(at);
    let at = time_text(at);
    conn.prepare_cached(
        "INSERT INTO change_log (id, device_id, entity, entity_id, op, payload, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute((id.to_string(), device.to_string(), entity.as_str(), entity_id, op.as_str(), &payload, &at))?;
    // The link covers the change exactly as it reads back from the log, so it is built from
    // the stored text, not from the values before they were written.
    let seq = u64::try_from(conn.last_insert_rowid()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let change = ChangeRecord {
        id: ChangeId::from_uuid(id),
        seq,
        device_id: device,
        entity,
        entity_id: entity_id.to_owned(),
        op,
        payload: serde_json::from_str(&payload)?,
        at: parse_time(&at)?,
    };
    let prev = chain_at(conn, seq - 1)?;
    conn.prepare_cached("INSERT INTO custody_chain (seq, hash) VALUES (?1, ?2)")?
        .execute((seq, custody::link(&prev, &change).to_hex()))?;
    Ok(())
}

/// The chain state after `seq` (the genesis state for 0). Every change has its link, so a
/// missing one is damage, named as such.
pub(crate) fn chain_at(conn: &Connection, seq: u64) -> Result<Hash> {
    if seq == 0 {
        return Ok(Hash::GENESIS);
    }
    let hash: Option<String> = conn
        .prepare_cached("SELECT hash FROM custody_chain WHERE seq = ?1")?
        .query_row([seq], |r| r.get(0))
        .optional()?;
    let hash = hash.ok_or_else(|| StoreError::Corrupt(format!("change {seq} has no link in the custody chain")))?;
    hash.parse().map_err(|e: BadHash| StoreError::Corrupt(format!("the custody chain at change {seq}: {e}")))
}

/// Link every change logged before the chain existed (a store made by an older build), once,
/// at open. A store whose chain is complete is not touched.
pub(crate) fn link_unlinked(conn: &mut Connection) -> Result<()> {
    // Both ends come from the tables' primary keys: this runs at every open, and a count(*)
    // would read (and decrypt) the whole chain each time. Links are contiguous from 1.
    let linked: u64 = conn.query_row("SELECT coalesce(max(seq), 0) FROM custody_chain", [], |r| r.get(0))?;
    let logged: u64 = conn.query_row("SELECT coalesce(max(seq), 0) FROM change_log", [], |r| r.get(0))?;
    if linked >= logged {
        return Ok(());
    }
    let tx = conn.transaction()?;
    let mut prev = chain_at(&tx, linked)?;
    for change in read_changes(&tx, linked, None)? {
        let change = change.map_err(|u| StoreError::Corrupt(format!("change {}: {}", u.seq, u.reason)))?;
        prev = custody::link(&prev, &change);
        tx.execute("INSERT INTO custody_chain (seq, hash) VALUES (?1, ?2)", (change.seq, prev.to_hex()))?;
    }
    tx.commit()?;
    Ok(())
}

/// A change log row that does not read back as a change: damage a check must name, not a
/// reason to stop reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableChange {
    pub seq: u64,
    pub reason: String,
}

/// The changes after `after_seq`, in order, each as it reads back (or why it does not).
fn read_changes(
    conn: &Connection,
    after_seq: u64,
    limit: Option<usize>,
) -> Result<Vec<std::result::Result<ChangeRecord, UnreadableChange>>> {
    let limit = limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
    let mut stmt = conn.prepare_cached(
        "SELECT seq, id, device_id, entity, entity_id, op, CAST(payload AS BLOB), at FROM change_log
         WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let rows = stmt.query_map((after_seq, limit), |r| {
        let seq = r.get::<_, u64>(0)?;
        let text = |i: usize| -> rusqlite::Result<std::result::Result<String, String>> {
            Ok(match r.get_ref(i)? {
                ValueRef::Text(b) | ValueRef::Blob(b) => {
                    String::from_utf8(b.to_vec()).map_err(|_| format!("column {i} is not UTF-8 text"))
                }
                other => Err(format!("column {i} holds {:?}, not text", other.data_type())),
            })
        };
        let fields = (text(1)?, text(2)?, text(3)?, text(4)?, text(5)?, text(6)?, text(7)?);
        Ok((seq, fields))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, (id, device, entity, entity_id, op, payload, at)) = row?;
        let parsed = (|| -> std::result::Result<ChangeRecord, String> {
            Ok(ChangeRecord {
                id: id?.parse::<ChangeId>().map_err(|e| e.to_string())?,
                seq,
                device_id: device?.parse().map_err(|e: mingcha_core::ValidationError| e.to_string())?,
                entity: entity?.parse::<EntityKind>().map_err(|e| e.to_string())?,
                entity_id: entity_id?,
                op: op?.parse().map_err(|e: mingcha_core::ValidationError| e.to_string())?,
                payload: serde_json::from_str(&payload?).map_err(|e| format!("its record is not JSON: {e}"))?,
                at: parse_time(&at?).map_err(|e| e.to_string())?,
            })
        })();
        out.push(parsed.map_err(|reason| UnreadableChange { seq, reason }));
    }
    Ok(out)
}

impl Store {
    /// The change log after `after_seq`, in order: what a sync would send.
    pub fn changes_after(&self, after_seq: u64) -> Result<Vec<ChangeRecord>> {
        self.changes_page(after_seq, None)
    }

    /// At most `limit` changes after `after_seq`, in order (all of them when `limit` is None).
    pub fn changes_page(&self, after_seq: u64, limit: Option<usize>) -> Result<Vec<ChangeRecord>> {
        read_changes(&self.conn, after_seq, limit)?
            .into_iter()
            .map(|c| c.map_err(|u| StoreError::Corrupt(format!("change {}: {}", u.seq, u.reason))))
            .collect()
    }

    /// The chain state after `seq` (see [`mingcha_core::custody`]).
    pub fn chain_at(&self, seq: u64) -> Result<Hash> {
        chain_at(&self.conn, seq)
    }

    /// Walk the whole change log and its custody chain from the first change: every link must
    /// follow from the link before and the change as it reads now.
    pub fn check_chain(&self) -> Result<ChainCheck> {
        let mut check = ChainCheck { changes: 0, head: Hash::GENESIS, problems: Vec::new() };
        let mut links: std::collections::BTreeMap<u64, String> = self
            .conn
            .prepare("SELECT seq, hash FROM custody_chain ORDER BY seq")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut expected_seq = 1;
        let mut prev = Hash::GENESIS;
        for change in read_changes(&self.conn, 0, None)? {
            let stored = |seq: u64, links: &mut std::collections::BTreeMap<u64, String>| links.remove(&seq);
            match change {
                Err(u) => {
                    stored(u.seq, &mut links);
                    check.problems.push(ChainProblem::Unreadable { seq: u.seq, reason: u.reason });
                    // Nothing after it can be linked from a change that cannot be read.
                    prev = Hash::GENESIS;
                    expected_seq = u.seq + 1;
                }
                Ok(c) => {
                    if c.seq != expected_seq {
                        check.problems.push(ChainProblem::Missing { from: expected_seq, to: c.seq - 1 });
                    }
                    expected_seq = c.seq + 1;
                    let computed = custody::link(&prev, &c);
                    prev = computed;
                    match stored(c.seq, &mut links) {
                        None => check.problems.push(ChainProblem::NoLink { seq: c.seq }),
                        Some(h) if h != computed.to_hex() => {
                            check.problems.push(ChainProblem::Altered {
                                seq: c.seq,
                                entity: c.entity,
                                entity_id: c.entity_id.clone(),
                                op: c.op,
                            });
                            // Go on from the stored link, so one altered change is reported
                            // once rather than as every change after it.
                            prev = h.parse().unwrap_or(computed);
                        }
                        Some(_) => {}
                    }
                    check.changes += 1;
                }
            }
        }
        if let Some((&seq, _)) = links.iter().next() {
            check.problems.push(ChainProblem::Missing { from: seq, to: *links.keys().last().unwrap_or(&seq) });
        }
        check.head = prev;
        Ok(check)
    }
}

/// What walking the custody chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainCheck {
    /// Changes read and linked.
    pub changes: u64,
    /// The chain state after the last change, as recomputed.
    pub head: Hash,
    pub problems: Vec<ChainProblem>,
}

/// One way the chain and the log disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainProblem {
    /// The change no longer links to its chain entry: it was altered after it was written
    /// (or a change before it was).
    Altered { seq: u64, entity: EntityKind, entity_id: String, op: ChangeOp },
    /// Changes `from..=to` are gone from the log, though the chain (or later seqs) knew them.
    Missing { from: u64, to: u64 },
    /// The change has no chain entry.
    NoLink { seq: u64 },
    /// The change's row does not read back as a change.
    Unreadable { seq: u64, reason: String },
}

impl std::fmt::Display for ChainProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Altered { seq, entity, entity_id, op } => write!(
                f,
                "change {seq} ({entity} {entity_id}, {op}) does not match its link in the custody chain: \
                 it, or a change before it, was altered after it was written",
                op = op.as_str()
            ),
            Self::Missing { from, to } if from == to => write!(f, "change {from} is missing from the change log"),
            Self::Missing { from, to } => write!(f, "changes {from}..={to} are missing from the change log"),
            Self::NoLink { seq } => write!(f, "change {seq} has no link in the custody chain"),
            Self::Unreadable { seq, reason } => write!(f, "change {seq} cannot be read: {reason}"),
        }
    }
}
