//! What the checks read: the tables' rows exactly as stored, before any parsing.

use std::collections::HashMap;

/// One device as stored.
#[derive(Debug, Clone)]
pub struct HeldDevice {
    pub id: String,
    pub public_key: String,
    pub chain_head: Option<String>,
    pub acked_seq: i64,
}

/// One committed batch as stored: its manifest and receipt exactly as the columns hold them.
#[derive(Debug, Clone)]
pub struct HeldBatch {
    pub id: String,
    pub device_id: String,
    pub manifest: Vec<u8>,
    pub signature: String,
    pub manifest_sha256: String,
    pub receipt: Option<Vec<u8>>,
}

/// One change row as stored.
#[derive(Debug, Clone)]
pub struct HeldChange {
    pub id: String,
    pub device_id: String,
    pub seq: i64,
    pub entity: String,
    pub entity_id: String,
    pub op: String,
    pub payload: Vec<u8>,
    /// RFC 3339.
    pub changed_at: String,
    pub batch_id: String,
    pub chain: Option<String>,
}

/// One row of the custody log as stored.
#[derive(Debug, Clone)]
pub struct HeldLogRow {
    pub idx: i64,
    pub batch_id: String,
    pub entry: Vec<u8>,
    pub leaf_hash: String,
    pub frontier: Vec<u8>,
}

/// One day's signed head as stored.
#[derive(Debug, Clone)]
pub struct HeldHead {
    pub day: String,
    pub tree_size: i64,
    pub head: Vec<u8>,
}

/// Everything the checks read from the tables, raw.
#[derive(Debug, Clone, Default)]
pub struct Holdings {
    pub devices: Vec<HeldDevice>,
    /// Committed batches only (an open batch promises nothing yet).
    pub batches: Vec<HeldBatch>,
    /// In (device, seq) order.
    pub changes: Vec<HeldChange>,
    /// In index order.
    pub log: Vec<HeldLogRow>,
    /// In day order.
    pub heads: Vec<HeldHead>,
    /// (sha256, size) of every blob the office records.
    pub blobs: Vec<(String, i64)>,
    /// True when the database re-encodes JSON (PostgreSQL's JSONB): payloads are then compared
    /// as values; otherwise byte for byte with what the device signed.
    pub payload_normalized: bool,
    /// (notice id, number, problem ids) of every issued notice, and problem id → finding id.
    pub notices: Vec<(String, String, Vec<String>)>,
    pub problems: HashMap<String, String>,
}
