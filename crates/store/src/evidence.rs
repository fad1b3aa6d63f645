//! Evidence records (证据). The photo pipeline (hashing, EXIF, previews, write-once storage)
//! arrives with the Evidence issue; the table, the link and the change log exist now.

use mingcha_core::change::{ChangeOp, EntityKind};
use mingcha_core::evidence::{Evidence, EvidenceTarget, Sha256Hex};
use mingcha_core::id::EvidenceId;
use mingcha_core::text;

use crate::error::Result;
use crate::{Store, parse_id, parse_time, resolve_id};

/// An evidence record to add: the file's identity as already computed.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvidence {
    /// A finding by id or prefix.
    pub finding: String,
    pub sha256: Sha256Hex,
    pub size: u64,
    pub media_type: String,
    pub original_name: String,
}

impl Store {
    /// Attach evidence records to findings, all in one transaction.
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
            resolved.push((parse_id(&finding_id)?, n, name));
        }
        self.write(|w| {
            resolved
                .into_iter()
                .map(|(finding_id, n, original_name)| {
                    let e = Evidence {
                        id: EvidenceId::from_uuid(w.new_id()),
                        target: EvidenceTarget::Finding { finding_id },
                        sha256: n.sha256,
                        size: n.size,
                        media_type: n.media_type,
                        original_name,
                        imported_at: w.now,
                    };
                    w.prepare_cached(
                        "INSERT INTO evidence (id, finding_id, sha256, size, media_type, original_name, imported_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    )?
                    .execute((
                        e.id.to_string(),
                        finding_id.to_string(),
                        e.sha256.as_str(),
                        e.size,
                        &e.media_type,
                        &e.original_name,
                        w.now_text(),
                    ))?;
                    let mut payload = serde_json::to_value(&e)?;
                    // Sync reads the digest and size at the top level of the payload.
                    if let Some(obj) = payload.as_object_mut() {
                        obj.insert("finding_id".into(), finding_id.to_string().into());
                    }
                    w.log(EntityKind::Evidence, &e.id.to_string(), ChangeOp::Create, &payload)?;
                    Ok(e)
                })
                .collect()
        })
    }

    /// The evidence attached to a finding, oldest first.
    pub fn evidence_of(&self, finding: &str) -> Result<Vec<Evidence>> {
        let id = resolve_id(&self.conn, "finding", "finding", finding)?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, sha256, size, media_type, original_name, imported_at FROM evidence
             WHERE finding_id = ?1 AND deleted_at IS NULL ORDER BY imported_at, id",
        )?;
        let rows = stmt.query_map([&id], |r| {
            Ok(Evidence {
                id: parse_id(&r.get::<_, String>(0)?)?,
                target: EvidenceTarget::Finding { finding_id: parse_id(&id)? },
                sha256: Sha256Hex::parse(&r.get::<_, String>(1)?).map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e))
                })?,
                size: r.get(2)?,
                media_type: r.get(3)?,
                original_name: r.get(4)?,
                imported_at: parse_time(&r.get::<_, String>(5)?)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
