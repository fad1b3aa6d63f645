//! What a change carries: the record after the change (for a delete, the record as it was),
//! typed by its [`EntityKind`].
//!
//! The device writes these payloads; the office reads them back with the same types, so a
//! record the office cannot read is refused when its batch arrives instead of being skipped
//! later in a view. Most kinds are the domain's own types (a [`Finding`], a [`Unit`]…); the
//! rest are the shapes the store logs, named here so both sides agree on them.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::change::EntityKind;
use crate::checklist::ChecklistResponse;
use crate::evidence::{Evidence, EvidenceTarget, PhotoMeta, Sha256Hex};
use crate::finding::Finding;
use crate::id::{DeviceId, EvidenceId, InspectorId};
use crate::inspection::{InspectionPlan, Visit};
use crate::rectification::Rectification;
use crate::unit::{Spot, Unit};

/// The inspector a laptop was set up for, as its log names them (the laptop's own id, not the
/// office's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InspectorRecord {
    pub id: InspectorId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// The laptop itself, as its log names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRecord {
    pub id: DeviceId,
    pub inspector_id: InspectorId,
    pub name: String,
    pub public_key: String,
    pub created_at: DateTime<Utc>,
}

/// An evidence file with what the import read from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceRecord {
    pub evidence: Evidence,
    #[serde(default)]
    pub meta: PhotoMeta,
    /// Why the file could not be read whole at import, if it could not.
    #[serde(default)]
    pub damaged: Option<String>,
    /// The original's digest and size again, at the top, where the manifest's blob list reads them.
    pub sha256: Sha256Hex,
    pub size: u64,
}

/// A watermarked copy of an evidence photo, made on the laptop for a notice (通报).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisclosureCopyRecord {
    pub id: Uuid,
    pub evidence_id: EvidenceId,
    /// The original's digest.
    pub original: Sha256Hex,
    /// The copy's digest and size.
    pub sha256: Sha256Hex,
    pub size: u64,
    pub watermark: String,
    pub gps_removed: bool,
}

/// One change's payload, read as its kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Inspector(InspectorRecord),
    Device(DeviceRecord),
    Unit(Unit),
    Spot(Spot),
    Plan(Box<InspectionPlan>),
    Visit(Box<Visit>),
    ChecklistResponse(Box<ChecklistResponse>),
    Finding(Box<Finding>),
    Evidence(Box<EvidenceRecord>),
    DisclosureCopy(Box<DisclosureCopyRecord>),
    Rectification(Box<Rectification>),
}

/// Why a payload is not a record of its kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// It does not read as the kind's type; `reason` names the field (`severity: unknown variant…`).
    #[error("it does not read as a {entity}: {reason}")]
    Unreadable { entity: EntityKind, reason: String },
    /// It reads, but its own id is another record's.
    #[error("its payload is {entity} {named}, not the record the change names")]
    OtherId { entity: EntityKind, named: String },
}

fn read<T: DeserializeOwned>(entity: EntityKind, payload: &serde_json::Value) -> Result<T, RecordError> {
    serde_path_to_error::deserialize(payload).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let reason = if path == "." { inner.to_string() } else { format!("{path}: {inner}") };
        RecordError::Unreadable { entity, reason }
    })
}

impl Record {
    /// Read `payload` as a record of `entity`, and check that it is the record `entity_id`.
    pub fn parse(entity: EntityKind, entity_id: &str, payload: &serde_json::Value) -> Result<Self, RecordError> {
        let record = match entity {
            EntityKind::Inspector => Self::Inspector(read(entity, payload)?),
            EntityKind::Device => Self::Device(read(entity, payload)?),
            EntityKind::Unit => Self::Unit(read(entity, payload)?),
            EntityKind::Spot => Self::Spot(read(entity, payload)?),
            EntityKind::Plan => Self::Plan(read(entity, payload)?),
            EntityKind::Visit => Self::Visit(read(entity, payload)?),
            EntityKind::ChecklistResponse => Self::ChecklistResponse(read(entity, payload)?),
            EntityKind::Finding => Self::Finding(read(entity, payload)?),
            EntityKind::Evidence => Self::Evidence(read(entity, payload)?),
            EntityKind::DisclosureCopy => Self::DisclosureCopy(read(entity, payload)?),
            EntityKind::Rectification => Self::Rectification(read(entity, payload)?),
        };
        let named = record.id();
        if named != entity_id {
            return Err(RecordError::OtherId { entity, named });
        }
        Ok(record)
    }

    /// The record's own id, as text (what a change names it by).
    pub fn id(&self) -> String {
        match self {
            Self::Inspector(r) => r.id.to_string(),
            Self::Device(r) => r.id.to_string(),
            Self::Unit(r) => r.id.to_string(),
            Self::Spot(r) => r.id.to_string(),
            Self::Plan(r) => r.id.to_string(),
            Self::Visit(r) => r.id.to_string(),
            Self::ChecklistResponse(r) => r.id.to_string(),
            Self::Finding(r) => r.id.to_string(),
            Self::Evidence(r) => r.evidence.id.to_string(),
            Self::DisclosureCopy(r) => r.id.to_string(),
            Self::Rectification(r) => r.id.to_string(),
        }
    }

    /// The record this one is attached to and shown with: a photo's finding, visit or filled
    /// checklist, a disclosure copy's evidence. Attaching something to a record changes what
    /// the office sees of that record, so only the record's own laptop may do it.
    pub fn attached_to(&self) -> Option<(EntityKind, String)> {
        match self {
            Self::Evidence(r) => Some(match &r.evidence.target {
                EvidenceTarget::Finding { finding_id } => (EntityKind::Finding, finding_id.to_string()),
                EvidenceTarget::Visit { visit_id } => (EntityKind::Visit, visit_id.to_string()),
                EvidenceTarget::ChecklistItem { response_id, .. } => {
                    (EntityKind::ChecklistResponse, response_id.to_string())
                }
            }),
            Self::DisclosureCopy(r) => Some((EntityKind::Evidence, r.evidence_id.to_string())),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn finding(id: &str) -> serde_json::Value {
        json!({
            "id": id, "visit_id": "0192f4a0-0000-7000-8000-000000000002",
            "unit_id": "0192f4a0-0000-7000-8000-000000000003", "spot_id": null,
            "observed_at": "2026-11-10T09:20:00+08:00", "method": "covert", "category": "san.absent",
            "severity": "serious", "description": "3号窗口无人", "persons_involved": null,
            "checklist_item": null, "status": "submitted",
            "created_at": "2026-11-10T01:20:00Z", "updated_at": "2026-11-10T01:20:00Z",
        })
    }

    const F: &str = "0192f4a0-0000-7000-8000-000000000001";

    #[test]
    fn a_finding_reads_as_a_finding_and_names_itself() {
        let r = Record::parse(EntityKind::Finding, F, &finding(F)).unwrap();
        assert_eq!(r.id(), F);
        assert_eq!(r.attached_to(), None);
    }

    #[test]
    fn an_unreadable_payload_says_which_field() {
        let mut bad = finding(F);
        bad["severity"] = json!("very");
        let e = Record::parse(EntityKind::Finding, F, &bad).unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("it does not read as a finding: severity: unknown variant `very`"), "{text}");
        let e = Record::parse(EntityKind::Unit, F, &json!({"name": "某某区"})).unwrap_err();
        assert!(matches!(e, RecordError::Unreadable { entity: EntityKind::Unit, .. }), "{e}");
    }

    #[test]
    fn a_payload_of_another_record_is_refused() {
        let other = "0192f4a0-0000-7000-8000-0000000000ff";
        let e = Record::parse(EntityKind::Finding, other, &finding(F)).unwrap_err();
        assert_eq!(e, RecordError::OtherId { entity: EntityKind::Finding, named: F.into() });
    }

    #[test]
    fn a_photo_is_attached_to_its_finding() {
        let e = "0192f4a0-0000-7000-8000-000000000010";
        let sha = "a".repeat(64);
        let payload = json!({
            "evidence": {"id": e, "target": {"kind": "finding", "finding_id": F}, "sha256": sha, "size": 3,
                         "media_type": "image/jpeg", "original_name": "a.jpg", "imported_at": "2026-11-10T01:20:00Z"},
            "meta": {"taken_at": null}, "damaged": null, "sha256": sha, "size": 3,
        });
        let r = Record::parse(EntityKind::Evidence, e, &payload).unwrap();
        assert_eq!(r.attached_to(), Some((EntityKind::Finding, F.to_owned())));
    }
}
