//! The exchange on SQLite: storing a manifest, and committing a batch in one transaction.

use chrono::{DateTime, Utc};
use mingcha_core::change::ChangeRecord;
use mingcha_core::evidence::Sha256Hex;
use mingcha_core::id::DeviceId;
use mingcha_core::sync::{BatchStage, BatchState, BlobRef, Manifest, Receipt, ReceiptItem, SignedReceipt};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::{json, to_json, ts};
use crate::error::{Error, Result};
use crate::key::ServerKey;
use crate::repo::{NewBatch, outcome_name, to_i64, to_u64};

fn batch_state(tx: &Transaction<'_>, batch_id: uuid::Uuid) -> Result<BatchState> {
    let (stage, receipt): (String, Option<String>) =
        tx.query_row("SELECT stage, receipt FROM batch WHERE id = ?1", [batch_id.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let receipt: Option<SignedReceipt> = receipt.as_deref().map(json).transpose()?;
    let stage = if stage == "committed" { BatchStage::Committed } else { BatchStage::Open };
    Ok(BatchState { batch_id, stage, missing: missing_blobs(tx, batch_id)?, receipt })
}

fn missing_blobs(tx: &Transaction<'_>, batch_id: uuid::Uuid) -> Result<Vec<BlobRef>> {
    let mut stmt = tx.prepare(
        "SELECT bb.sha256, bb.size FROM batch_blob bb LEFT JOIN blob b ON b.sha256 = bb.sha256
         WHERE bb.batch_id = ?1 AND b.sha256 IS NULL ORDER BY bb.sha256",
    )?;
    let rows = stmt.query_map([batch_id.to_string()], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (sha, size) = row?;
        let sha256 = Sha256Hex::parse(&sha).map_err(|e| Error::Internal(e.to_string()))?;
        out.push(BlobRef { sha256, size: to_u64(size)? });
    }
    Ok(out)
}

/// `Some(true)` if the change is stored already (same id at the same place), `Some(false)`
/// if neither its id nor its (device, seq) is taken; a fork otherwise.
fn stored_already(tx: &Transaction<'_>, c: &ChangeRecord) -> Result<bool> {
    let mut stmt =
        tx.prepare_cached("SELECT id, device_id, seq FROM change WHERE id = ?1 OR (device_id = ?2 AND seq = ?3)")?;
    let rows = stmt.query_map(params![c.id.to_string(), c.device_id.to_string(), to_i64(c.seq)?], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?))
    })?;
    let mut found = false;
    for row in rows {
        let (id, device, seq) = row?;
        if id != c.id.to_string() || device != c.device_id.to_string() || seq != to_i64(c.seq)? {
            return Err(Error::Fork { seq: c.seq });
        }
        found = true;
    }
    Ok(found)
}

fn insert_change(tx: &Transaction<'_>, c: &ChangeRecord, batch_id: uuid::Uuid, now: &DateTime<Utc>) -> Result<bool> {
    let payload = to_json(&c.payload)?;
    let inserted = tx
        .prepare_cached(
            "INSERT INTO change (id, device_id, seq, entity, entity_id, op, payload, changed_at, batch_id, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (id) DO NOTHING",
        )?
        .execute(params![
            c.id.to_string(),
            c.device_id.to_string(),
            to_i64(c.seq)?,
            c.entity.as_str(),
            c.entity_id,
            c.op.as_str(),
            payload,
            ts(&c.at),
            batch_id.to_string(),
            ts(now),
        ])?;
    if inserted == 1 {
        // The latest state wins: within one device by seq, across devices by time, then id.
        tx.prepare_cached(
            "INSERT INTO record (entity, entity_id, change_id, device_id, seq, op, payload, changed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (entity, entity_id) DO UPDATE SET change_id = excluded.change_id,
                device_id = excluded.device_id, seq = excluded.seq, op = excluded.op,
                payload = excluded.payload, changed_at = excluded.changed_at
             WHERE (record.device_id = excluded.device_id AND record.seq < excluded.seq)
                OR (record.device_id <> excluded.device_id
                    AND (record.changed_at, record.change_id) < (excluded.changed_at, excluded.change_id))",
        )?
        .execute(params![
            c.entity.as_str(),
            c.entity_id,
            c.id.to_string(),
            c.device_id.to_string(),
            to_i64(c.seq)?,
            c.op.as_str(),
            payload,
            ts(&c.at),
        ])?;
    }
    Ok(inserted == 1)
}

fn acked_seq(tx: &Transaction<'_>, device: DeviceId) -> Result<u64> {
    let acked: Option<i64> =
        tx.query_row("SELECT acked_seq FROM device WHERE id = ?1", [device.to_string()], |r| r.get(0)).optional()?;
    to_u64(acked.ok_or(Error::UnknownDevice)?)
}

pub(super) fn open_batch(conn: &mut Connection, batch: &NewBatch, now: DateTime<Utc>) -> Result<BatchState> {
    let m = &batch.manifest;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let existing: Option<(String, String)> = tx
        .query_row("SELECT manifest_sha256, device_id FROM batch WHERE id = ?1", [m.batch_id.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    if let Some((digest, device)) = existing {
        if digest != batch.manifest_sha256 || device != m.device_id.to_string() {
            return Err(Error::BatchConflict);
        }
        return batch_state(&tx, m.batch_id);
    }
    let acked = acked_seq(&tx, m.device_id)?;
    if m.after_seq > acked {
        return Err(Error::SequenceGap { after_seq: m.after_seq, acked_seq: acked });
    }
    for c in &m.changes {
        stored_already(&tx, c)?;
    }
    tx.execute(
        "INSERT INTO batch (id, device_id, after_seq, last_seq, manifest, signature, manifest_sha256, stage, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'open', ?8)",
        params![
            m.batch_id.to_string(),
            m.device_id.to_string(),
            to_i64(m.after_seq)?,
            to_i64(m.last_seq())?,
            batch.canonical,
            batch.signature,
            batch.manifest_sha256,
            ts(&now),
        ],
    )?;
    for b in &m.blobs {
        tx.execute(
            "INSERT INTO batch_blob (batch_id, sha256, size) VALUES (?1, ?2, ?3)",
            params![m.batch_id.to_string(), b.sha256.as_str(), to_i64(b.size)?],
        )?;
    }
    let state = batch_state(&tx, m.batch_id)?;
    tx.commit()?;
    Ok(state)
}

pub(super) fn commit(
    conn: &mut Connection,
    device: DeviceId,
    batch_id: uuid::Uuid,
    key: &ServerKey,
    now: DateTime<Utc>,
) -> Result<SignedReceipt> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let row: Option<(String, Option<String>, String, String)> = tx
        .query_row(
            "SELECT device_id, receipt, manifest, manifest_sha256 FROM batch WHERE id = ?1",
            [batch_id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((_, receipt, manifest, manifest_sha256)) = row.filter(|r| r.0 == device.to_string()) else {
        return Err(Error::NotFound(format!("this device sent no batch {batch_id}")));
    };
    if let Some(receipt) = receipt {
        return json(&receipt);
    }
    let missing = missing_blobs(&tx, batch_id)?;
    if !missing.is_empty() {
        return Err(Error::MissingBlobs(missing));
    }
    let manifest: Manifest = json(&manifest)?;
    let acked = acked_seq(&tx, device)?;
    if manifest.after_seq > acked {
        return Err(Error::SequenceGap { after_seq: manifest.after_seq, acked_seq: acked });
    }
    let mut items = Vec::with_capacity(manifest.changes.len());
    for c in &manifest.changes {
        let stored = !stored_already(&tx, c)? && insert_change(&tx, c, batch_id, &now)?;
        items.push(ReceiptItem { seq: c.seq, change_id: c.id, outcome: outcome_name(stored) });
    }
    let acked_seq = acked.max(manifest.last_seq());
    tx.execute("UPDATE device SET acked_seq = ?1 WHERE id = ?2", params![to_i64(acked_seq)?, device.to_string()])?;
    let receipt = key.sign_receipt(Receipt {
        batch_id,
        device_id: device,
        manifest_sha256,
        items,
        blobs: manifest.blobs.iter().map(|b| b.sha256.clone()).collect(),
        acked_seq,
        committed_at: now,
    });
    tx.execute(
        "UPDATE batch SET stage = 'committed', receipt = ?1, committed_at = ?2 WHERE id = ?3",
        params![to_json(&receipt)?, ts(&now), batch_id.to_string()],
    )?;
    super::super::fault_point("abort-mid-commit");
    tx.commit()?;
    Ok(receipt)
}
