//! The exchange on SQLite: storing a manifest, and committing a batch in one transaction.

use chrono::{DateTime, Utc};
use mingcha_core::change::ChangeRecord;
use mingcha_core::custody::{Frontier, Hash, LogPosition};
use mingcha_core::evidence::Sha256Hex;
use mingcha_core::id::DeviceId;
use mingcha_core::sync::{BatchStage, BatchState, BlobRef, Manifest, Receipt, ReceiptItem, SignedReceipt};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::{json, to_json, ts};
use crate::chain::{StoredChain, check_continuation, links, sign_head, stored_hash};
use crate::error::{RepoError, Result};
use crate::intake::{self, Holders, Landing, Touched};
use crate::key::ServerKey;
use crate::{NewBatch, outcome_name, to_i64, to_u64};

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
        let sha256 = Sha256Hex::parse(&sha).map_err(|e| RepoError::Internal(e.to_string()))?;
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
            return Err(RepoError::Fork { seq: c.seq });
        }
        found = true;
    }
    Ok(found)
}

fn insert_change(
    tx: &Transaction<'_>,
    c: &ChangeRecord,
    (link, landing): (&Hash, Landing),
    batch_id: uuid::Uuid,
    now: &DateTime<Utc>,
) -> Result<bool> {
    let payload = to_json(&c.payload)?;
    let inserted = tx
        .prepare_cached(
            "INSERT INTO change (id, device_id, seq, entity, entity_id, op, payload, changed_at, batch_id, received_at,
                chain) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (id) DO NOTHING",
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
            link.to_hex(),
        ])?;
    if inserted == 1 && landing == Landing::Record {
        // The latest state wins, by the device's seq: only the laptop that made a record
        // changes it (see `crate::intake`), so no device's clock orders another's changes.
        tx.prepare_cached(
            "INSERT INTO record (entity, entity_id, change_id, device_id, seq, op, payload, changed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (entity, entity_id) DO UPDATE SET change_id = excluded.change_id,
                device_id = excluded.device_id, seq = excluded.seq, op = excluded.op,
                payload = excluded.payload, changed_at = excluded.changed_at
             WHERE record.device_id = excluded.device_id AND record.seq < excluded.seq",
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
        super::read::apply(tx, &crate::read_model::on_change(c, batch_id)?)?;
    }
    Ok(inserted == 1)
}

/// Who made the records `t` names, and which of its plans the office issued.
fn holders(tx: &Transaction<'_>, t: &Touched) -> Result<Holders> {
    let mut holders = Holders::default();
    let mut owner = tx.prepare_cached("SELECT device_id FROM record WHERE entity = ?1 AND entity_id = ?2")?;
    for key in &t.records {
        let device: Option<String> = owner.query_row(params![key.0.as_str(), key.1], |r| r.get(0)).optional()?;
        if let Some(device) = device {
            holders.owners.insert(key.clone(), crate::parse(&device)?);
        }
    }
    let mut office = tx.prepare_cached("SELECT 1 FROM office_event WHERE kind = 'plan_assigned' AND subject = ?1")?;
    for plan in &t.plans {
        if office.query_row([plan], |_| Ok(())).optional()?.is_some() {
            holders.office_plans.insert(plan.clone());
        }
    }
    Ok(holders)
}

/// Where each of `m`'s changes lands (`None`: the office holds it already), or `foreign_record`.
fn landings(tx: &Transaction<'_>, m: &Manifest, held: &[bool]) -> Result<Vec<Option<Landing>>> {
    let fresh: Vec<&ChangeRecord> = m.changes.iter().zip(held).filter(|(_, h)| !**h).map(|(c, _)| c).collect();
    let mut fresh_landings =
        intake::landings(m.device_id, &fresh, &holders(tx, &intake::touched(fresh.iter().copied()))?)?.into_iter();
    Ok(held.iter().map(|h| if *h { None } else { fresh_landings.next() }).collect())
}

fn acked_seq(tx: &Transaction<'_>, device: DeviceId) -> Result<u64> {
    let acked: Option<i64> =
        tx.query_row("SELECT acked_seq FROM device WHERE id = ?1", [device.to_string()], |r| r.get(0)).optional()?;
    to_u64(acked.ok_or(RepoError::UnknownDevice)?)
}

/// What `m` needs of the device's chain as the office holds it.
fn stored_chain(tx: &Transaction<'_>, m: &Manifest) -> Result<StoredChain> {
    let (acked, head): (i64, Option<String>) = tx
        .query_row("SELECT acked_seq, chain_head FROM device WHERE id = ?1", [m.device_id.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?
        .ok_or(RepoError::UnknownDevice)?;
    let acked_seq = to_u64(acked)?;
    let range = StoredChain::wanted(m, acked_seq);
    let mut stmt = tx.prepare_cached("SELECT seq, chain FROM change WHERE device_id = ?1 AND seq BETWEEN ?2 AND ?3")?;
    let rows = stmt
        .query_map(params![m.device_id.to_string(), to_i64(*range.start())?, to_i64(*range.end())?], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?))
        })?;
    let mut links = std::collections::BTreeMap::new();
    for row in rows {
        let (seq, chain) = row?;
        links.insert(to_u64(seq)?, chain.as_deref().map(stored_hash).transpose()?);
    }
    Ok(StoredChain { acked_seq, head: head.as_deref().map(stored_hash).transpose()?, links })
}

/// Append the batch's entry to the office's log (in the caller's transaction) and re-sign
/// today's head; the entry's position, for the receipt.
fn append_log(
    tx: &Transaction<'_>,
    m: &Manifest,
    manifest_sha256: &str,
    key: &ServerKey,
    now: DateTime<Utc>,
) -> Result<LogPosition> {
    let last: Option<String> =
        tx.query_row("SELECT frontier FROM custody_log ORDER BY idx DESC LIMIT 1", [], |r| r.get(0)).optional()?;
    let mut frontier: Frontier = last.as_deref().map(json).transpose()?.unwrap_or_default();
    let entry = m.log_entry(manifest_sha256, now);
    let position = frontier.append(entry.leaf_hash());
    let canonical = String::from_utf8(entry.canonical_bytes())
        .map_err(|_| RepoError::Internal("canonical JSON is not UTF-8".into()))?;
    tx.execute(
        "INSERT INTO custody_log (idx, batch_id, entry, leaf_hash, frontier, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            to_i64(position.index)?,
            m.batch_id.to_string(),
            canonical,
            entry.leaf_hash().to_hex(),
            to_json(&frontier)?,
            ts(&now)
        ],
    )?;
    let head = sign_head(key, &frontier, now);
    tx.execute(
        "INSERT INTO custody_head (day, tree_size, head, signed_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (day) DO UPDATE SET tree_size = excluded.tree_size, head = excluded.head,
            signed_at = excluded.signed_at
         WHERE excluded.tree_size >= custody_head.tree_size",
        params![head.head.day.to_string(), to_i64(frontier.size)?, to_json(&head)?, ts(&now)],
    )?;
    Ok(position)
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
            return Err(RepoError::BatchConflict);
        }
        return batch_state(&tx, m.batch_id);
    }
    let acked = acked_seq(&tx, m.device_id)?;
    if m.after_seq > acked {
        return Err(RepoError::SequenceGap { after_seq: m.after_seq, acked_seq: acked });
    }
    let held = m.changes.iter().map(|c| stored_already(&tx, c)).collect::<Result<Vec<_>>>()?;
    check_continuation(m, &stored_chain(&tx, m)?)?;
    landings(&tx, m, &held)?;
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
        return Err(RepoError::NotFound(format!("this device sent no batch {batch_id}")));
    };
    if let Some(receipt) = receipt {
        return json(&receipt);
    }
    let missing = missing_blobs(&tx, batch_id)?;
    if !missing.is_empty() {
        return Err(RepoError::MissingBlobs(missing));
    }
    let manifest: Manifest = json(&manifest)?;
    let acked = acked_seq(&tx, device)?;
    if manifest.after_seq > acked {
        return Err(RepoError::SequenceGap { after_seq: manifest.after_seq, acked_seq: acked });
    }
    let mut held = Vec::with_capacity(manifest.changes.len());
    for c in &manifest.changes {
        held.push(stored_already(&tx, c)?);
    }
    let chain = stored_chain(&tx, &manifest)?;
    check_continuation(&manifest, &chain)?;
    // Checked again here, under the write lock: another laptop's batch may have made one of
    // these records since this one was opened.
    let landings = landings(&tx, &manifest, &held)?;
    let mut items = Vec::with_capacity(manifest.changes.len());
    for ((c, landing), link) in manifest.changes.iter().zip(landings).zip(links(&manifest)) {
        let stored = match landing {
            Some(landing) => insert_change(&tx, c, (&link, landing), batch_id, &now)?,
            None => false,
        };
        items.push(ReceiptItem { seq: c.seq, change_id: c.id, outcome: outcome_name(stored) });
    }
    let acked_seq = acked.max(manifest.last_seq());
    let chain_head = if manifest.last_seq() >= acked { manifest.chain_head } else { chain.head.unwrap_or_default() };
    tx.execute(
        "UPDATE device SET acked_seq = ?1, chain_head = ?2 WHERE id = ?3",
        params![to_i64(acked_seq)?, chain_head.to_hex(), device.to_string()],
    )?;
    let log = append_log(&tx, &manifest, &manifest_sha256, key, now)?;
    let receipt = key.sign_receipt(Receipt {
        batch_id,
        device_id: device,
        manifest_sha256,
        items,
        blobs: manifest.blobs.iter().map(|b| b.sha256.clone()).collect(),
        acked_seq,
        committed_at: now,
        chain_head,
        log,
    });
    tx.execute(
        "UPDATE batch SET stage = 'committed', receipt = ?1, committed_at = ?2 WHERE id = ?3",
        params![to_json(&receipt)?, ts(&now), batch_id.to_string()],
    )?;
    super::super::fault_point("abort-mid-commit");
    tx.commit()?;
    Ok(receipt)
}
