//! What the chain-of-custody checks read on SQLite, as raw bytes: a damaged row must reach
//! the checks as it is, so TEXT and BLOB values alike are read as bytes.

use rusqlite::Connection;
use rusqlite::types::ValueRef;

use crate::error::Result;
use mingcha_office::custody::{HeldBatch, HeldChange, HeldDevice, HeldHead, HeldLogRow, Holdings};

fn bytes(v: ValueRef<'_>) -> Vec<u8> {
    match v {
        ValueRef::Text(b) | ValueRef::Blob(b) => b.to_vec(),
        ValueRef::Integer(i) => i.to_string().into_bytes(),
        ValueRef::Real(f) => f.to_string().into_bytes(),
        ValueRef::Null => Vec::new(),
    }
}

fn text(v: ValueRef<'_>) -> String {
    String::from_utf8_lossy(&bytes(v)).into_owned()
}

fn opt_text(v: ValueRef<'_>) -> Option<String> {
    if matches!(v, ValueRef::Null) { None } else { Some(text(v)) }
}

fn int(v: ValueRef<'_>) -> i64 {
    match v {
        ValueRef::Integer(i) => i,
        other => text(other).parse().unwrap_or(-1),
    }
}

pub(super) fn holdings(c: &mut Connection) -> Result<Holdings> {
    let mut h = Holdings::default();
    let mut stmt = c.prepare("SELECT id, public_key, chain_head, acked_seq FROM device ORDER BY id")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        h.devices.push(HeldDevice {
            id: text(r.get_ref(0)?),
            public_key: text(r.get_ref(1)?),
            chain_head: opt_text(r.get_ref(2)?),
            acked_seq: int(r.get_ref(3)?),
        });
    }
    let mut stmt = c.prepare(
        "SELECT id, device_id, manifest, signature, manifest_sha256, receipt FROM batch
         WHERE stage = 'committed' ORDER BY committed_at, id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        h.batches.push(HeldBatch {
            id: text(r.get_ref(0)?),
            device_id: text(r.get_ref(1)?),
            manifest: bytes(r.get_ref(2)?),
            signature: text(r.get_ref(3)?),
            manifest_sha256: text(r.get_ref(4)?),
            receipt: if matches!(r.get_ref(5)?, ValueRef::Null) { None } else { Some(bytes(r.get_ref(5)?)) },
        });
    }
    let mut stmt = c.prepare(
        "SELECT id, device_id, seq, entity, entity_id, op, payload, changed_at, batch_id, chain FROM change
         ORDER BY device_id, seq",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        h.changes.push(HeldChange {
            id: text(r.get_ref(0)?),
            device_id: text(r.get_ref(1)?),
            seq: int(r.get_ref(2)?),
            entity: text(r.get_ref(3)?),
            entity_id: text(r.get_ref(4)?),
            op: text(r.get_ref(5)?),
            payload: bytes(r.get_ref(6)?),
            changed_at: text(r.get_ref(7)?),
            batch_id: text(r.get_ref(8)?),
            chain: opt_text(r.get_ref(9)?),
        });
    }
    let mut stmt = c.prepare("SELECT idx, batch_id, entry, leaf_hash, frontier FROM custody_log ORDER BY idx")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        h.log.push(HeldLogRow {
            idx: int(r.get_ref(0)?),
            batch_id: text(r.get_ref(1)?),
            entry: bytes(r.get_ref(2)?),
            leaf_hash: text(r.get_ref(3)?),
            frontier: bytes(r.get_ref(4)?),
        });
    }
    let mut stmt = c.prepare("SELECT day, tree_size, head FROM custody_head ORDER BY day")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        h.heads.push(HeldHead { day: text(r.get_ref(0)?), tree_size: int(r.get_ref(1)?), head: bytes(r.get_ref(2)?) });
    }
    let mut stmt = c.prepare("SELECT sha256, size FROM blob ORDER BY sha256")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        h.blobs.push((text(r.get_ref(0)?), int(r.get_ref(1)?)));
    }
    Ok(h)
}
