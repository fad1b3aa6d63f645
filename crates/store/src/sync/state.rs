//! The sync tables (migration 0002): the enrolled office, batches, receipts, the acknowledged
//! seq and the pull cursor. Each step that must not half-happen is one transaction here.
//! Office events are applied in `events.rs`.

use chrono::{DateTime, Utc};
use mingcha_core::change::EntityKind;
use mingcha_core::sync::{EnrollResponse, Manifest, SignedReceipt};
use rusqlite::{Connection, OptionalExtension};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{Result, StoreError};
use crate::{device_key, parse_time, time_text};

/// The office this laptop is enrolled with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EnrolledServer {
    pub url: String,
    pub server_key: String,
    pub office_inspector_id: String,
    pub enrolled_at: DateTime<Utc>,
    /// The SHA-256 of the office's certificate (migration 0006); `None` behind a TLS proxy.
    pub tls_pin: Option<String>,
}

pub(crate) fn enrolled(conn: &Connection) -> Result<Option<EnrolledServer>> {
    let row = conn
        .query_row(
            "SELECT url, server_key, office_inspector_id, enrolled_at, tls_pin FROM sync_server WHERE slot = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?, r.get(4)?)),
        )
        .optional()?;
    row.map(|(url, server_key, office_inspector_id, at, tls_pin)| {
        Ok(EnrolledServer { url, server_key, office_inspector_id, enrolled_at: parse_time(&at)?, tls_pin })
    })
    .transpose()
}

/// Remember the office. A laptop enrolled again (a new office, or the same one after its data
/// was reset) starts its pull from the beginning and resends whatever that office lacks:
/// the acknowledged seq only ever moves down to what the office says it holds. Office events
/// are kept by the key of the office that sent them, so a new office's events 1, 2, 3 are not
/// taken for the old one's; the same office again finds its events already taken.
pub(crate) fn save_enrollment(
    conn: &mut Connection,
    url: &str,
    tls_pin: Option<&str>,
    resp: &EnrollResponse,
    now: DateTime<Utc>,
) -> Result<()> {
    let tx = conn.transaction()?;
    tx.execute(
        "INSERT INTO sync_server (slot, url, server_key, office_inspector_id, enrolled_at, tls_pin)
         VALUES (1, ?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (slot) DO UPDATE SET url = excluded.url, server_key = excluded.server_key,
             office_inspector_id = excluded.office_inspector_id, enrolled_at = excluded.enrolled_at,
             tls_pin = excluded.tls_pin",
        (url, &resp.server_key, resp.inspector_id.to_string(), time_text(now), tls_pin),
    )?;
    tx.execute("UPDATE sync_state SET acked_seq = min(acked_seq, ?1), pull_cursor = 0", [resp.acked_seq])?;
    // An open batch that starts beyond what this office holds could never be accepted by it.
    tx.execute(
        "DELETE FROM sync_batch WHERE committed_at IS NULL AND after_seq > (SELECT acked_seq FROM sync_state)",
        [],
    )?;
    tx.commit()?;
    Ok(())
}

pub(crate) fn set_url(conn: &Connection, url: &str) -> Result<()> {
    conn.execute("UPDATE sync_server SET url = ?1 WHERE slot = 1", [url])?;
    Ok(())
}

/// Where sync stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Position {
    pub acked_seq: u64,
    pub pull_cursor: u64,
}

pub(crate) fn position(conn: &Connection) -> Result<Position> {
    Ok(conn.query_row("SELECT acked_seq, pull_cursor FROM sync_state WHERE slot = 1", [], |r| {
        Ok(Position { acked_seq: r.get(0)?, pull_cursor: r.get(1)? })
    })?)
}

pub(crate) fn last_sync_at(conn: &Connection) -> Result<Option<DateTime<Utc>>> {
    let at: Option<String> = conn.query_row("SELECT last_sync_at FROM sync_state WHERE slot = 1", [], |r| r.get(0))?;
    Ok(at.as_deref().map(parse_time).transpose()?)
}

pub(crate) fn finished(conn: &Connection, now: DateTime<Utc>) -> Result<()> {
    conn.execute("UPDATE sync_state SET last_sync_at = ?1 WHERE slot = 1", [time_text(now)])?;
    Ok(())
}

/// A batch as persisted before its first send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BatchRow {
    pub batch_id: Uuid,
    pub after_seq: u64,
    pub last_seq: u64,
    pub manifest_sha256: String,
}

pub(crate) fn open_batch(conn: &Connection) -> Result<Option<BatchRow>> {
    let row = conn
        .query_row(
            "SELECT batch_id, after_seq, last_seq, manifest_sha256 FROM sync_batch WHERE committed_at IS NULL",
            [],
            |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    row.map(|(id, after_seq, last_seq, manifest_sha256)| {
        let batch_id = Uuid::parse_str(&id).map_err(|e| StoreError::Corrupt(format!("batch id `{id}`: {e}")))?;
        Ok(BatchRow { batch_id, after_seq, last_seq, manifest_sha256 })
    })
    .transpose()
}

pub(crate) fn create_batch(conn: &Connection, b: &BatchRow, now: DateTime<Utc>) -> Result<()> {
    conn.execute(
        "INSERT INTO sync_batch (batch_id, after_seq, last_seq, manifest_sha256, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        (b.batch_id.to_string(), b.after_seq, b.last_seq, &b.manifest_sha256, time_text(now)),
    )?;
    Ok(())
}

pub(crate) fn manifest_digest(m: &Manifest) -> String {
    mingcha_core::hex::encode(&Sha256::digest(m.canonical_bytes()))
}

/// Why a receipt is not the office's receipt for exactly this manifest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptProblem {
    #[error("its signature does not verify with the office's key from enrollment")]
    Signature,
    #[error("it is for batch {batch_id} of device {device_id}")]
    OtherBatch { batch_id: uuid::Uuid, device_id: mingcha_core::id::DeviceId },
    #[error("it is for other content than this batch")]
    OtherContent,
    #[error("its items are not this batch's changes")]
    OtherItems,
    #[error("it acknowledges seq {acked} only, before {last}")]
    ShortAcknowledgement { acked: u64, last: u64 },
    #[error("it holds chain state {office}, not this batch's {device}")]
    OtherChain { office: String, device: String },
    #[error("its place in the office's log (entry {index} of {size}) does not prove this batch")]
    NotInLog { index: u64, size: u64 },
}

/// Is this the office's receipt for exactly this manifest?
pub(crate) fn check_receipt(server_key: &str, m: &Manifest, signed: &SignedReceipt) -> Result<(), ReceiptProblem> {
    let r = &signed.receipt;
    if !device_key::verify(server_key, &r.signing_message(), &signed.signature) {
        return Err(ReceiptProblem::Signature);
    }
    if r.batch_id != m.batch_id || r.device_id != m.device_id {
        return Err(ReceiptProblem::OtherBatch { batch_id: r.batch_id, device_id: r.device_id });
    }
    if r.manifest_sha256 != manifest_digest(m) {
        return Err(ReceiptProblem::OtherContent);
    }
    let items = r.items.iter().map(|i| (i.seq, i.change_id));
    if r.items.len() != m.changes.len() || !items.eq(m.changes.iter().map(|c| (c.seq, c.id))) {
        return Err(ReceiptProblem::OtherItems);
    }
    if r.acked_seq < m.last_seq() {
        return Err(ReceiptProblem::ShortAcknowledgement { acked: r.acked_seq, last: m.last_seq() });
    }
    if r.chain_head != m.chain_head {
        return Err(ReceiptProblem::OtherChain { office: r.chain_head.short(), device: m.chain_head.short() });
    }
    if !r.log.proves(&m.log_entry(&r.manifest_sha256, r.committed_at)) {
        return Err(ReceiptProblem::NotInLog { index: r.log.index, size: r.log.tree_size });
    }
    Ok(())
}

/// Store a checked receipt and count its changes as synced, in one transaction. Findings the
/// batch carried in their latest state become 已提交 (submitted): the office now holds them.
pub(crate) fn store_receipt(
    conn: &mut Connection,
    b: &BatchRow,
    signed: &SignedReceipt,
    server_key: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let tx = conn.transaction()?;
    let receipt =
        String::from_utf8(signed.receipt.canonical_bytes()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    tx.execute(
        "INSERT INTO sync_receipt (batch_id, receipt, signature, stored_at, server_key) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (batch_id) DO NOTHING",
        (b.batch_id.to_string(), receipt, &signed.signature, time_text(now), server_key),
    )?;
    tx.execute(
        "UPDATE sync_batch SET committed_at = ?2 WHERE batch_id = ?1 AND committed_at IS NULL",
        (b.batch_id.to_string(), time_text(now)),
    )?;
    tx.execute("UPDATE sync_state SET acked_seq = max(acked_seq, ?1) WHERE slot = 1", [b.last_seq])?;
    tx.execute(
        "UPDATE finding SET status = 'submitted' WHERE status = 'draft'
           AND id IN (SELECT entity_id FROM change_log WHERE entity = ?3 AND seq > ?1 AND seq <= ?2)
           AND NOT EXISTS (SELECT 1 FROM change_log c WHERE c.entity = ?3 AND c.entity_id = finding.id AND c.seq > ?2)",
        (b.after_seq, b.last_seq, EntityKind::Finding.as_str()),
    )?;
    tx.commit()?;
    Ok(())
}
