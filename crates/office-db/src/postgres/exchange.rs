//! The exchange on PostgreSQL: storing a manifest, and committing a batch in one transaction,
//! both under the device's row lock.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use deadpool_postgres::{GenericClient, Pool};
use mingcha_core::change::ChangeRecord;
use mingcha_core::custody::{Frontier, Hash, LogPosition};
use mingcha_core::evidence::Sha256Hex;
use mingcha_core::id::DeviceId;
use mingcha_core::sync::{BatchStage, BatchState, BlobRef, Manifest, Receipt, ReceiptItem, SignedReceipt};
use uuid::Uuid;

use super::{json, to_json};
use crate::chain::{StoredChain, check_continuation, links, sign_head, stored_hash};
use crate::error::{RepoError, Result};
use crate::intake::{self, Holders, Landing, Touched};
use crate::key::ServerKey;
use crate::{NewBatch, outcome_name, to_i64, to_u64};

/// Lock the device's row for the rest of the transaction and give its acknowledged seq.
async fn lock_device(c: &impl GenericClient, id: DeviceId) -> Result<u64> {
    let row = c.query_opt("SELECT acked_seq FROM device WHERE id = $1 FOR UPDATE", &[id.as_uuid()]).await?;
    to_u64(row.ok_or(RepoError::UnknownDevice)?.try_get(0)?)
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
            let sha256 = Sha256Hex::parse(r.try_get(0)?).map_err(|e| RepoError::Internal(e.to_string()))?;
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

/// The batch's changes the office holds already, by id, in one query for the whole batch. A
/// change whose id or whose (device, seq) is taken by anything else is a fork, and refuses it.
async fn held_already(c: &impl GenericClient, device: DeviceId, changes: &[ChangeRecord]) -> Result<HashSet<Uuid>> {
    if changes.is_empty() {
        return Ok(HashSet::new());
    }
    let ids: Vec<Uuid> = changes.iter().map(|ch| *ch.id.as_uuid()).collect();
    let seqs: Vec<i64> = changes.iter().map(|ch| to_i64(ch.seq)).collect::<Result<_>>()?;
    let rows = c
        .query(
            "SELECT id, device_id, seq FROM change WHERE id = ANY($1) OR (device_id = $2 AND seq = ANY($3))",
            &[&ids, device.as_uuid(), &seqs],
        )
        .await?;
    let mine: HashMap<Uuid, (Uuid, i64)> =
        changes.iter().zip(&seqs).map(|(ch, seq)| (*ch.id.as_uuid(), (*ch.device_id.as_uuid(), *seq))).collect();
    let mut held = HashSet::new();
    for r in &rows {
        let (id, dev, seq): (Uuid, Uuid, i64) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        if mine.get(&id) == Some(&(dev, seq)) {
            held.insert(id);
        } else {
            let clash = changes
                .iter()
                .zip(&seqs)
                .find(|(ch, s)| *ch.id.as_uuid() == id || (dev == *device.as_uuid() && **s == seq));
            return Err(RepoError::Fork { seq: clash.map_or(0, |(ch, _)| ch.seq) });
        }
    }
    Ok(held)
}

/// Who made the records `t` names, and which of its plans the office issued: two queries for
/// the whole batch.
async fn holders(c: &impl GenericClient, t: &Touched) -> Result<Holders> {
    let mut holders = Holders::default();
    if !t.records.is_empty() {
        let entities: Vec<&str> = t.records.iter().map(|k| k.0.as_str()).collect();
        let ids: Vec<&str> = t.records.iter().map(|k| k.1.as_str()).collect();
        let rows = c
            .query(
                "SELECT r.entity, r.entity_id, r.device_id FROM record r
                 JOIN UNNEST($1::text[], $2::text[]) AS u(entity, entity_id)
                   ON r.entity = u.entity AND r.entity_id = u.entity_id",
                &[&entities, &ids],
            )
            .await?;
        for r in &rows {
            let entity: String = r.try_get(0)?;
            let device: Uuid = r.try_get(2)?;
            holders.owners.insert((crate::parse(&entity)?, r.try_get(1)?), DeviceId::from_uuid(device));
        }
    }
    if !t.plans.is_empty() {
        let plans: Vec<&str> = t.plans.iter().map(String::as_str).collect();
        let rows = c
            .query(
                "SELECT DISTINCT subject FROM office_event WHERE kind = 'plan_assigned' AND subject = ANY($1)",
                &[&plans],
            )
            .await?;
        for r in &rows {
            holders.office_plans.insert(r.try_get(0)?);
        }
    }
    Ok(holders)
}

/// Where each of `device`'s changes the office does not hold yet lands, or `foreign_record`.
async fn landings(c: &impl GenericClient, device: DeviceId, fresh: &[&ChangeRecord]) -> Result<Vec<Landing>> {
    intake::landings(device, fresh, &holders(c, &intake::touched(fresh.iter().copied())).await?)
}

/// Any fixed number: the advisory lock that orders appends to the custody log (commits of
/// different devices hold different device locks, but share the one log).
const CUSTODY_LOCK: i64 = 0x006d_696e_6763_6c67;

/// What `m` needs of the device's chain as the office holds it (the device row is locked).
async fn stored_chain(c: &impl GenericClient, m: &Manifest) -> Result<StoredChain> {
    let row = c
        .query_opt("SELECT acked_seq, chain_head FROM device WHERE id = $1", &[m.device_id.as_uuid()])
        .await?
        .ok_or(RepoError::UnknownDevice)?;
    let acked_seq = to_u64(row.try_get(0)?)?;
    let head: Option<String> = row.try_get(1)?;
    let range = StoredChain::wanted(m, acked_seq);
    let rows = c
        .query(
            "SELECT seq, chain FROM change WHERE device_id = $1 AND seq BETWEEN $2 AND $3",
            &[m.device_id.as_uuid(), &to_i64(*range.start())?, &to_i64(*range.end())?],
        )
        .await?;
    let mut links = std::collections::BTreeMap::new();
    for r in &rows {
        let chain: Option<String> = r.try_get(1)?;
        links.insert(to_u64(r.try_get(0)?)?, chain.as_deref().map(stored_hash).transpose()?);
    }
    Ok(StoredChain { acked_seq, head: head.as_deref().map(stored_hash).transpose()?, links })
}

/// Append the batch's entry to the office's log (in the caller's transaction) and re-sign
/// today's head; the entry's position, for the receipt.
async fn append_log(
    c: &impl GenericClient,
    m: &Manifest,
    manifest_sha256: &str,
    key: &ServerKey,
    now: DateTime<Utc>,
) -> Result<LogPosition> {
    c.execute("SELECT pg_advisory_xact_lock($1)", &[&CUSTODY_LOCK]).await?;
    let last = c.query_opt("SELECT frontier FROM custody_log ORDER BY idx DESC LIMIT 1", &[]).await?;
    let mut frontier: Frontier = match last {
        Some(r) => json(r.try_get(0)?)?,
        None => Frontier::default(),
    };
    let entry = m.log_entry(manifest_sha256, now);
    let position = frontier.append(entry.leaf_hash());
    let canonical = String::from_utf8(entry.canonical_bytes())
        .map_err(|_| RepoError::Internal("canonical JSON is not UTF-8".into()))?;
    c.execute(
        "INSERT INTO custody_log (idx, batch_id, entry, leaf_hash, frontier, at) VALUES ($1, $2, $3, $4, $5, $6)",
        &[&to_i64(position.index)?, &m.batch_id, &canonical, &entry.leaf_hash().to_hex(), &to_json(&frontier)?, &now],
    )
    .await?;
    let head = sign_head(key, &frontier, now);
    c.execute(
        "INSERT INTO custody_head (day, tree_size, head, signed_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (day) DO UPDATE SET tree_size = excluded.tree_size, head = excluded.head,
            signed_at = excluded.signed_at
         WHERE excluded.tree_size >= custody_head.tree_size",
        &[&head.head.day, &to_i64(frontier.size)?, &to_json(&head)?, &now],
    )
    .await?;
    Ok(position)
}

/// Insert `fresh` changes (with their chain links) in one statement; the ids actually inserted.
async fn insert_changes(
    c: &impl GenericClient,
    fresh: &[(&ChangeRecord, Hash)],
    batch_id: Uuid,
    now: DateTime<Utc>,
) -> Result<HashSet<Uuid>> {
    if fresh.is_empty() {
        return Ok(HashSet::new());
    }
    let changes: Vec<&ChangeRecord> = fresh.iter().map(|(c, _)| *c).collect();
    let chains: Vec<String> = fresh.iter().map(|(_, h)| h.to_hex()).collect();
    let col = Columns::of(&changes)?;
    let rows = c
        .query(
            "INSERT INTO change (id, device_id, seq, entity, entity_id, op, payload, changed_at, batch_id, received_at,
                chain)
             SELECT u.id, u.device_id, u.seq, u.entity, u.entity_id, u.op, u.payload, u.changed_at, $9, $10, u.chain
             FROM UNNEST($1::uuid[], $2::uuid[], $3::int8[], $4::text[], $5::text[], $6::text[], $7::jsonb[],
                         $8::timestamptz[], $11::text[])
                  AS u(id, device_id, seq, entity, entity_id, op, payload, changed_at, chain)
             ON CONFLICT (id) DO NOTHING RETURNING id",
            &[
                &col.ids,
                &col.devices,
                &col.seqs,
                &col.entities,
                &col.entity_ids,
                &col.ops,
                &col.payloads,
                &col.times,
                &batch_id,
                &now,
                &chains,
            ],
        )
        .await?;
    rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
}

/// Keep the latest state of each record the new changes touch, in one statement. Within the
/// batch the last change of a record stands for it; against what the office holds, the higher
/// seq of the same device wins. Only the laptop that made a record changes it (see
/// `crate::intake`), so no device's clock orders another's changes; the condition also holds
/// when two laptops' commits race to make one record id (they lock different device rows).
async fn upsert_records(c: &impl GenericClient, inserted: &[&ChangeRecord]) -> Result<()> {
    let mut latest: HashMap<(&str, &str), &ChangeRecord> = HashMap::new();
    for ch in inserted {
        latest.insert((ch.entity.as_str(), ch.entity_id.as_str()), ch);
    }
    if latest.is_empty() {
        return Ok(());
    }
    let col = Columns::of(&latest.into_values().collect::<Vec<_>>())?;
    c.execute(
        "INSERT INTO record (entity, entity_id, change_id, device_id, seq, op, payload, changed_at)
         SELECT u.entity, u.entity_id, u.id, u.device_id, u.seq, u.op, u.payload, u.changed_at
         FROM UNNEST($1::uuid[], $2::uuid[], $3::int8[], $4::text[], $5::text[], $6::text[], $7::jsonb[],
                     $8::timestamptz[]) AS u(id, device_id, seq, entity, entity_id, op, payload, changed_at)
         ON CONFLICT (entity, entity_id) DO UPDATE SET change_id = excluded.change_id,
            device_id = excluded.device_id, seq = excluded.seq, op = excluded.op,
            payload = excluded.payload, changed_at = excluded.changed_at
         WHERE record.device_id = excluded.device_id AND record.seq < excluded.seq",
        &[&col.ids, &col.devices, &col.seqs, &col.entities, &col.entity_ids, &col.ops, &col.payloads, &col.times],
    )
    .await?;
    Ok(())
}

/// Changes as columns, for `UNNEST`: one round trip for a whole batch instead of one a change.
struct Columns<'a> {
    ids: Vec<Uuid>,
    devices: Vec<Uuid>,
    seqs: Vec<i64>,
    entities: Vec<&'static str>,
    entity_ids: Vec<&'a str>,
    ops: Vec<&'static str>,
    payloads: Vec<&'a serde_json::Value>,
    times: Vec<DateTime<Utc>>,
}

impl<'a> Columns<'a> {
    fn of(changes: &[&'a ChangeRecord]) -> Result<Self> {
        Ok(Self {
            ids: changes.iter().map(|c| *c.id.as_uuid()).collect(),
            devices: changes.iter().map(|c| *c.device_id.as_uuid()).collect(),
            seqs: changes.iter().map(|c| to_i64(c.seq)).collect::<Result<_>>()?,
            entities: changes.iter().map(|c| c.entity.as_str()).collect(),
            entity_ids: changes.iter().map(|c| c.entity_id.as_str()).collect(),
            ops: changes.iter().map(|c| c.op.as_str()).collect(),
            payloads: changes.iter().map(|c| &c.payload).collect(),
            times: changes.iter().map(|c| c.at).collect(),
        })
    }
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
            return Err(RepoError::BatchConflict);
        }
        return batch_state(&tx, m.batch_id).await;
    }
    if m.after_seq > acked {
        return Err(RepoError::SequenceGap { after_seq: m.after_seq, acked_seq: acked });
    }
    let held = held_already(&tx, m.device_id, &m.changes).await?;
    check_continuation(m, &stored_chain(&tx, m).await?)?;
    let fresh: Vec<&ChangeRecord> = m.changes.iter().filter(|c| !held.contains(c.id.as_uuid())).collect();
    landings(&tx, m.device_id, &fresh).await?;
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
        return Err(RepoError::BatchConflict);
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
        .ok_or_else(|| RepoError::NotFound(format!("this device sent no batch {batch_id}")))?;
    if let Some(receipt) = row.try_get::<_, Option<String>>(0)? {
        return json(&receipt);
    }
    let missing = missing_blobs(&tx, batch_id).await?;
    if !missing.is_empty() {
        return Err(RepoError::MissingBlobs(missing));
    }
    let manifest: Manifest = json(row.try_get(1)?)?;
    if manifest.after_seq > acked {
        return Err(RepoError::SequenceGap { after_seq: manifest.after_seq, acked_seq: acked });
    }
    let held = held_already(&tx, device, &manifest.changes).await?;
    let chain = stored_chain(&tx, &manifest).await?;
    check_continuation(&manifest, &chain)?;
    let fresh: Vec<(&ChangeRecord, Hash)> =
        manifest.changes.iter().zip(links(&manifest)).filter(|(c, _)| !held.contains(c.id.as_uuid())).collect();
    // Checked again here, in the transaction: another laptop's batch may have made one of
    // these records since this one was opened.
    let fresh_changes: Vec<&ChangeRecord> = fresh.iter().map(|(c, _)| *c).collect();
    let landings = landings(&tx, device, &fresh_changes).await?;
    let inserted = insert_changes(&tx, &fresh, batch_id, now).await?;
    let new: Vec<&ChangeRecord> = fresh_changes
        .into_iter()
        .zip(landings)
        .filter(|(c, landing)| *landing == Landing::Record && inserted.contains(c.id.as_uuid()))
        .map(|(c, _)| c)
        .collect();
    upsert_records(&tx, &new).await?;
    let mut index = Vec::new();
    for c in &new {
        index.extend(crate::read_model::on_change(c, batch_id)?);
    }
    super::read::apply(&tx, &index).await?;
    let items = manifest
        .changes
        .iter()
        .map(|c| ReceiptItem { seq: c.seq, change_id: c.id, outcome: outcome_name(inserted.contains(c.id.as_uuid())) })
        .collect();
    let acked_seq = acked.max(manifest.last_seq());
    let chain_head = if manifest.last_seq() >= acked { manifest.chain_head } else { chain.head.unwrap_or_default() };
    tx.execute(
        "UPDATE device SET acked_seq = $1, chain_head = $2 WHERE id = $3",
        &[&to_i64(acked_seq)?, &chain_head.to_hex(), device.as_uuid()],
    )
    .await?;
    let manifest_sha256: String = row.try_get(2)?;
    let log = append_log(&tx, &manifest, &manifest_sha256, key, now).await?;
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
        "UPDATE batch SET stage = 'committed', receipt = $1, committed_at = $2 WHERE id = $3",
        &[&to_json(&receipt)?, &now, &batch_id],
    )
    .await?;
    super::super::fault_point("abort-mid-commit");
    tx.commit().await?;
    Ok(receipt)
}
