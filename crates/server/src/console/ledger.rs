//! The ledger (台账) and rectification: 交办 → 整改 → 复核 → 销号, 亮灯, the .xlsx export,
//! and the one-time link a unit reports through.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Json, Response};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use mingcha_core::rectification::Light;
use mingcha_office::filter::{LedgerFilter, RowKeys};
use mingcha_office::ledger::LedgerRow;
use mingcha_office::problem::{AssignInput, Feedback, Problem};
use serde::{Deserialize, Serialize};

use super::session::Signed;
use super::world::{FindingView, World, resolve_unit};
use super::{Versioned, kind, load, put_doc, today};
use crate::api::{AppState, Body, PathParam, QueryParam, parse_json};
use crate::error::{Error, Result};
use crate::key::sha256_hex;
use crate::repo::Repo;

/// The ledger rows `signed` may see that pass `filter`, numbered from 1, each with its problem.
fn visible<'w>(
    world: &'w World,
    signed: &Signed,
    filter: &LedgerFilter,
    now: DateTime<Utc>,
) -> Vec<(LedgerRow, &'w Problem)> {
    let own_unit = (!signed.role().sees_everything()).then(|| signed.account.unit.clone().unwrap_or_default());
    let mut rows: Vec<(LedgerRow, &Problem)> = world
        .ledger(today(now))
        .into_iter()
        .filter(|(row, p, h)| {
            let responsible = p.value.assignment.as_ref().map(|a| a.unit_id.as_str());
            let mine = own_unit.as_deref().is_none_or(|u| responsible == Some(u));
            let keys = RowKeys { unit_id: &h.finding.unit_id.to_string(), responsible_unit_id: responsible };
            mine && filter.matches(row, keys)
        })
        .map(|(row, p, _)| (row, &p.value))
        .collect();
    for (i, (r, _)) in rows.iter_mut().enumerate() {
        r.seq = u32::try_from(i + 1).unwrap_or(u32::MAX);
    }
    rows
}

fn visible_rows(world: &World, signed: &Signed, filter: &LedgerFilter, now: DateTime<Utc>) -> Vec<LedgerRow> {
    visible(world, signed, filter, now).into_iter().map(|(row, _)| row).collect()
}

#[derive(Debug, Serialize)]
pub struct Rows {
    rows: Vec<LedgerRow>,
    total: usize,
}

pub async fn problems(
    State(state): State<AppState>,
    signed: Signed,
    QueryParam(filter): QueryParam<LedgerFilter>,
) -> Result<Json<Rows>> {
    let world = World::load(&*state.repo).await?;
    let rows = visible_rows(&world, &signed, &filter, Utc::now());
    Ok(Json(Rows { total: rows.len(), rows }))
}

/// A file download with a UTF-8 name (RFC 6266 / 5987).
pub fn download(bytes: Vec<u8>, media_type: &'static str, name: &str) -> Result<Response> {
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect();
    let disposition = format!("attachment; filename=\"download\"; filename*=UTF-8''{encoded}");
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(media_type));
    h.insert(CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).map_err(|e| Error::Internal(e.to_string()))?);
    Ok(response)
}

pub async fn export(
    State(state): State<AppState>,
    signed: Signed,
    QueryParam(filter): QueryParam<LedgerFilter>,
) -> Result<Response> {
    let now = Utc::now();
    let world = World::load(&*state.repo).await?;
    let rows = visible_rows(&world, &signed, &filter, now);
    let day = today(now);
    let title = format!("问题台账（{}）", mingcha_office::docx::chinese_date(day));
    let bytes = tokio::task::spawn_blocking(move || mingcha_office::xlsx::ledger_xlsx(&title, &rows))
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
        .map_err(|e| Error::Internal(format!("writing the ledger: {e}")))?;
    download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("问题台账-{}.xlsx", day.format("%Y%m%d")),
    )
}

#[derive(Debug, Serialize)]
pub struct ProblemDetail {
    row: LedgerRow,
    finding: FindingView,
    history: Vec<mingcha_office::HistoryEntry>,
    feedback: Vec<FeedbackView>,
    revisit_finding: Option<String>,
}

#[derive(Debug, Serialize)]
struct FeedbackView {
    #[serde(flatten)]
    feedback: Feedback,
    urls: Vec<String>,
}

/// One problem, for `signed`: a unit contact sees only its own.
fn detail(world: &World, signed: &Signed, id: &str, now: DateTime<Utc>) -> Result<ProblemDetail> {
    let p = world.problem(id)?.value;
    if !signed.role().sees_everything() {
        let responsible = p.assignment.as_ref().map(|a| a.unit_id.as_str());
        if responsible.is_none() || responsible != signed.account.unit.as_deref() {
            return Err(Error::NotFound(format!("no problem {id} in the ledger")));
        }
    }
    let h = world.held(&p.finding_id)?;
    let mut row = world.ledger_row(&p, h, today(now));
    row.seq = world
        .ledger(today(now))
        .iter()
        .position(|(r, _, _)| r.id == p.id)
        .map_or(0, |i| u32::try_from(i + 1).unwrap_or(u32::MAX));
    let mut finding = world.view(h);
    if !signed.role().sees_everything() {
        // A unit sees what it must fix, not who was named or the covert visit's photos.
        finding.persons = None;
        finding.evidence.clear();
        finding.versions.clear();
    }
    Ok(ProblemDetail {
        row,
        finding,
        revisit_finding: p.revisit_finding().map(str::to_owned),
        history: p.history.clone(),
        feedback: p
            .feedback
            .iter()
            .map(|f| FeedbackView {
                urls: f.files.iter().map(|x| format!("/api/console/blobs/{}", x.sha256)).collect(),
                feedback: f.clone(),
            })
            .collect(),
    })
}

pub async fn problem(
    State(state): State<AppState>,
    signed: Signed,
    PathParam(id): PathParam<String>,
) -> Result<Json<ProblemDetail>> {
    let world = World::load(&*state.repo).await?;
    Ok(Json(detail(&world, &signed, &id, Utc::now())?))
}

/// Load a problem, change it with `step`, save it, and answer with it as it now is.
async fn change(
    state: &AppState,
    signed: &Signed,
    id: &str,
    step: impl FnOnce(&mut Problem, DateTime<Utc>) -> Result<()>,
) -> Result<Json<ProblemDetail>> {
    let now = Utc::now();
    let mut p: Versioned<Problem> = load(&*state.repo, kind::PROBLEM, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no problem {id} in the ledger")))?;
    step(&mut p.value, now)?;
    state.repo.write_docs(vec![p.write(kind::PROBLEM, id)?], vec![], &signed.account.username, now).await?;
    let world = World::load(&*state.repo).await?;
    Ok(Json(detail(&world, signed, id, now)?))
}

#[derive(Debug, Deserialize)]
struct Assign {
    unit: String,
    #[serde(default)]
    person: Option<String>,
    deadline: String,
    #[serde(default)]
    measures: Option<String>,
}

pub async fn assign(
    State(state): State<AppState>,
    signed: Signed,
    PathParam(id): PathParam<String>,
    Body(body): Body,
) -> Result<Json<ProblemDetail>> {
    signed.reviewer()?;
    let input: Assign = parse_json(&body)?;
    let deadline: NaiveDate =
        mingcha_core::inspection::parse_date("deadline", &input.deadline).map_err(|e| Error::Invalid(e.to_string()))?;
    let (unit_id, unit) = resolve_unit(&*state.repo, &input.unit).await?;
    let by = signed.name().to_owned();
    change(&state, &signed, &id, |p, now| {
        let input = AssignInput {
            unit_id: &unit_id,
            unit: &unit,
            person: input.person.as_deref(),
            deadline,
            measures: input.measures.as_deref(),
        };
        Ok(p.assign(input, today(now), &by, now)?)
    })
    .await
}

#[derive(Debug, Deserialize)]
struct Report {
    text: String,
    #[serde(default)]
    files: Vec<String>,
}

pub async fn feedback(
    State(state): State<AppState>,
    signed: Signed,
    PathParam(id): PathParam<String>,
    Body(body): Body,
) -> Result<Json<ProblemDetail>> {
    let input: Report = parse_json(&body)?;
    // A unit contact reports only on the problems handed to its unit.
    let own_unit = match (signed.role().may_review(), &signed.account.unit) {
        (true, _) => None,
        (false, Some(unit)) => Some(unit.clone()),
        (false, None) => return Err(Error::Forbidden("report a rectification")),
    };
    let files = super::uploads::uploaded(&state, &input.files).await?;
    let by = signed.name().to_owned();
    change(&state, &signed, &id, |p, now| {
        if let Some(unit) = &own_unit
            && p.assignment.as_ref().map(|a| &a.unit_id) != Some(unit)
        {
            return Err(Error::NotFound(format!("no problem {} in the ledger", p.id)));
        }
        Ok(p.report(&input.text, files, &by, now)?)
    })
    .await
}

#[derive(Debug, Deserialize)]
struct Verify {
    pass: bool,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    revisit_finding: Option<String>,
}

pub async fn verify(
    State(state): State<AppState>,
    signed: Signed,
    PathParam(id): PathParam<String>,
    Body(body): Body,
) -> Result<Json<ProblemDetail>> {
    signed.reviewer()?;
    let input: Verify = parse_json(&body)?;
    let revisit = input.revisit_finding.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    if let Some(r) = &revisit {
        // The proof must be a finding the office holds, of a later visit to the same unit.
        let world = World::load(&*state.repo).await?;
        let p = world.problem(&id)?;
        let (original, proof) = (world.held(&p.value.finding_id)?, world.held(r)?);
        if proof.finding.unit_id != original.finding.unit_id
            || proof.finding.observed_at <= original.finding.observed_at
        {
            return Err(Error::Invalid("the re-visit finding must be a later finding at the same unit".into()));
        }
    }
    let by = signed.name().to_owned();
    change(&state, &signed, &id, |p, now| Ok(p.verify(input.pass, &input.comment, revisit.as_deref(), &by, now)?)).await
}

#[derive(Debug, Default, Deserialize)]
struct Close {
    #[serde(default)]
    comment: Option<String>,
}

pub async fn close(
    State(state): State<AppState>,
    signed: Signed,
    PathParam(id): PathParam<String>,
    Body(body): Body,
) -> Result<Json<ProblemDetail>> {
    signed.reviewer()?;
    let input: Close = if body.is_empty() { Close::default() } else { parse_json(&body)? };
    let by = signed.name().to_owned();
    change(&state, &signed, &id, |p, now| Ok(p.close(input.comment.as_deref(), today(now), &by, now)?)).await
}

#[derive(Debug, Serialize)]
pub struct Lights {
    yellow: Vec<LedgerRow>,
    red: Vec<LedgerRow>,
    units: Vec<UnitLights>,
}

#[derive(Debug, Serialize)]
struct UnitLights {
    unit: String,
    red: usize,
    yellow: usize,
}

pub async fn lights(State(state): State<AppState>, signed: Signed) -> Result<Json<Lights>> {
    let world = World::load(&*state.repo).await?;
    let (mut yellow, mut red) = (Vec::new(), Vec::new());
    // By the unit that must act (the responsible one): (red, yellow).
    let mut by_unit: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (row, p) in visible(&world, &signed, &LedgerFilter::default(), Utc::now()) {
        let unit = p.assignment.as_ref().map_or_else(|| row.unit.clone(), |a| a.unit.clone());
        match row.light {
            Some(Light::Red) => {
                by_unit.entry(unit).or_default().0 += 1;
                red.push(row);
            }
            Some(Light::Yellow) => {
                by_unit.entry(unit).or_default().1 += 1;
                yellow.push(row);
            }
            _ => {}
        }
    }
    let mut units: Vec<UnitLights> =
        by_unit.into_iter().map(|(unit, (red, yellow))| UnitLights { unit, red, yellow }).collect();
    // Most red first, then most yellow; the map already ordered them by name.
    units.sort_by_key(|u| std::cmp::Reverse((u.red, u.yellow)));
    Ok(Json(Lights { yellow, red, units }))
}

/// A one-time link for a unit to report its rectification without an account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FeedbackLink {
    pub problem_id: String,
    pub expires_at: DateTime<Utc>,
    pub spent_at: Option<DateTime<Utc>>,
}

/// How long a unit's link stays valid.
const LINK_DAYS: i64 = 14;

pub async fn link(
    State(state): State<AppState>,
    signed: Signed,
    PathParam(id): PathParam<String>,
) -> Result<Json<serde_json::Value>> {
    signed.reviewer()?;
    let p: Versioned<Problem> =
        load(&*state.repo, kind::PROBLEM, &id).await?.ok_or_else(|| Error::NotFound(format!("no problem {id}")))?;
    if p.value.assignment.is_none() {
        return Err(Error::WrongStage("assign (交办) the problem to a unit before sending it a link".into()));
    }
    let now = Utc::now();
    let token = mingcha_office::account::random_token()?;
    let link = FeedbackLink { problem_id: id, expires_at: now + Duration::days(LINK_DAYS), spent_at: None };
    let write = put_doc(kind::FEEDBACK_LINK, &sha256_hex(token.as_bytes()), 0, &link)?;
    state.repo.write_docs(vec![write], vec![], &signed.account.username, now).await?;
    Ok(Json(
        serde_json::json!({ "token": token, "url": format!("/#/feedback/{token}"), "expires_at": link.expires_at }),
    ))
}

/// A link that exists, is not spent and has not expired.
pub async fn live_link(repo: &dyn Repo, token: &str) -> Result<Versioned<FeedbackLink>> {
    let link: Versioned<FeedbackLink> = load(repo, kind::FEEDBACK_LINK, &sha256_hex(token.trim().as_bytes()))
        .await?
        .ok_or_else(|| Error::NotFound("this link is not valid".into()))?;
    if link.value.spent_at.is_some() {
        return Err(Error::WrongStage("this link was already used to report".into()));
    }
    if link.value.expires_at <= Utc::now() {
        return Err(Error::WrongStage("this link has expired; ask the office for a new one".into()));
    }
    Ok(link)
}

pub async fn link_summary(
    State(state): State<AppState>,
    PathParam(token): PathParam<String>,
) -> Result<Json<serde_json::Value>> {
    let link = live_link(&*state.repo, &token).await?;
    let world = World::load(&*state.repo).await?;
    let p = world.problem(&link.value.problem_id)?.value;
    let row = world.ledger_row(&p, world.held(&p.finding_id)?, today(Utc::now()));
    Ok(Json(serde_json::json!({
        "unit": p.assignment.as_ref().map(|a| a.unit.clone()).unwrap_or(row.unit),
        "description": row.description,
        "category": row.category_label,
        "found_at": row.found_at,
        "deadline": row.deadline,
        "measures": row.measures,
        "stage": row.stage,
        "stage_label": row.stage_label,
    })))
}

pub async fn link_feedback(
    State(state): State<AppState>,
    PathParam(token): PathParam<String>,
    Body(body): Body,
) -> Result<Json<serde_json::Value>> {
    let input: Report = parse_json(&body)?;
    let mut link = live_link(&*state.repo, &token).await?;
    let files = super::uploads::uploaded(&state, &input.files).await?;
    let now = Utc::now();
    let id = link.value.problem_id.clone();
    let mut p: Versioned<Problem> =
        load(&*state.repo, kind::PROBLEM, &id).await?.ok_or_else(|| Error::NotFound(format!("no problem {id}")))?;
    let unit = p.value.assignment.as_ref().map(|a| a.unit.clone()).unwrap_or_default();
    p.value.report(&input.text, files, &unit, now)?;
    link.value.spent_at = Some(now);
    // The report and the spent link in one write: a link reports once.
    let writes =
        vec![p.write(kind::PROBLEM, &id)?, link.write(kind::FEEDBACK_LINK, &sha256_hex(token.trim().as_bytes()))?];
    state.repo.write_docs(writes, vec![], &format!("link:{unit}"), now).await?;
    Ok(Json(serde_json::json!({})))
}
