//! The field day: today's plans and visits, units, plans, visits and checklists.

use mingcha_core::checklist::ItemResult;
use mingcha_core::finding::FindingStatus;
use mingcha_core::inspection::{InspectionKind, NewPlan};
use mingcha_core::taxonomy::Taxonomy;
use mingcha_core::unit::NewUnit;
use mingcha_store::catalog::TemplateSummary;
use mingcha_store::checklists::{AnswerInput, ResponseView};
use mingcha_store::findings::FindingView;
use mingcha_store::plans::PlanView;
use mingcha_store::sync::SyncStatus;
use mingcha_store::units::UnitSummary;
use mingcha_store::visits::{NewVisit, VisitView};
use mingcha_store::{FindingQuery, Store};
use serde::{Deserialize, Serialize};
use tauri::State;
use ts_rs::TS;

use super::{date, time_or_now, today};
use crate::error::IpcResult;
use crate::session::Session;

/// The 今日 screen: the day's plans (a covert plan's targets only on its day) and visits, and
/// what still waits to go to the office.
#[derive(Debug, Serialize, TS)]
pub struct Today {
    pub date: String,
    pub plans: Vec<PlanView>,
    pub visits: Vec<VisitView>,
    pub sync: SyncStatus,
    /// Findings written here and not yet sent (草稿), and those the office returned (退回).
    pub drafts: u64,
    pub returned: u64,
}

#[tauri::command]
pub async fn today_view(session: State<'_, Session>) -> IpcResult<Today> {
    session
        .with_store(|s, _| {
            let day = today();
            Ok(Today {
                date: day.to_string(),
                plans: s.plans(Some(day), day)?,
                visits: s.visits(Some(day))?,
                sync: s.sync_status()?,
                drafts: s.count_findings(FindingStatus::Draft)?,
                returned: s.count_findings(FindingStatus::Returned)?,
            })
        })
        .await
}

#[tauri::command]
pub async fn units(session: State<'_, Session>) -> IpcResult<Vec<UnitSummary>> {
    session.with_store(|s, _| Ok(s.units()?)).await
}

#[derive(Debug, Deserialize, TS)]
pub struct UnitInput {
    pub name: String,
    pub region: Option<String>,
    pub spots: Vec<String>,
}

#[tauri::command]
pub async fn add_unit(session: State<'_, Session>, unit: UnitInput) -> IpcResult<UnitSummary> {
    session
        .with_store(move |s, _| Ok(s.add_unit(NewUnit::parse(&unit.name, unit.region.as_deref(), &unit.spots)?)?))
        .await
}

#[tauri::command]
pub async fn templates(session: State<'_, Session>) -> IpcResult<Vec<TemplateSummary>> {
    session.with_store(|s, _| Ok(s.templates()?)).await
}

#[tauri::command]
pub async fn taxonomy(session: State<'_, Session>) -> IpcResult<Taxonomy> {
    session.with_store(|s, _| Ok(s.taxonomy().clone())).await
}

#[derive(Debug, Deserialize, TS)]
pub struct PlanInput {
    pub title: String,
    pub kind: InspectionKind,
    /// YYYY-MM-DD
    pub starts_on: String,
    pub ends_on: String,
    pub units: Vec<String>,
    pub checklists: Vec<String>,
}

#[tauri::command]
pub async fn add_plan(session: State<'_, Session>, plan: PlanInput) -> IpcResult<()> {
    let (from, to) = (date("starts_on", &plan.starts_on)?, date("ends_on", &plan.ends_on)?);
    session
        .with_store(move |s, _| {
            let new = NewPlan::parse(&plan.title, plan.kind, from, to, &[])?;
            s.add_plan(new, &plan.units, &plan.checklists)?;
            Ok(())
        })
        .await
}

#[derive(Debug, Deserialize, TS)]
pub struct VisitInput {
    pub unit: String,
    pub spot: Option<String>,
    pub plan: Option<String>,
    pub kind: InspectionKind,
    /// RFC 3339; now when left out.
    pub arrived_at: Option<String>,
    pub notes: Option<String>,
}

/// The visit screen: the visit, its checklists and its findings.
#[derive(Debug, Serialize, TS)]
pub struct VisitDetail {
    pub visit: VisitView,
    pub checklists: Vec<ResponseView>,
    pub findings: Vec<FindingView>,
    /// The plan's checklist templates (code, name), to start one.
    pub templates: Vec<TemplateSummary>,
}

#[tauri::command]
pub async fn start_visit(session: State<'_, Session>, visit: VisitInput) -> IpcResult<VisitDetail> {
    let arrived = time_or_now("arrived_at", visit.arrived_at.as_deref())?;
    session
        .with_store(move |s, _| {
            let new = NewVisit {
                unit: visit.unit,
                spot: visit.spot.filter(|x| !x.trim().is_empty()),
                plan: visit.plan,
                kind: visit.kind,
                date: arrived.date_naive(),
                arrived_at: Some(arrived),
                inspectors: vec![],
                notes: visit.notes.filter(|x| !x.trim().is_empty()),
            };
            let id = s.add_visit(new)?.id.to_string();
            visit_detail_of(s, &id)
        })
        .await
}

#[tauri::command]
pub async fn end_visit(session: State<'_, Session>, visit: String, left_at: Option<String>) -> IpcResult<VisitDetail> {
    let left = time_or_now("left_at", left_at.as_deref())?;
    session
        .with_store(move |s, _| {
            s.end_visit(&visit, left)?;
            visit_detail_of(s, &visit)
        })
        .await
}

#[tauri::command]
pub async fn visit_detail(session: State<'_, Session>, visit: String) -> IpcResult<VisitDetail> {
    session.with_store(move |s, _| visit_detail_of(s, &visit)).await
}

fn visit_detail_of(s: &Store, key: &str) -> IpcResult<VisitDetail> {
    let visit = s.visit(key)?;
    let day = visit.date;
    let view = s
        .visits(Some(day))?
        .into_iter()
        .find(|v| v.visit.id == visit.id)
        .ok_or_else(|| crate::error::IpcError::new("not_found", format!("visit {key}")))?;
    let id = visit.id.to_string();
    let q = FindingQuery { visit: Some(id.clone()), limit: 500, ..FindingQuery::default() };
    Ok(VisitDetail {
        checklists: s.checklists_of(&id)?,
        findings: s.findings(&q)?,
        templates: s.templates()?,
        visit: view,
    })
}

/// Open (and on first use, start) the visit's checklist from a template.
#[tauri::command]
pub async fn open_checklist(session: State<'_, Session>, visit: String, template: String) -> IpcResult<ResponseView> {
    session.with_store(move |s, _| Ok(s.fill_checklist(&visit, &template, &[])?)).await
}

#[derive(Debug, Deserialize, TS)]
pub struct AnswerItem {
    pub visit: String,
    pub template: String,
    pub item: String,
    pub result: ItemResult,
    pub note: Option<String>,
}

/// One keystroke on the checklist: 1/2/3 or a note, saved at once.
#[tauri::command]
pub async fn answer_item(session: State<'_, Session>, answer: AnswerItem) -> IpcResult<ResponseView> {
    session
        .with_store(move |s, _| {
            let input = AnswerInput {
                item: answer.item,
                result: answer.result,
                note: answer.note.filter(|n| !n.trim().is_empty()),
            };
            Ok(s.fill_checklist(&answer.visit, &answer.template, &[input])?)
        })
        .await
}
