//! Findings (问题): record, edit, tombstone, list and search.

use chrono::{DateTime, FixedOffset};
use mingcha_core::ValidationError;
use mingcha_core::change::{ChangeOp, EntityKind};
use mingcha_core::finding::{DiscoveryMethod, Finding, FindingStatus, FindingText, ItemLink, Severity};
use mingcha_core::id::FindingId;
use mingcha_core::text::Sensitive;
use rusqlite::{Row, params_from_iter};
use serde::Serialize;

use crate::error::{Result, StoreError};
use crate::search::{FindingQuery, Resolved, plan};
use crate::units::find_unit;
use crate::{Store, Writer, conversion, parse_id, parse_time, resolve_id};

/// A finding as a user gives it. References are by id or name, resolved by the store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewFinding {
    pub visit: String,
    /// Defaults to the visit's spot.
    pub spot: Option<String>,
    pub observed_at: DateTime<FixedOffset>,
    /// Defaults to the visit's kind (明查 / 暗访).
    pub method: Option<DiscoveryMethod>,
    /// A taxonomy leaf by code or name; may be left out when the checklist item has one.
    pub category: Option<String>,
    pub severity: Severity,
    pub description: String,
    pub persons_involved: Option<String>,
    /// The checklist item it came from: (template code or name, item code or number).
    pub checklist_item: Option<(String, String)>,
}

/// A change to a finding's wording or classification. `None` keeps the current value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FindingEdit {
    pub description: Option<String>,
    pub category: Option<String>,
    pub severity: Option<Severity>,
    /// `Some(None)` clears it.
    pub persons_involved: Option<Option<String>>,
}

/// A finding with the names a list shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FindingView {
    #[serde(flatten)]
    pub finding: Finding,
    pub unit_name: String,
    pub spot_name: Option<String>,
    /// "散 / 脱岗离岗"
    pub category_label: String,
    pub evidence_count: u64,
}

const COLUMNS: &str =
    "f.seq, f.id, f.visit_id, f.unit_id, f.spot_id, f.observed_at, f.method, f.category_code, f.severity,
    f.description, f.persons_involved, f.response_id, f.item_code, f.status, f.created_at, f.updated_at,
    u.name, s.name, (SELECT count(*) FROM evidence e WHERE e.finding_id = f.id AND e.deleted_at IS NULL)";

fn finding_from_row(r: &Row<'_>) -> rusqlite::Result<(i64, Finding, String, Option<String>, u64)> {
    // Columns that are only parsed are borrowed, not copied: a page of 50 is read often.
    let text = |i: usize| -> rusqlite::Result<&str> { r.get_ref(i)?.as_str().map_err(|e| conversion(i, e)) };
    let opt_text =
        |i: usize| -> rusqlite::Result<Option<&str>> { r.get_ref(i)?.as_str_or_null().map_err(|e| conversion(i, e)) };
    let finding = Finding {
        id: parse_id(text(1)?)?,
        visit_id: parse_id(text(2)?)?,
        unit_id: parse_id(text(3)?)?,
        spot_id: opt_text(4)?.map(parse_id).transpose()?,
        observed_at: DateTime::parse_from_rfc3339(text(5)?).map_err(|e| conversion(5, e))?,
        method: text(6)?.parse().map_err(|e| conversion(6, e))?,
        category: r.get(7)?,
        severity: text(8)?.parse().map_err(|e| conversion(8, e))?,
        description: r.get(9)?,
        persons_involved: r.get::<_, Option<String>>(10)?.map(Sensitive::new),
        checklist_item: match (opt_text(11)?, r.get::<_, Option<String>>(12)?) {
            (Some(response), Some(item_code)) => Some(ItemLink { response_id: parse_id(response)?, item_code }),
            _ => None,
        },
        status: text(13)?.parse().map_err(|e| conversion(13, e))?,
        created_at: parse_time(text(14)?)?,
        updated_at: parse_time(text(15)?)?,
    };
    Ok((r.get(0)?, finding, r.get(16)?, r.get(17)?, r.get(18)?))
}

impl Store {
    /// Record one finding.
    pub fn add_finding(&mut self, new: NewFinding) -> Result<FindingView> {
        let mut added = self.add_findings(vec![new])?;
        Ok(added.remove(0))
    }

    /// Record several findings in one transaction: all are stored, or (on any error) none.
    pub fn add_findings(&mut self, news: Vec<NewFinding>) -> Result<Vec<FindingView>> {
        let mut prepared = Vec::with_capacity(news.len());
        let mut last_visit: Option<mingcha_core::inspection::Visit> = None;
        for new in news {
            let visit = match last_visit.take() {
                Some(v) if v.id.to_string() == new.visit => v,
                _ => self.visit(&new.visit)?,
            };
            if new.observed_at.date_naive() != visit.date {
                return Err(ValidationError::Inconsistent {
                    field: "observed at",
                    reason: format!("{} is not on the visit's day {}", new.observed_at, visit.date),
                }
                .into());
            }
            let link = match &new.checklist_item {
                Some((template, item)) => {
                    let (response_id, item) = self.filled_item(visit.id, template, item)?;
                    Some((ItemLink { response_id, item_code: item.code }, item.category))
                }
                None => None,
            };
            let category = match (&new.category, &link) {
                (Some(c), _) => self.taxonomy.resolve(c)?.leaf.code.clone(),
                // The item's suggestion is checked too: the office may have retired it since.
                (None, Some((_, Some(c)))) => match self.taxonomy.resolve(c) {
                    Ok(path) => path.leaf.code.clone(),
                    Err(_) if self.labels.contains_key(c) => {
                        let reason = format!(
                            "the checklist item suggests {}, which the office has retired; choose a category",
                            self.category_label(c)
                        );
                        return Err(ValidationError::Inconsistent { field: "category", reason }.into());
                    }
                    Err(e) => return Err(e.into()),
                },
                (None, _) => return Err(ValidationError::Empty { field: "category" }.into()),
            };
            let text = FindingText::parse(&new.description, new.persons_involved.as_deref())?;
            prepared.push((new, visit.clone(), link.map(|(l, _)| l), category, text));
            last_visit = Some(visit);
        }
        let labels: Vec<String> = prepared.iter().map(|p| self.category_label(&p.3)).collect();
        self.write(|w| {
            prepared
                .into_iter()
                .zip(labels)
                .map(|((new, visit, link, category, text), label)| {
                    let unit = find_unit(w, &visit.unit_id.to_string())?;
                    let spot = match new.spot.as_deref() {
                        Some(s) => Some(w.spot_in(unit.id, s)?),
                        None => None,
                    };
                    let spot_id = spot.as_ref().map(|s| s.id).or(visit.spot_id);
                    let spot_name = match (&spot, visit.spot_id) {
                        (Some(s), _) => Some(s.name.clone()),
                        (None, Some(id)) => {
                            Some(w.query_row("SELECT name FROM spot WHERE id = ?1", [id.to_string()], |r| r.get(0))?)
                        }
                        (None, None) => None,
                    };
                    let finding = Finding {
                        id: FindingId::from_uuid(w.new_id()),
                        visit_id: visit.id,
                        unit_id: unit.id,
                        spot_id,
                        observed_at: new.observed_at,
                        method: new.method.unwrap_or(visit.kind.into()),
                        category,
                        severity: new.severity,
                        description: text.description,
                        persons_involved: text.persons_involved,
                        checklist_item: link,
                        status: FindingStatus::Draft,
                        created_at: w.now,
                        updated_at: w.now,
                    };
                    let seq = insert(w, &finding)?;
                    w.index_finding(
                        seq,
                        &[&finding.description, &unit.name, spot_name.as_deref().unwrap_or(""), &label],
                    )?;
                    w.log(EntityKind::Finding, &finding.id.to_string(), ChangeOp::Create, &finding)?;
                    Ok(FindingView {
                        finding,
                        unit_name: unit.name,
                        spot_name,
                        category_label: label,
                        evidence_count: 0,
                    })
                })
                .collect()
        })
    }

    /// One finding by id or unique id prefix.
    pub fn finding(&self, key: &str) -> Result<FindingView> {
        let id = resolve_id(&self.conn, "finding", "finding", key)?;
        let row = self.conn.query_row(
            &format!("SELECT {COLUMNS} FROM finding f JOIN unit u ON u.id = f.unit_id LEFT JOIN spot s ON s.id = f.spot_id WHERE f.id = ?1"),
            [id],
            finding_from_row,
        )?;
        Ok(self.view(row))
    }

    fn view(
        &self,
        (_, finding, unit_name, spot_name, evidence_count): (i64, Finding, String, Option<String>, u64),
    ) -> FindingView {
        let category_label = self.category_label(&finding.category);
        FindingView { finding, unit_name, spot_name, category_label, evidence_count }
    }

    /// Change a finding's wording or classification. The previous state stays in the change log.
    pub fn edit_finding(&mut self, key: &str, edit: FindingEdit) -> Result<FindingView> {
        let current = self.finding(key)?;
        let mut f = current.finding.clone();
        let persons = match edit.persons_involved {
            Some(p) => p,
            None => f.persons_involved.as_ref().map(|s| s.reveal().to_owned()),
        };
        let text = FindingText::parse(edit.description.as_deref().unwrap_or(&f.description), persons.as_deref())?;
        if let Some(c) = &edit.category {
            f.category = self.taxonomy.resolve(c)?.leaf.code.clone();
        }
        f.severity = edit.severity.unwrap_or(f.severity);
        // An edit is new work on the device: until the office receives it, the finding is a
        // draft again, even one the office returned (the edit is how it is answered). An
        // accepted finding stays accepted: the edit still goes up as an ordinary change.
        if matches!(f.status, FindingStatus::Submitted | FindingStatus::Returned) {
            f.status = FindingStatus::Draft;
        }
        f.description = text.description;
        f.persons_involved = text.persons_involved;
        let label = self.category_label(&f.category);
        let (unit_name, spot_name) = (current.unit_name.clone(), current.spot_name.clone());
        let finding = self.write(|w| {
            f.updated_at = w.now;
            let seq: i64 = w.query_row("SELECT seq FROM finding WHERE id = ?1", [f.id.to_string()], |r| r.get(0))?;
            w.execute(
                "UPDATE finding SET category_code = ?2, severity = ?3, description = ?4, persons_involved = ?5, updated_at = ?6, status = ?7 WHERE id = ?1",
                (f.id.to_string(), &f.category, f.severity.as_str(), &f.description, f.persons_involved.as_ref().map(Sensitive::reveal), w.now_text(), f.status.as_str()),
            )?;
            w.unindex_finding(seq)?;
            w.index_finding(seq, &[&f.description, &unit_name, spot_name.as_deref().unwrap_or(""), &label])?;
            w.log(EntityKind::Finding, &f.id.to_string(), ChangeOp::Update, &f)?;
            Ok(f)
        })?;
        Ok(FindingView { finding, category_label: label, ..current })
    }

    /// Delete a finding: a tombstone. It leaves lists and search; its record and every earlier
    /// state stay in the change log, and the office is told on the next sync.
    pub fn delete_finding(&mut self, key: &str) -> Result<FindingView> {
        let current = self.finding(key)?;
        self.write(|w| {
            let seq: i64 =
                w.query_row("SELECT seq FROM finding WHERE id = ?1", [current.finding.id.to_string()], |r| r.get(0))?;
            w.execute(
                "UPDATE finding SET deleted_at = ?2 WHERE id = ?1",
                (current.finding.id.to_string(), w.now_text()),
            )?;
            w.unindex_finding(seq)?;
            w.log(EntityKind::Finding, &current.finding.id.to_string(), ChangeOp::Delete, &current.finding)?;
            Ok(())
        })?;
        Ok(current)
    }

    /// List findings, newest recorded first, filtered by any of text, unit, category, status,
    /// dates and visit.
    pub fn findings(&self, q: &FindingQuery) -> Result<Vec<FindingView>> {
        let resolved = Resolved {
            unit_id: q.unit.as_deref().map(|u| self.unit(u).map(|u| u.id.to_string())).transpose()?,
            visit_id: q.visit.as_deref().map(|v| self.visit(v).map(|v| v.id.to_string())).transpose()?,
            category: match q.category.as_deref() {
                None => None,
                Some(c) => Some(match self.taxonomy.resolve(c) {
                    Ok(p) => (p.leaf.code.clone(), false),
                    Err(e) => {
                        let group = self.taxonomy.categories.iter().find(|g| g.code == c.trim() || g.name == c.trim());
                        (group.ok_or(StoreError::Invalid(e))?.code.clone(), true)
                    }
                }),
            },
        };
        let p = plan(q, &resolved, if q.limit == 0 { 50 } else { q.limit });
        let sql = format!("SELECT {COLUMNS} {}", p.rest);
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params_from_iter(p.params), finding_from_row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows.into_iter().map(|r| self.view(r)).collect())
    }

    /// How many live findings there are in `status` (one index count, for a dashboard).
    pub fn count_findings(&self, status: FindingStatus) -> Result<u64> {
        // Named, because the planner otherwise scans the table when most findings share a
        // status (all drafts before a first sync): 0.2–0.5 s on 100,000 findings against
        // 14 ms through the index (migration 0005).
        let n: i64 = self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM finding INDEXED BY finding_live_by_status WHERE status = ?1 AND deleted_at IS NULL",
            )?
            .query_row([status.as_str()], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

fn insert(w: &Writer<'_>, f: &Finding) -> Result<i64> {
    w.prepare_cached(
        "INSERT INTO finding (id, visit_id, unit_id, spot_id, observed_at, observed_on, method, category_code, severity,
             description, persons_involved, response_id, item_code, status, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15)",
    )?
    .execute(rusqlite::params![
        f.id.to_string(),
        f.visit_id.to_string(),
        f.unit_id.to_string(),
        f.spot_id.map(|s| s.to_string()),
        f.observed_at.to_rfc3339(),
        f.observed_at.date_naive().to_string(),
        f.method.as_str(),
        f.category,
        f.severity.as_str(),
        f.description,
        f.persons_involved.as_ref().map(Sensitive::reveal),
        f.checklist_item.as_ref().map(|l| l.response_id.to_string()),
        f.checklist_item.as_ref().map(|l| l.item_code.clone()),
        f.status.as_str(),
        w.now_text(),
    ])?;
    Ok(w.last_insert_rowid())
}
