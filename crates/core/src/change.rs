//! The change log: every create, update and delete of a record, in order, per device.
//!
//! The store writes one [`ChangeRecord`] in the same transaction as the change itself, so the
//! log and the tables can never disagree. The log is append-only; deletes are tombstones
//! (a `Delete` change and a `deleted_at` mark), never a vanished row. The log is the sync outbox.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ValidationError;
use crate::id::{ChangeId, DeviceId};

/// What kind of record changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Inspector,
    Device,
    Unit,
    Spot,
    Plan,
    Visit,
    ChecklistResponse,
    Finding,
    Evidence,
    /// A watermarked copy of an evidence photo, made for a notice.
    DisclosureCopy,
    Rectification,
}

impl EntityKind {
    pub const ALL: [EntityKind; 11] = [
        Self::Inspector,
        Self::Device,
        Self::Unit,
        Self::Spot,
        Self::Plan,
        Self::Visit,
        Self::ChecklistResponse,
        Self::Finding,
        Self::Evidence,
        Self::DisclosureCopy,
        Self::Rectification,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inspector => "inspector",
            Self::Device => "device",
            Self::Unit => "unit",
            Self::Spot => "spot",
            Self::Plan => "plan",
            Self::Visit => "visit",
            Self::ChecklistResponse => "checklist_response",
            Self::Finding => "finding",
            Self::Evidence => "evidence",
            Self::DisclosureCopy => "disclosure_copy",
            Self::Rectification => "rectification",
        }
    }
}

impl FromStr for EntityKind {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| ValidationError::NotOneOf {
            field: "entity",
            value: s.to_owned(),
            expected: "a record kind",
        })
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeOp {
    Create,
    Update,
    /// A tombstone: the record is marked deleted and its last state kept.
    Delete,
}

impl ChangeOp {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Delete => "delete",
        }
    }
}

impl FromStr for ChangeOp {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::Create, Self::Update, Self::Delete].into_iter().find(|o| o.as_str() == s).ok_or_else(|| {
            ValidationError::NotOneOf { field: "op", value: s.to_owned(), expected: "create|update|delete" }
        })
    }
}

/// One entry of a device's change log. `payload` is the full record after the change (for a
/// delete, the record as it was), so the office can rebuild any record from the log alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeRecord {
    pub id: ChangeId,
    /// Position in this device's log, 1, 2, 3 … without gaps.
    pub seq: u64,
    pub device_id: DeviceId,
    pub entity: EntityKind,
    pub entity_id: String,
    pub op: ChangeOp,
    pub payload: serde_json::Value,
    pub at: DateTime<Utc>,
}
