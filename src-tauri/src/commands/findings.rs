//! Findings (问题): write one (from a checklist item or from scratch), autosave each edit,
//! show one with its evidence and what the office said, search them all.

use mingcha_core::finding::{FindingStatus, Severity};
use mingcha_store::FindingQuery;
use mingcha_store::evidence::EvidenceView;
use mingcha_store::findings::{FindingEdit, FindingView, NewFinding};
use mingcha_store::sync::OfficeDecision;
use serde::{Deserialize, Serialize};
use tauri::State;
use ts_rs::TS;

use super::{date, time_or_now};
use crate::error::IpcResult;
use crate::session::Session;

#[derive(Debug, Deserialize, TS)]
pub struct FindingInput {
    pub visit: String,
    pub spot: Option<String>,
    /// RFC 3339; now when left out.
    pub observed_at: Option<String>,
    /// A taxonomy leaf code; may be left out when the checklist item suggests one.
    pub category: Option<String>,
    pub severity: Severity,
    pub description: String,
    pub persons_involved: Option<String>,
    /// (template code, item code) of the 不符合 item it comes from.
    pub checklist_item: Option<(String, String)>,
}

#[tauri::command]
pub async fn add_finding(session: State<'_, Session>, finding: FindingInput) -> IpcResult<FindingView> {
    let observed_at = time_or_now("observed_at", finding.observed_at.as_deref())?;
    session
        .with_store(move |s, _| {
            Ok(s.add_finding(NewFinding {
                visit: finding.visit,
                spot: finding.spot.filter(|x| !x.trim().is_empty()),
                observed_at,
                method: None,
                category: finding.category.filter(|x| !x.trim().is_empty()),
                severity: finding.severity,
                description: finding.description,
                persons_involved: finding.persons_involved.filter(|x| !x.trim().is_empty()),
                checklist_item: finding.checklist_item,
            })?)
        })
        .await
}

/// What the editor changed since its last save; absent fields stay as they are.
#[derive(Debug, Deserialize, TS)]
pub struct FindingPatch {
    pub description: Option<String>,
    pub category: Option<String>,
    pub severity: Option<Severity>,
    /// An empty text clears it.
    pub persons_involved: Option<String>,
}

/// The editor's autosave: called as the inspector types (debounced), so a crash or a closed
/// lid loses nothing.
#[tauri::command]
pub async fn edit_finding(session: State<'_, Session>, finding: String, patch: FindingPatch) -> IpcResult<FindingView> {
    session
        .with_store(move |s, _| {
            let edit = FindingEdit {
                description: patch.description,
                category: patch.category,
                severity: patch.severity,
                persons_involved: patch.persons_involved.map(|p| Some(p).filter(|p| !p.trim().is_empty())),
            };
            Ok(s.edit_finding(&finding, edit)?)
        })
        .await
}

#[tauri::command]
pub async fn delete_finding(session: State<'_, Session>, finding: String) -> IpcResult<()> {
    session.with_store(move |s, _| Ok(s.delete_finding(&finding).map(|_| ())?)).await
}

/// The finding editor: the finding, its evidence with flags, and the office's decisions.
#[derive(Debug, Serialize, TS)]
pub struct FindingDetail {
    pub finding: FindingView,
    pub evidence: Vec<EvidenceView>,
    pub decisions: Vec<OfficeDecision>,
    /// The office's comment when it returned the finding (退回), to fix and resend.
    pub return_comment: Option<String>,
}

#[tauri::command]
pub async fn finding_detail(session: State<'_, Session>, finding: String) -> IpcResult<FindingDetail> {
    session
        .with_store(move |s, _| {
            let view = s.finding(&finding)?;
            let id = view.finding.id.to_string();
            Ok(FindingDetail {
                evidence: s.evidence_of(&id)?,
                decisions: s.office_decisions(&id)?,
                return_comment: s.return_comment(&id)?,
                finding: view,
            })
        })
        .await
}

#[derive(Debug, Default, Deserialize, TS)]
pub struct SearchInput {
    /// Chinese or other words, all of which must occur.
    pub text: Option<String>,
    pub unit: Option<String>,
    /// A category leaf or group code.
    pub category: Option<String>,
    pub status: Option<FindingStatus>,
    /// YYYY-MM-DD, inclusive.
    pub from: Option<String>,
    pub to: Option<String>,
    pub offset: Option<u32>,
}

/// A page of findings, newest first; `more` when another page follows.
#[derive(Debug, Serialize, TS)]
pub struct SearchPage {
    pub findings: Vec<FindingView>,
    pub more: bool,
}

const PAGE: usize = 50;

#[tauri::command]
pub async fn search_findings(session: State<'_, Session>, query: SearchInput) -> IpcResult<SearchPage> {
    let blank = |v: Option<String>| v.filter(|x| !x.trim().is_empty());
    let from = blank(query.from).map(|d| date("from", &d)).transpose()?;
    let to = blank(query.to).map(|d| date("to", &d)).transpose()?;
    let q = FindingQuery {
        text: blank(query.text),
        unit: blank(query.unit),
        category: blank(query.category),
        status: query.status,
        from,
        to,
        visit: None,
        limit: PAGE + 1,
        offset: query.offset.unwrap_or(0) as usize,
    };
    session
        .with_store(move |s, _| {
            let mut findings = s.findings(&q)?;
            let more = findings.len() > PAGE;
            findings.truncate(PAGE);
            Ok(SearchPage { findings, more })
        })
        .await
}
