//! What the console reads as a whole: every finding the devices sent with its unit, spot,
//! visit and evidence, the office's reviews and ledger problems, and the taxonomy in force.
//! A request loads only the findings it shows ([`World::of`]): the lists come from the read
//! model in SQL (`mingcha_office_db::read_model`), one page at a time.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate};
use mingcha_core::change::{ChangeOp, EntityKind};
use mingcha_core::evidence::EvidenceFlag;
use mingcha_core::finding::Finding;
use mingcha_core::inspection::Visit;
use mingcha_core::record::{DisclosureCopyRecord, EvidenceRecord};
use mingcha_core::taxonomy::Taxonomy;
use mingcha_core::unit::{Spot, Unit};
use mingcha_office::ledger::LedgerRow;
use mingcha_office::problem::Problem;
use mingcha_office::review::{Current, Review, ReviewState, Wording};
use serde::Serialize;

use crate::{Error, Result};
use crate::{Versioned, kind, load_all};
use mingcha_office_db::{Repo, StoredRecord};

/// A finding the office holds, parsed.
#[derive(Debug, Clone)]
pub struct Held {
    pub record: StoredRecord,
    pub finding: Finding,
    /// The id of the latest change, as text (what a review remembers).
    pub change_id: String,
}

/// One evidence file of a finding, as the review screen shows it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceView {
    pub id: String,
    pub sha256: String,
    pub media_type: String,
    pub name: String,
    pub taken_at: Option<chrono::NaiveDateTime>,
    pub gps: Option<mingcha_core::evidence::Gps>,
    pub flags: Vec<EvidenceFlag>,
    pub flag_labels: Vec<String>,
    /// The watermarked copy made on the device for notices, if one was made.
    pub disclosure_sha256: Option<String>,
    pub disclosure_watermark: Option<String>,
    pub url: String,
}

/// A finding as the console shows it (`docs/console-api.md`, `FindingView`).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct FindingView {
    pub id: String,
    pub batch_id: String,
    pub inspector: String,
    pub device: String,
    pub unit: String,
    pub unit_id: String,
    pub spot: Option<String>,
    pub observed_at: DateTime<FixedOffset>,
    pub method: &'static str,
    pub category: String,
    pub category_label: String,
    pub severity: &'static str,
    pub description: String,
    pub persons: Option<String>,
    pub checklist_item: Option<String>,
    pub state: ReviewState,
    pub state_label: &'static str,
    pub comment: Option<String>,
    pub versions: Vec<Wording>,
    pub changed: Vec<String>,
    pub merged_into: Option<String>,
    pub merged: Vec<String>,
    pub problem_id: Option<String>,
    /// The device deleted it after sending it.
    pub deleted: bool,
    pub evidence: Vec<EvidenceView>,
}

#[derive(Debug)]
pub struct World {
    pub findings: Vec<Held>,
    by_id: HashMap<String, usize>,
    pub units: HashMap<String, (String, Option<String>)>,
    spots: HashMap<String, String>,
    evidence: HashMap<String, Vec<EvidenceView>>,
    devices: HashMap<String, String>,
    pub reviews: HashMap<String, Versioned<Review>>,
    pub problems: Vec<(String, Versioned<Problem>)>,
    pub taxonomy: Taxonomy,
}

/// The rows a [`World`] is made of.
struct Loaded {
    findings: Vec<StoredRecord>,
    reviews: Vec<(String, Versioned<Review>)>,
    problems: Vec<(String, Versioned<Problem>)>,
    evidence: Vec<StoredRecord>,
    copies: Vec<StoredRecord>,
}

/// Whether a [`World`] holds the whole office or the few findings a request names.
#[derive(Debug, Clone, Copy)]
enum Scope {
    All,
    Some,
}

fn decoded<T: serde::de::DeserializeOwned>(
    docs: Vec<mingcha_office_db::Doc>,
    kind: &str,
) -> Result<Vec<(String, Versioned<T>)>> {
    docs.into_iter()
        .map(|d| {
            let value = serde_json::from_value(d.body)
                .map_err(|e| Error::Internal(format!("{kind} {} does not read back: {e}", d.id)))?;
            Ok((d.id, Versioned { version: d.version, value }))
        })
        .collect()
}

/// A stored record read with the core's type. Every record was read this way before its batch
/// was stored (`crate::intake`), so one that does not read now is a fault of the office's
/// data, reported as such, never a record silently left out of a view.
fn parsed<T: serde::de::DeserializeOwned>(r: &StoredRecord) -> Result<T> {
    serde_json::from_value(r.payload.clone()).map_err(|e| {
        Error::Internal(format!("the office holds {} {} that does not read as one: {e}", r.entity, r.entity_id))
    })
}

impl World {
    /// Everything the office holds: only the read model's one-time rebuild needs this.
    pub async fn load(repo: &dyn Repo) -> Result<Self> {
        let findings = repo.records(EntityKind::Finding).await?;
        let reviews = load_all::<Review>(repo, kind::REVIEW).await?;
        let problems = load_all::<Problem>(repo, kind::PROBLEM).await?;
        let evidence = repo.records(EntityKind::Evidence).await?;
        let copies = repo.records(EntityKind::DisclosureCopy).await?;
        let loaded = Loaded { findings, reviews, problems, evidence, copies };
        Self::assemble(repo, loaded, Scope::All).await
    }

    /// What the console needs to show the findings `ids` (those the office holds), their
    /// reviews and their ledger problems: a few rows by index, however large the office.
    pub async fn of(repo: &dyn Repo, ids: &[String]) -> Result<Self> {
        let findings = repo.records_in(EntityKind::Finding, ids).await?;
        let reviews = decoded::<Review>(repo.docs_in(kind::REVIEW, ids).await?, kind::REVIEW)?;
        let problem_ids: Vec<String> = reviews.iter().filter_map(|(_, r)| r.value.problem_id.clone()).collect();
        let problems = decoded::<Problem>(repo.docs_in(kind::PROBLEM, &problem_ids).await?, kind::PROBLEM)?;
        let evidence = repo.records_under(EntityKind::Evidence, ids).await?;
        let evidence_ids: Vec<String> = evidence.iter().map(|r| r.entity_id.clone()).collect();
        let copies = repo.records_under(EntityKind::DisclosureCopy, &evidence_ids).await?;
        let loaded = Loaded { findings, reviews, problems, evidence, copies };
        Self::assemble(repo, loaded, Scope::Some).await
    }

    /// A ledger problem with its finding, review and evidence.
    pub async fn of_problem(repo: &dyn Repo, problem_id: &str) -> Result<(Self, Versioned<Problem>)> {
        let p: Versioned<Problem> = crate::load(repo, kind::PROBLEM, problem_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no problem {problem_id} in the ledger")))?;
        let mut world = Self::of(repo, std::slice::from_ref(&p.value.finding_id)).await?;
        if !world.problems.iter().any(|(id, _)| id == problem_id) {
            world.problems.push((problem_id.to_owned(), p.clone()));
        }
        Ok((world, p))
    }

    async fn assemble(repo: &dyn Repo, l: Loaded, scope: Scope) -> Result<Self> {
        let findings: Vec<Held> = l
            .findings
            .into_iter()
            .map(|record| Ok(Held { finding: parsed(&record)?, change_id: record.change_id.to_string(), record }))
            .collect::<Result<_>>()?;
        let ids_of = |f: &dyn Fn(&Finding) -> Option<String>| -> Vec<String> {
            let mut v: Vec<String> = findings.iter().filter_map(|h| f(&h.finding)).collect();
            v.sort();
            v.dedup();
            v
        };
        let (unit_ids, spot_ids, visit_ids) = (
            ids_of(&|f| Some(f.unit_id.to_string())),
            ids_of(&|f| f.spot_id.map(|s| s.to_string())),
            ids_of(&|f| Some(f.visit_id.to_string())),
        );
        let (units, spots, visits) = match scope {
            Scope::All => (
                repo.records(EntityKind::Unit).await?,
                repo.records(EntityKind::Spot).await?,
                repo.records(EntityKind::Visit).await?,
            ),
            Scope::Some => (
                repo.records_in(EntityKind::Unit, &unit_ids).await?,
                repo.records_in(EntityKind::Spot, &spot_ids).await?,
                repo.records_in(EntityKind::Visit, &visit_ids).await?,
            ),
        };
        let units = units
            .iter()
            .map(|r| {
                let u: Unit = parsed(r)?;
                Ok((r.entity_id.clone(), (u.name, u.region)))
            })
            .collect::<Result<_>>()?;
        let spots = spots.iter().map(|r| Ok((r.entity_id.clone(), parsed::<Spot>(r)?.name))).collect::<Result<_>>()?;
        let visit_days: HashMap<String, NaiveDate> =
            visits.iter().map(|r| Ok((r.entity_id.clone(), parsed::<Visit>(r)?.date))).collect::<Result<_>>()?;
        let devices = repo.devices().await?.into_iter().map(|d| (d.id.to_string(), d.name)).collect();
        let by_id = findings.iter().enumerate().map(|(i, h)| (h.record.entity_id.clone(), i)).collect();
        let visit_of: HashMap<String, String> =
            findings.iter().map(|h| (h.record.entity_id.clone(), h.finding.visit_id.to_string())).collect();
        let copies: HashMap<String, (String, String)> = l
            .copies
            .iter()
            .map(|r| {
                let c: DisclosureCopyRecord = parsed(r)?;
                Ok((c.evidence_id.to_string(), (c.sha256.as_str().to_owned(), c.watermark)))
            })
            .collect::<Result<_>>()?;
        let mut evidence: HashMap<String, Vec<EvidenceView>> = HashMap::new();
        for r in l.evidence {
            if r.op == ChangeOp::Delete {
                continue;
            }
            let EvidenceRecord { evidence: e, meta, damaged, .. } = parsed(&r)?;
            // A photo of a visit or of a checklist item is not shown with a finding.
            let mingcha_core::evidence::EvidenceTarget::Finding { finding_id } = e.target else { continue };
            let finding_id = finding_id.to_string();
            let damaged = damaged.as_deref();
            let visit_on = visit_of.get(&finding_id).and_then(|v| visit_days.get(v)).copied();
            let flags = mingcha_core::evidence::flags(&e.media_type, &meta, damaged, visit_on);
            let copy = copies.get(&e.id.to_string());
            evidence.entry(finding_id).or_default().push(EvidenceView {
                id: e.id.to_string(),
                url: format!("/api/console/blobs/{}", e.sha256.as_str()),
                sha256: e.sha256.as_str().to_owned(),
                media_type: e.media_type,
                name: e.original_name,
                taken_at: meta.taken_at,
                gps: meta.gps,
                flag_labels: flags.iter().map(EvidenceFlag::label_zh).collect(),
                flags,
                disclosure_sha256: copy.map(|c| c.0.clone()),
                disclosure_watermark: copy.map(|c| c.1.clone()),
            });
        }
        let reviews = l.reviews.into_iter().collect();
        let taxonomy = crate::current_taxonomy(repo).await?;
        Ok(Self { findings, by_id, units, spots, evidence, devices, reviews, problems: l.problems, taxonomy })
    }

    pub fn held(&self, id: &str) -> Result<&Held> {
        self.by_id.get(id).map(|i| &self.findings[*i]).ok_or_else(|| Error::UnknownFinding(id.to_owned()))
    }

    pub fn unit_name(&self, id: &str) -> String {
        self.units.get(id).map_or_else(|| id.to_owned(), |u| u.0.clone())
    }

    pub fn category_label(&self, code: &str) -> String {
        self.taxonomy.resolve(code).map_or_else(|_| code.to_owned(), |p| p.label())
    }

    pub fn category_group(&self, code: &str) -> String {
        self.taxonomy.resolve(code).map_or_else(|_| code.to_owned(), |p| p.parent.name.clone())
    }

    /// The review of a finding; a new one when the office has not touched it.
    pub fn review(&self, id: &str) -> Versioned<Review> {
        self.reviews.get(id).cloned().unwrap_or_else(|| Versioned { version: 0, value: Review::new(id) })
    }

    pub fn problem(&self, id: &str) -> Result<Versioned<Problem>> {
        self.problems
            .iter()
            .find(|(pid, _)| pid == id)
            .map(|(_, p)| p.clone())
            .ok_or_else(|| Error::NotFound(format!("no problem {id} in the ledger")))
    }

    pub fn evidence_of(&self, finding: &str) -> &[EvidenceView] {
        self.evidence.get(finding).map_or(&[], Vec::as_slice)
    }

    pub fn view(&self, h: &Held) -> FindingView {
        let f = &h.finding;
        let id = h.record.entity_id.clone();
        let review = self.review(&id).value;
        let current = current(h);
        let state = review.state_now(&current);
        FindingView {
            batch_id: h.record.batch_id.to_string(),
            inspector: h.record.inspector_name.clone(),
            device: self.devices.get(&h.record.device_id.to_string()).cloned().unwrap_or_default(),
            unit: self.unit_name(&f.unit_id.to_string()),
            unit_id: f.unit_id.to_string(),
            spot: f.spot_id.and_then(|s| self.spots.get(&s.to_string()).cloned()),
            observed_at: f.observed_at,
            method: f.method.label_zh(),
            category: f.category.clone(),
            category_label: self.category_label(&f.category),
            severity: f.severity.label_zh(),
            description: review.description(&current),
            persons: f.persons_involved.as_ref().map(|p| p.reveal().to_owned()),
            checklist_item: f.checklist_item.as_ref().map(|i| i.item_code.clone()),
            state,
            state_label: state.label_zh(),
            comment: review.comment.clone(),
            versions: review.wordings(&current),
            changed: review.changed(&current),
            merged_into: review.merged_into.clone(),
            merged: review.merged.clone(),
            problem_id: review.problem_id.clone(),
            deleted: h.record.op == ChangeOp::Delete,
            evidence: self.evidence_of(&id).to_vec(),
            id,
        }
    }

    pub fn ledger_row(&self, p: &Problem, h: &Held, today: NaiveDate) -> LedgerRow {
        self.ledger_row_with(p, h, &self.review(&h.record.entity_id).value, today)
    }

    /// The ledger row of `p` as `review` (perhaps just changed) words its finding.
    pub fn ledger_row_with(&self, p: &Problem, h: &Held, review: &Review, today: NaiveDate) -> LedgerRow {
        let f = &h.finding;
        let responsible = p
            .assignment
            .as_ref()
            .map(|a| match &a.person {
                Some(person) => format!("{} / {person}", a.unit),
                None => a.unit.clone(),
            })
            .unwrap_or_default();
        LedgerRow {
            seq: 0,
            id: p.id.clone(),
            finding_id: p.finding_id.clone(),
            unit: self.unit_name(&f.unit_id.to_string()),
            description: review.description(&current(h)),
            found_at: f.observed_at,
            method: f.method.label_zh().to_owned(),
            category: f.category.clone(),
            category_label: self.category_label(&f.category),
            responsible,
            measures: p.assignment.as_ref().and_then(|a| a.measures.clone()).unwrap_or_default(),
            deadline: p.assignment.as_ref().map(|a| a.deadline),
            rectification: p.rectification_text(),
            verification: p.verification_text(),
            closed: p.closed_on,
            stage: p.stage,
            stage_label: p.stage.label_zh().to_owned(),
            light: p.light(today),
        }
    }
}

/// The device's latest version of a finding, for the review rules.
pub fn current(h: &Held) -> Current<'_> {
    Current {
        change_id: &h.change_id,
        payload: &h.record.payload,
        inspector: &h.record.inspector_name,
        changed_at: h.record.changed_at,
    }
}

/// A unit the devices sent.
#[derive(Debug, Clone, Serialize)]
pub struct UnitRow {
    pub id: String,
    pub name: String,
    pub region: Option<String>,
}

/// Every unit the devices sent, by name.
pub async fn units(repo: &dyn Repo) -> Result<Vec<UnitRow>> {
    let mut rows: Vec<UnitRow> = repo
        .records(EntityKind::Unit)
        .await?
        .iter()
        .map(|r| {
            let unit: Unit = parsed(r)?;
            Ok(UnitRow { id: r.entity_id.clone(), name: unit.name, region: unit.region })
        })
        .collect::<Result<_>>()?;
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(rows)
}

/// The names of the units among `ids` that the devices sent, by id.
pub async fn unit_names(repo: &dyn Repo, ids: &[String]) -> Result<std::collections::BTreeMap<String, String>> {
    repo.records_in(EntityKind::Unit, ids)
        .await?
        .iter()
        .map(|r| Ok((r.entity_id.clone(), parsed::<Unit>(r)?.name)))
        .collect()
}

/// A unit by id or by its exact name, among the units the devices sent: `(id, name)`.
pub async fn resolve_unit(repo: &dyn Repo, unit: &str) -> Result<(String, String)> {
    let unit = unit.trim();
    units(repo)
        .await?
        .into_iter()
        .find(|u| u.id == unit || u.name == unit)
        .map(|u| (u.id, u.name))
        .ok_or_else(|| Error::UnknownUnit(unit.to_owned()))
}
