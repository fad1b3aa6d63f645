//! Evidence records (证据) and the blobs they point at. The import pipeline
//! (`mingcha-evidence`) stores the bytes write-once and only then calls
//! [`Store::record_evidence`], so a row never exists without its file.

use chrono::NaiveDate;
use mingcha_core::change::{ChangeOp, EntityKind};
use mingcha_core::evidence::{Evidence, EvidenceFlag, EvidenceTarget, Gps, PhotoMeta, Sha256Hex, flags};
use mingcha_core::id::{EvidenceId, FindingId};
use mingcha_core::text;
use rusqlite::{OptionalExtension, Row};
use serde::Serialize;

use crate::error::{Result, StoreError};
use crate::{Store, Writer, conversion, parse_id, parse_time, resolve_id};

/// What a file is attached to, as a user names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetRef {
    Finding(String),
    Visit(String),
    /// An item of a visit's filled checklist: (visit, template, item code or number).
    ChecklistItem {
        visit: String,
        template: String,
        item: String,
    },
}

/// A resolved target and the day its photos should have been taken.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub target: EvidenceTarget,
    pub visit_on: NaiveDate,
}

/// An original as the import pipeline found it.
#[derive(Debug, Clone, PartialEq)]
pub struct BlobRecord {
    pub sha256: Sha256Hex,
    pub size: u64,
    pub media_type: String,
    pub meta: PhotoMeta,
    /// Why an image could not be decoded, if it could not.
    pub damaged: Option<String>,
}

/// Whether recording made a new piece of evidence.
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    New(Evidence),
    /// The same original was already attached to the same target.
    AlreadyPresent(Evidence),
}

/// A piece of evidence as listed: the record, its EXIF, and its flags.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EvidenceView {
    #[serde(flatten)]
    pub evidence: Evidence,
    pub meta: PhotoMeta,
    pub damaged: Option<String>,
    pub flags: Vec<EvidenceFlag>,
}

/// An evidence row for bulk loading (benchmarks, migrations): a finding and a digest, no EXIF.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvidence {
    /// A finding by id or prefix.
    pub finding: String,
    pub sha256: Sha256Hex,
    pub size: u64,
    pub media_type: String,
    pub original_name: String,
}

const COLUMNS: &str = "e.id, e.finding_id, e.visit_id, e.response_id, e.item_code, e.sha256, e.size, e.media_type,
    e.original_name, e.imported_at, b.taken_at, b.taken_offset, b.gps_lat, b.gps_lon, b.gps_alt, b.camera_make,
    b.camera_model, b.orientation, b.width, b.height, b.damaged,
    COALESCE(vf.visit_date, vv.visit_date, vr.visit_date)";
const FROM: &str = "evidence e JOIN blob b ON b.sha256 = e.sha256
    LEFT JOIN finding f ON f.id = e.finding_id LEFT JOIN visit vf ON vf.id = f.visit_id
    LEFT JOIN visit vv ON vv.id = e.visit_id
    LEFT JOIN checklist_response r ON r.id = e.response_id LEFT JOIN visit vr ON vr.id = r.visit_id";

fn view_from_row(r: &Row<'_>) -> rusqlite::Result<EvidenceView> {
    let id = |i: usize| -> rusqlite::Result<Option<String>> { r.get(i) };
    let target = match (id(1)?, id(2)?, id(3)?, id(4)?) {
        (Some(f), _, _, _) => EvidenceTarget::Finding { finding_id: parse_id(&f)? },
        (_, Some(v), _, _) => EvidenceTarget::Visit { visit_id: parse_id(&v)? },
        (_, _, Some(response), Some(item_code)) => {
            EvidenceTarget::ChecklistItem { response_id: parse_id(&response)?, item_code }
        }
        _ => return Err(conversion(1, StoreError::Corrupt("evidence without a target".into()))),
    };
    let evidence = Evidence {
        id: parse_id(&r.get::<_, String>(0)?)?,
        target,
        sha256: Sha256Hex::parse(&r.get::<_, String>(5)?).map_err(|e| conversion(5, e))?,
        size: r.get(6)?,
        media_type: r.get(7)?,
        original_name: r.get(8)?,
        imported_at: parse_time(&r.get::<_, String>(9)?)?,
    };
    let taken_at = r
        .get::<_, Option<String>>(10)?
        .map(|s| chrono::NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S").map_err(|e| conversion(10, e)))
        .transpose()?;
    let gps = match (r.get::<_, Option<f64>>(12)?, r.get::<_, Option<f64>>(13)?) {
        (Some(lat), Some(lon)) => Some(Gps { lat, lon, alt: r.get(14)? }),
        _ => None,
    };
    let meta = PhotoMeta {
        taken_at,
        taken_offset: r.get(11)?,
        gps,
        make: r.get(15)?,
        model: r.get(16)?,
        orientation: r.get(17)?,
        width: r.get(18)?,
        height: r.get(19)?,
    };
    let damaged: Option<String> = r.get(20)?;
    let visit_on = r.get::<_, Option<String>>(21)?.map(|s| s.parse().map_err(|e| conversion(21, e))).transpose()?;
    let flags = flags(&evidence.media_type, &meta, damaged.as_deref(), visit_on);
    Ok(EvidenceView { evidence, meta, damaged, flags })
}

impl Writer<'_> {
    /// The blob row for an original, made on first sight. Its EXIF is read once: the same
    /// bytes always say the same thing.
    fn ensure_blob(&self, b: &BlobRecord) -> Result<()> {
        let gps = b.meta.gps;
        self.prepare_cached(
            "INSERT INTO blob (sha256, size, media_type, stored_at, taken_at, taken_offset, gps_lat, gps_lon, gps_alt,
                 camera_make, camera_model, orientation, width, height, damaged)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
             ON CONFLICT (sha256) DO NOTHING",
        )?
        .execute(rusqlite::params![
            b.sha256.as_str(),
            b.size,
            b.media_type,
            self.now_text(),
            b.meta.taken_at.map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string()),
            b.meta.taken_offset,
            gps.map(|g| g.lat),
            gps.map(|g| g.lon),
            gps.and_then(|g| g.alt),
            b.meta.make,
            b.meta.model,
            b.meta.orientation,
            b.meta.width,
            b.meta.height,
            b.damaged,
        ])?;
        Ok(())
    }

    fn insert_evidence(&self, target: &EvidenceTarget, b: &BlobRecord, original_name: &str) -> Result<Evidence> {
        let e = Evidence {
            id: EvidenceId::from_uuid(self.new_id()),
            target: target.clone(),
            sha256: b.sha256.clone(),
            size: b.size,
            media_type: b.media_type.clone(),
            original_name: original_name.to_owned(),
            imported_at: self.now,
        };
        let (finding, visit, response, item) = match target {
            EvidenceTarget::Finding { finding_id } => (Some(finding_id.to_string()), None, None, None),
            EvidenceTarget::Visit { visit_id } => (None, Some(visit_id.to_string()), None, None),
            EvidenceTarget::ChecklistItem { response_id, item_code } => {
                (None, None, Some(response_id.to_string()), Some(item_code.clone()))
            }
        };
        self.prepare_cached(
            "INSERT INTO evidence (id, finding_id, visit_id, response_id, item_code, sha256, size, media_type,
                 original_name, imported_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(rusqlite::params![
            e.id.to_string(),
            finding,
            visit,
            response,
            item,
            e.sha256.as_str(),
            e.size,
            e.media_type,
            e.original_name,
            self.now_text()
        ])?;
        let payload = serde_json::json!({"evidence": e, "meta": b.meta, "damaged": b.damaged, "sha256": e.sha256, "size": e.size});
        self.log(EntityKind::Evidence, &e.id.to_string(), ChangeOp::Create, &payload)?;
        Ok(e)
    }
}

impl Store {
    /// Resolve what files will be attached to, once per import.
    pub fn resolve_target(&self, r: &TargetRef) -> Result<Target> {
        match r {
            TargetRef::Finding(key) => {
                let f = self.finding(key)?;
                let visit = self.visit(&f.finding.visit_id.to_string())?;
                Ok(Target { target: EvidenceTarget::Finding { finding_id: f.finding.id }, visit_on: visit.date })
            }
            TargetRef::Visit(key) => {
                let v = self.visit(key)?;
                Ok(Target { target: EvidenceTarget::Visit { visit_id: v.id }, visit_on: v.date })
            }
            TargetRef::ChecklistItem { visit, template, item } => {
                let v = self.visit(visit)?;
                let (response_id, item) = self.filled_item(v.id, template, item)?;
                Ok(Target {
                    target: EvidenceTarget::ChecklistItem { response_id, item_code: item.code },
                    visit_on: v.date,
                })
            }
        }
    }

    /// Record an original (already stored) as evidence for `target`. The same original on the
    /// same target is one piece of evidence: the second time reports it as already present.
    pub fn record_evidence(&mut self, target: &Target, blob: &BlobRecord, original_name: &str) -> Result<Recorded> {
        let name = text::required("original name", original_name, 255)?;
        if let Some(existing) = self.existing(&target.target, &blob.sha256)? {
            return Ok(Recorded::AlreadyPresent(existing.evidence));
        }
        self.write(|w| {
            w.ensure_blob(blob)?;
            Ok(Recorded::New(w.insert_evidence(&target.target, blob, &name)?))
        })
    }

    fn existing(&self, target: &EvidenceTarget, sha256: &Sha256Hex) -> Result<Option<EvidenceView>> {
        let (clause, key) = target_clause(target);
        let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE e.deleted_at IS NULL AND {clause} AND e.sha256 = ?3");
        Ok(self.conn.query_row(&sql, rusqlite::params![key.0, key.1, sha256.as_str()], view_from_row).optional()?)
    }

    /// Attach bulk evidence rows to findings in one transaction (no files, no EXIF).
    pub fn add_evidence(&mut self, news: Vec<NewEvidence>) -> Result<Vec<Evidence>> {
        let mut resolved = Vec::with_capacity(news.len());
        let mut last: Option<(String, String)> = None;
        for n in news {
            let finding_id = match &last {
                Some((key, id)) if *key == n.finding => id.clone(),
                _ => resolve_id(&self.conn, "finding", "finding", &n.finding)?,
            };
            last = Some((n.finding.clone(), finding_id.clone()));
            let name = text::required("original name", &n.original_name, 255)?;
            let blob = BlobRecord {
                sha256: n.sha256,
                size: n.size,
                media_type: n.media_type,
                meta: PhotoMeta::default(),
                damaged: None,
            };
            resolved.push((parse_id::<FindingId>(&finding_id)?, blob, name));
        }
        self.write(|w| {
            resolved
                .into_iter()
                .map(|(finding_id, blob, name)| {
                    w.ensure_blob(&blob)?;
                    w.insert_evidence(&EvidenceTarget::Finding { finding_id }, &blob, &name)
                })
                .collect()
        })
    }

    /// The evidence of a target, oldest first.
    pub fn evidence_of_target(&self, target: &EvidenceTarget) -> Result<Vec<EvidenceView>> {
        let (clause, key) = target_clause(target);
        let sql = format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE e.deleted_at IS NULL AND {clause} ORDER BY e.imported_at, e.id"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        Ok(stmt.query_map(rusqlite::params![key.0, key.1], view_from_row)?.collect::<Result<_, _>>()?)
    }

    /// The evidence attached to a finding, oldest first.
    pub fn evidence_of(&self, finding: &str) -> Result<Vec<EvidenceView>> {
        let finding_id = parse_id::<FindingId>(&resolve_id(&self.conn, "finding", "finding", finding)?)?;
        self.evidence_of_target(&EvidenceTarget::Finding { finding_id })
    }

    /// One piece of evidence by id or unique id prefix.
    pub fn evidence(&self, key: &str) -> Result<EvidenceView> {
        let id = resolve_id(&self.conn, "evidence", "evidence", key)?;
        Ok(self.conn.query_row(&format!("SELECT {COLUMNS} FROM {FROM} WHERE e.id = ?1"), [id], view_from_row)?)
    }

    /// Whether the store already records this original.
    pub fn has_blob(&self, sha256: &Sha256Hex) -> Result<bool> {
        Ok(self
            .conn
            .query_row("SELECT 1 FROM blob WHERE sha256 = ?1", [sha256.as_str()], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Every original the store records (evidence and disclosure copies), each once.
    pub fn blob_digests(&self) -> Result<Vec<Sha256Hex>> {
        let mut stmt = self.conn.prepare("SELECT sha256 FROM blob ORDER BY sha256")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|r| Ok(Sha256Hex::parse(&r?)?)).collect()
    }

    /// Record a disclosure copy (already stored as a blob) of `evidence`.
    pub fn record_disclosure(
        &mut self,
        evidence: &EvidenceView,
        copy: &BlobRecord,
        watermark: &str,
        gps_removed: bool,
    ) -> Result<String> {
        let original = evidence.evidence.sha256.clone();
        let evidence_id = evidence.evidence.id;
        self.write(|w| {
            w.ensure_blob(copy)?;
            let id = w.new_id().to_string();
            w.execute(
                "INSERT INTO disclosure_copy (id, evidence_id, original, copy, watermark, gps_removed, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                rusqlite::params![
                    id,
                    evidence_id.to_string(),
                    original.as_str(),
                    copy.sha256.as_str(),
                    watermark,
                    gps_removed,
                    w.now_text()
                ],
            )?;
            let payload = serde_json::json!({
                "id": id, "evidence_id": evidence_id, "original": original, "sha256": copy.sha256, "size": copy.size,
                "watermark": watermark, "gps_removed": gps_removed,
            });
            w.log(EntityKind::DisclosureCopy, &id, ChangeOp::Create, &payload)?;
            Ok(id)
        })
    }
}

/// The WHERE clause and its two parameters for a target.
fn target_clause(t: &EvidenceTarget) -> (&'static str, (String, Option<String>)) {
    match t {
        EvidenceTarget::Finding { finding_id } => ("e.finding_id = ?1 AND ?2 IS NULL", (finding_id.to_string(), None)),
        EvidenceTarget::Visit { visit_id } => ("e.visit_id = ?1 AND ?2 IS NULL", (visit_id.to_string(), None)),
        EvidenceTarget::ChecklistItem { response_id, item_code } => {
            ("e.response_id = ?1 AND e.item_code = ?2", (response_id.to_string(), Some(item_code.clone())))
        }
    }
}
