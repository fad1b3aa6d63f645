//! The exchange on PostgreSQL: storing a manifest, and committing a batch in one transaction,
//! both under the device's row lock.

use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Pool};
use mingcha_core::change::ChangeRecord;
use mingcha_core::evidence::Sha256Hex;
use mingcha_core::id::DeviceId;
use mingcha_core::sync::{BatchStage, BatchState, BlobRef, Manifest, Receipt, ReceiptItem, SignedReceipt};
use uuid::Uuid;

use super::{json, to_json};
use crate::error::{Error, Result};
use crate::key::ServerKey;
use crate::repo::{NewBatch, outcome_name, to_i64, to_u64};

/// Lock the device's row for the rest of the transaction and give its acknowledged seq.
async fn lock_device(c: &impl GenericClient, id: DeviceId) -> Result<u64> {
    let row = c.query_opt("SELECT acked_seq FROM device WHERE id = $1 FOR UPDATE", &[id.as_uuid()]).await?;
    to_u64(row.ok_or(Error::UnknownDevice)?.try_get(0)?)
}

async fn missing_blobs(c: &impl GenericClient, batch_id: Uuid) -> Result<Vec<BlobRef>> {
    let rows = c
        .query(
            "SELECT bb.sha256, bb.size FROM batch_blob bb LEFT JOIN blob b ON b.sha256 = bb.sha256
             WHERE bb.batch_id = $1 AND b.sha256 IS NULL ORDER BY bb.sha256",
            &[&batch_id],
        )
        .await?;
    rows.iter()
        .map(|r| {
            let sha256 = Sha256Hex::parse(r.try_get(0)?).map_err(|e| Error::Internal(e.to_string()))?;
            Ok(BlobRef { sha256, size: to_u64(r.try_get(1)?)? })
        })
        .collect()
}

async fn batch_state(c: &impl GenericClient, batch_id: Uuid) -> Result<BatchState> {
    let row = c.query_one("SELECT stage, receipt FROM batch WHERE id = $1", &[&batch_id]).await?;
    let receipt: Option<SignedReceipt> = row.try_get::<_, Option<String>>(1)?.as_deref().map(json).transpose()?;
    let stage = if row.try_get::<_, String>(0)? == "committed" { BatchStage::Committed } else { BatchStage::Open };
    Ok(BatchState { batch_id, stage, missing: missing_blobs(c, batch_id).await?, receipt })
}

/// `true` if the change is stored already (same id at the same place), `false` if neither its
/// id nor its (device, seq) is taken; a fork otherwise.
async fn stored_already(c: &impl GenericClient, ch: &ChangeRecord) -> Result<bool> {
    let seq = to_i64(ch.seq)?;
    let rows = c
        .query(
            "SELECT id, device_id, seq FROM change WHERE id = $1 OR (device_id = $2 AND seq = $3)",
            &[ch.id.as_uuid(), ch.device_id.as_uuid(), &seq],
        )
        .await?;
    for r in &rows {
        let (id, device, s): (Uuid, Uuid, i64) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        if id != *ch.id.as_uuid() || device != *ch.device_id.as_uuid() || s != seq {
            return Err(Error::Fork { seq: ch.seq });
        }
    }
    Ok(!rows.is_empty())
}

async fn insert_change(c: &impl GenericClient, ch: &ChangeRecord, batch_id: Uuid, now: DateTime<Utc>) -> Result<bool> {
    let seq = to_i64(ch.seq)?;
    let inserted = c
        .execute(
            "INSERT INTO change (id, device_id, seq, entity, entity_id, op, payload, changed_at, batch_id, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING",
            &[
                ch.id.as_uuid(),
                ch.device_id.as_uuid(),
                &seq,
                &ch.entity.as_str(),
                &ch.entity_id,
                &ch.op.as_str(),
                &ch.payload,
                &ch.at,
                &batch_id,
                &now,
            ],
        )
        .await?;
    if inserted == 1 {
        // The latest state wins: within one device by seq, across devices by time, then id.
        c.execute(
            "INSERT INTO record (entity, entity_id, change_id, device_id, seq, op, payload, changed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (entity, entity_id) DO UPDATE SET change_id = excluded.change_id,
                device_id = excluded.device_id, seq = excluded.seq, op = excluded.op,
                payload = excluded.payload, changed_at = excluded.changed_at
             WHERE (record.device_id = excluded.device_id AND record.seq < excluded.seq)
                OR (record.device_id <> excluded.device_id
                    AND (record.changed_at, record.change_id) < (excluded.changed_at, excluded.change_id))",
            &[
                &ch.entity.as_str(),
                &ch.entity_id,
                ch.id.as_uuid(),
                ch.device_id.as_uuid(),
                &seq,
                &ch.op.as_str(),
                &ch.payload,
                &ch.at,
            ],
        )
        .await?;
    }
    Ok(inserted == 1)
}

pub(super) async fn open_batch(pool: &Pool, batch: &NewBatch, now: DateTime<Utc>) -> Result<BatchState> {
    let m = &batch.manifest;
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let acked = lock_device(&tx, m.device_id).await?;
    let existing = tx.query_opt("SELECT manifest_sha256, device_id FROM batch WHERE id = $1", &[&m.batch_id]).await?;
    if let Some(row) = existing {
        let (digest, device): (String, Uuid) = (row.try_get(0)?, row.try_get(1)?);
        if digest != batch.manifest_sha256 || device != *m.device_id.as_uuid() {
            return Err(Error::BatchConflict);
        }
        return batch_state(&tx, m.batch_id).await;
    }
    if m.after_seq > acked {
        return Err(Error::SequenceGap { after_seq: m.after_seq, acked_seq: acked });
    }
    for c in &m.changes {
        stored_already(&tx, c).await?;
    }
    let inserted = tx
        .execute(
            "INSERT INTO batch (id, device_id, after_seq, last_seq, manifest, signature, manifest_sha256, stage,
                received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8) ON CONFLICT (id) DO NOTHING",
            &[
                &m.batch_id,
                m.device_id.as_uuid(),
                &to_i64(m.after_seq)?,
                &to_i64(m.last_seq())?,
                &batch.canonical,
                &batch.signature,
                &batch.manifest_sha256,
                &now,
            ],
        )
        .await?;
    if inserted == 0 {
        // Another device's batch with the same id.
        return Err(Error::BatchConflict);
    }
    for b in &m.blobs {
        tx.execute(
            "INSERT INTO batch_blob (batch_id, sha256, size) VALUES ($1, $2, $3)",
            &[&m.batch_id, &b.sha256.as_str(), &to_i64(b.size)?],
        )
        .await?;
    }
    let state = batch_state(&tx, m.batch_id).await?;
    tx.commit().await?;
    Ok(state)
}

pub(super) async fn commit(
    pool: &Pool,
    device: DeviceId,
    batch_id: Uuid,
    key: &ServerKey,
    now: DateTime<Utc>,
) -> Result<SignedReceipt> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let acked = lock_device(&tx, device).await?;
    let row = tx
        .query_opt(
            "SELECT receipt, manifest, manifest_sha256 FROM batch WHERE id = $1 AND device_id = $2 FOR UPDATE",
            &[&batch_id, device.as_uuid()],
        )
        .await?
        .ok_or_else(|| Error::NotFound(format!("this device sent no batch {batch_id}")))?;
    if let Some(receipt) = row.try_get::<_, Option<String>>(0)? {
        return json(&receipt);
    }
    let missing = missing_blobs(&tx, batch_id).await?;
    if !missing.is_empty() {
        return Err(Error::MissingBlobs(missing));
    }
    let manifest: Manifest = json(row.try_get(1)?)?;
    if manifest.after_seq > acked {
        return Err(Error::SequenceGap { after_seq: manifest.after_seq, acked_seq: acked });
    }
    let mut items = Vec::with_capacity(manifest.changes.len());
    for c in &manifest.changes {
        let stored = !stored_already(&tx, c).await? && insert_change(&tx, c, batch_id, now).await?;
        items.push(ReceiptItem { seq: c.seq, change_id: c.id, outcome: outcome_name(stored) });
    }
    let acked_seq = acked.max(manifest.last_seq());
    tx.execute("UPDATE device SET acked_seq = $1 WHERE id = $2", &[&to_i64(acked_seq)?, device.as_uuid()]).await?;
    let receipt = key.sign_receipt(Receipt {
        batch_id,
        device_id: device,
        manifest_sha256: row.try_get(2)?,
        items,
        blobs: manifest.blobs.iter().map(|b| b.sha256.clone()).collect(),
        acked_seq,
        committed_at: now,
    });
    tx.execute(
        "UPDATE batch SET stage = 'committed', receipt = $1, committed_at = $2 WHERE id = $3",
        &[&to_json(&receipt)?, &now, &batch_id],
    )
    .await?;
    super::super::fault_point("abort-mid-commit");
    tx.commit().await?;
    Ok(receipt)
}
