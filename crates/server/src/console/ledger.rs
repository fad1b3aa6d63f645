//! The ledger (台账) and rectification: 交办 → 整改 → 复核 → 销号, 亮灯, and the .xlsx export.
//! A unit reads its own problems only, each as a [`UnitProblemView`]; the one-time link it may
//! report through is [`super::link`]'s.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Json, Response};
use chrono::{DateTime, NaiveDate, Utc};
use mingcha_core::rectification::Light;
use mingcha_office::account::Reader;
use mingcha_office::filter::{LedgerFilter, RowKeys};
use mingcha_office::ledger::LedgerRow;
use mingcha_office::problem::{AssignInput, Feedback, Problem};
use serde::{Deserialize, Serialize};

use super::session::Signed;
use super::unit_view::UnitProblemView;
use super::uploads::Uploader;
use super::world::{FindingView, World, resolve_unit};
use super::{Versioned, kind, load, today};
use crate::api::{AppState, Body, PathParam, QueryParam, parse_json};
use crate::error::{Error, Result};

/// The ledger rows `reader` may see that pass `filter`, numbered from 1, each with its problem:
/// a unit sees only the problems handed to it.
fn visible<'w>(
    world: &'w World,
    reader: Reader<'_>,
    filter: &LedgerFilter,
    now: DateTime<Utc>,
) -> Vec<(LedgerRow, &'w Problem)> {
    let own_unit = match reader {
        Reader::Office => None,
        Reader::Unit(unit) => Some(unit),
    };
    let mut rows: Vec<(LedgerRow, &Problem)> = world
        .ledger(today(now))
        .into_iter()
        .filter(|(row, p, h)| {
            let responsible = p.value.assignment.as_ref().map(|a| a.unit_id.as_str());
            let mine = own_unit.is_none_or(|u| responsible == Some(u));
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

pub(super) fn visible_rows(
    world: &World,
    signed: &Signed,
    filter: &LedgerFilter,
    now: DateTime<Utc>,
) -> Vec<LedgerRow> {
    visible(world, signed.account.reader(), filter, now).into_iter().map(|(row, _)| row).collect()
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

/// A problem as the office reads it: the ledger row, the finding with everything the office
/// knows of it, and who did what.
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

/// A problem as the one asking may read it: two types, not one with fields cleared.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ProblemAnswer {
    Office(Box<ProblemDetail>),
    Unit(Box<UnitProblemView>),
}

/// One problem, for `signed`: the office's view, or a unit's view of one of its own.
fn detail(world: &World, signed: &Signed, id: &str, now: DateTime<Utc>) -> Result<ProblemAnswer> {
    let day = today(now);
    let p = world.problem(id)?.value;
    if let Reader::Unit(unit) = signed.account.reader() {
        let rows = visible(world, Reader::Unit(unit), &LedgerFilter::default(), now);
        let seq = rows
            .iter()
            .position(|(_, mine)| mine.id == p.id)
            .ok_or_else(|| Error::NotFound(format!("no problem {id} in the ledger")))?;
        let seq = u32::try_from(seq + 1).unwrap_or(u32::MAX);
        return Ok(ProblemAnswer::Unit(Box::new(UnitProblemView::of(world, &p, seq, day)?)));
    }
    let h = world.held(&p.finding_id)?;
    let mut row = world.ledger_row(&p, h, day);
    row.seq = world
        .ledger(day)
        .iter()
        .position(|(r, _, _)| r.id == p.id)
        .map_or(0, |i| u32::try_from(i + 1).unwrap_or(u32::MAX));
    Ok(ProblemAnswer::Office(Box::new(ProblemDetail {
        row,
        finding: world.view(h),
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
    })))
}

pub async fn problem(
    State(state): State<AppState>,
    signed: Signed,
    PathParam(id): PathParam<String>,
) -> Result<Json<ProblemAnswer>> {
    let world = World::load(&*state.repo).await?;
    Ok(Json(detail(&world, &signed, &id, Utc::now())?))
}

/// Load a problem, change it with `step`, save it, and answer with it as it now is.
async fn change(
    state: &AppState,
    signed: &Signed,
    id: &str,
    step: impl FnOnce(&mut Problem, DateTime<Utc>) -> Result<()>,
) -> Result<Json<ProblemAnswer>> {
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
) -> Result<Json<ProblemAnswer>> {
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
) -> Result<Json<ProblemAnswer>> {
    // A unit contact reports only on the problems handed to its unit; a viewer never writes.
    let own_unit = match (signed.role().may_review(), signed.account.reports_for()) {
        (true, _) => None,
        (false, Some(unit)) => Some(unit.to_owned()),
        (false, None) => return Err(Error::Forbidden("report a rectification")),
    };
    let input: Report = parse_json(&body)?;
    let owner = Uploader::Account(signed.account.username.clone());
    let files = super::uploads::uploaded(&state, &input.files, &owner).await?;
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
) -> Result<Json<ProblemAnswer>> {
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
) -> Result<Json<ProblemAnswer>> {
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
    for (row, p) in visible(&world, signed.account.reader(), &LedgerFilter::default(), Utc::now()) {
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
