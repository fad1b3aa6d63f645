//! What the chain-of-custody checks read on PostgreSQL. Its TEXT columns are valid UTF-8 by
//! construction and JSONB payloads come back in PostgreSQL's own spelling, so payloads are
//! compared as values (`payload_normalized`).

use chrono::{DateTime, SecondsFormat, Utc};
use deadpool_postgres::Pool;
use uuid::Uuid;

use crate::error::Result;
use mingcha_office::custody::{HeldBatch, HeldChange, HeldDevice, HeldHead, HeldLogRow, Holdings};

pub(super) async fn holdings(pool: &Pool) -> Result<Holdings> {
    let c = pool.get().await?;
    let mut h = Holdings { payload_normalized: true, ..Holdings::default() };
    for r in c.query("SELECT id, public_key, chain_head, acked_seq FROM device ORDER BY id", &[]).await? {
        h.devices.push(HeldDevice {
            id: r.try_get::<_, Uuid>(0)?.to_string(),
            public_key: r.try_get(1)?,
            chain_head: r.try_get(2)?,
            acked_seq: r.try_get(3)?,
        });
    }
    let batches = c
        .query(
            "SELECT id, device_id, manifest, signature, manifest_sha256, receipt FROM batch
             WHERE stage = 'committed' ORDER BY committed_at, id",
            &[],
        )
        .await?;
    for r in batches {
        h.batches.push(HeldBatch {
            id: r.try_get::<_, Uuid>(0)?.to_string(),
            device_id: r.try_get::<_, Uuid>(1)?.to_string(),
            manifest: r.try_get::<_, String>(2)?.into_bytes(),
            signature: r.try_get(3)?,
            manifest_sha256: r.try_get(4)?,
            receipt: r.try_get::<_, Option<String>>(5)?.map(String::into_bytes),
        });
    }
    let changes = c
        .query(
            "SELECT id, device_id, seq, entity, entity_id, op, payload::text, changed_at, batch_id, chain FROM change
             ORDER BY device_id::text, seq",
            &[],
        )
        .await?;
    for r in changes {
        h.changes.push(HeldChange {
            id: r.try_get::<_, Uuid>(0)?.to_string(),
            device_id: r.try_get::<_, Uuid>(1)?.to_string(),
            seq: r.try_get(2)?,
            entity: r.try_get(3)?,
            entity_id: r.try_get(4)?,
            op: r.try_get(5)?,
            payload: r.try_get::<_, String>(6)?.into_bytes(),
            changed_at: r.try_get::<_, DateTime<Utc>>(7)?.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            batch_id: r.try_get::<_, Uuid>(8)?.to_string(),
            chain: r.try_get(9)?,
        });
    }
    for r in c.query("SELECT idx, batch_id, entry, leaf_hash, frontier FROM custody_log ORDER BY idx", &[]).await? {
        h.log.push(HeldLogRow {
            idx: r.try_get(0)?,
            batch_id: r.try_get::<_, Uuid>(1)?.to_string(),
            entry: r.try_get::<_, String>(2)?.into_bytes(),
            leaf_hash: r.try_get(3)?,
            frontier: r.try_get::<_, String>(4)?.into_bytes(),
        });
    }
    for r in c.query("SELECT day::text, tree_size, head FROM custody_head ORDER BY day", &[]).await? {
        h.heads.push(HeldHead {
            day: r.try_get(0)?,
            tree_size: r.try_get(1)?,
            head: r.try_get::<_, String>(2)?.into_bytes(),
        });
    }
    for r in c.query("SELECT sha256, size FROM blob ORDER BY sha256", &[]).await? {
        h.blobs.push((r.try_get(0)?, r.try_get(1)?));
    }
    Ok(h)
}
