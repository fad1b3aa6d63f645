//! The ledger (台账) and rectification: 交办 → 整改 → 复核 → 销号, 亮灯, and the .xlsx export.
//! A unit reads its own problems only, each as a [`UnitProblemView`]; the one-time link it may
//! report through is [`super::link`]'s.

use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::response::{IntoResponse, Json, Response};
use chrono::{DateTime, NaiveDate, Utc};
use mingcha_core::rectification::Light;
use mingcha_office::account::Reader;
use mingcha_office::filter::LedgerFilter;
use mingcha_office::ledger::LedgerRow;
use mingcha_office::problem::{Feedback, Problem};
use serde::{Deserialize, Serialize};

use super::ledger_index::{self, cursor, parse_cursor};
use super::review::{Page, page_limit};
use super::session::Signed;
use super::today;
use super::unit_view::UnitProblemView;
use super::uploads::Uploader;
use super::world::{FindingView, World, unit_names};
use crate::app;
use crate::app::problem::{Actor, Assignment};
use crate::error::{Error, Result};
use crate::repo::read_model::{self, LedgerCursor, LedgerQuery, LightFilter};
use crate::state::{AppState, Body, PathParam, QueryParam, parse_json};

/// A ledger request: the filters, and which page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LedgerParams {
    #[serde(flatten)]
    filter: LedgerFilter,
    /// At most this many rows (50 unless asked; 1 to 500).
    limit: Option<String>,
    /// The `next` of the page before.
    after: Option<String>,
}

/// The rows `reader` may see that pass `filter`: a unit sees only the problems handed to it,
/// numbered among those alone.
pub(super) fn query(reader: Reader<'_>, filter: &LedgerFilter, day: NaiveDate) -> Result<LedgerQuery> {
    let some = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let name = |v: serde_json::Result<serde_json::Value>| v.ok().and_then(|v| v.as_str().map(str::to_owned));
    Ok(LedgerQuery {
        responsible: match reader {
            Reader::Office => None,
            Reader::Unit(unit) => Some(unit.to_owned()),
        },
        unit: some(&filter.unit),
        category: some(&filter.category),
        from: filter.from,
        to: filter.to,
        method: some(&filter.method).map(|m| match m.as_str() {
            "open" => "明查".to_owned(),
            "covert" => "暗访".to_owned(),
            _ => m,
        }),
        stage: filter.stage.and_then(|s| name(serde_json::to_value(s))),
        light: filter.light.map(|l| {
            let l = match l {
                Light::Red => LightFilter::Red,
                Light::Yellow => LightFilter::Yellow,
                Light::Green => LightFilter::Green,
            };
            (l, day)
        }),
        words: some(&filter.q).map(|q| q.split_whitespace().map(str::to_lowercase).collect()).unwrap_or_default(),
    })
}

/// One page of the ledger for `signed`.
async fn page(
    state: &AppState,
    reader: Reader<'_>,
    params: &LedgerParams,
    now: DateTime<Utc>,
) -> Result<Page<LedgerRow>> {
    let day = today(now);
    let q = query(reader, &params.filter, day)?;
    let limit = match params.limit.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(n) => page_limit(Some(n.parse().map_err(|_| Error::Invalid(format!("`{n}` is not a page length")))?))?,
        None => page_limit(None)?,
    };
    let after = params.after.as_deref().map(parse_cursor).transpose()?;
    let after = after.map(|(found_at, problem_id)| LedgerCursor { found_at, problem_id });
    let p = read_model::ledger::page(state.repo.sql(), &q, after.as_ref(), limit).await?;
    let rows = p
        .rows
        .iter()
        .zip(p.first..)
        .map(|((json, _, _), seq)| ledger_index::row(json, seq, day))
        .collect::<crate::app::Result<_>>()?;
    Ok(Page { rows, total: p.total, next: p.next.map(|c| cursor(&c.found_at, &c.problem_id)) })
}

pub async fn problems(
    State(state): State<AppState>,
    signed: Signed,
    QueryParam(params): QueryParam<LedgerParams>,
) -> Result<Json<Page<LedgerRow>>> {
    Ok(Json(page(&state, signed.account.reader(), &params, Utc::now()).await?))
}

/// A file download with a UTF-8 name (RFC 6266 / 5987).
pub fn download(body: impl Into<axum::body::Body>, media_type: &'static str, name: &str) -> Result<Response> {
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect();
    let disposition = format!("attachment; filename=\"download\"; filename*=UTF-8''{encoded}");
    let mut response = body.into().into_response();
    let h = response.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(media_type));
    h.insert(CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).map_err(|e| Error::Internal(e.to_string()))?);
    Ok(response)
}

/// The ledger as `reader` may see it, filtered, as a workbook: read a page at a time and
/// written a row at a time on a thread of its own, then streamed from its temporary file.
pub async fn export(
    State(state): State<AppState>,
    signed: Signed,
    QueryParam(filter): QueryParam<LedgerFilter>,
) -> Result<Response> {
    let now = Utc::now();
    let day = today(now);
    let title = format!("问题台账（{}）", mingcha_office::docx::chinese_date(day));
    // Two pages in flight at most: the reads wait for the writer, not the other way round.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<LedgerRow>(2 * EXPORT_PAGE);
    let writer = tokio::task::spawn_blocking(move || {
        crate::app::export::ledger_workbook(&title, std::iter::from_fn(move || rx.blocking_recv()))
    });
    let mut params = LedgerParams { filter, limit: Some(EXPORT_PAGE.to_string()), after: None };
    loop {
        let p = page(&state, signed.account.reader(), &params, now).await?;
        for row in p.rows {
            tx.send(row).await.map_err(|_| Error::Internal("the ledger's writer stopped".into()))?;
        }
        match p.next {
            Some(next) => params.after = Some(next),
            None => break,
        }
    }
    drop(tx);
    let file = writer.await.map_err(|e| Error::Internal(e.to_string()))??;
    let length = file.metadata()?.len();
    let mut response = download(
        crate::blobs::reader_body(Box::pin(tokio::fs::File::from_std(file))),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("问题台账-{}.xlsx", day.format("%Y%m%d")),
    )?;
    // Streamed, with its length: a client sees how much is coming.
    response.headers_mut().insert(CONTENT_LENGTH, HeaderValue::from(length));
    Ok(response)
}

/// Rows of the ledger read at a time for an export.
const EXPORT_PAGE: usize = 500;

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
async fn detail(state: &AppState, signed: &Signed, id: &str, now: DateTime<Utc>) -> Result<ProblemAnswer> {
    let (world, p) = World::of_problem(&*state.repo, id).await?;
    detail_of(state, signed, &world, &p.value, now).await
}

/// [`detail`] of problem `p` as it stands, with `world` holding its finding.
async fn detail_of(
    state: &AppState,
    signed: &Signed,
    world: &World,
    p: &Problem,
    now: DateTime<Utc>,
) -> Result<ProblemAnswer> {
    let (day, id) = (today(now), p.id.as_str());
    let reader = signed.account.reader();
    let q = query(reader, &LedgerFilter::default(), day)?;
    let seq = read_model::ledger::position(state.repo.sql(), &q, id).await?;
    if let Reader::Unit(_) = reader {
        let seq = seq.ok_or_else(|| Error::NotFound(format!("no problem {id} in the ledger")))?;
        return Ok(ProblemAnswer::Unit(Box::new(UnitProblemView::of(
            world,
            p,
            u32::try_from(seq).unwrap_or(u32::MAX),
            day,
        )?)));
    }
    let h = world.held(&p.finding_id)?;
    let mut row = world.ledger_row(p, h, day);
    row.seq = seq.map_or(0, |s| u32::try_from(s).unwrap_or(u32::MAX));
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
    Ok(Json(detail(&state, &signed, &id, Utc::now()).await?))
}

/// A step's answer: the problem as it now is, as `signed` may read it, on the step's own day
/// (answered from what was just written; the finding and its review did not change).
async fn answer(state: &AppState, signed: &Signed, stepped: app::problem::Stepped) -> Result<Json<ProblemAnswer>> {
    Ok(Json(detail_of(state, signed, &stepped.world, &stepped.problem.value, stepped.at).await?))
}

fn actor(signed: &Signed) -> Actor<'_> {
    Actor { name: signed.name(), username: &signed.account.username }
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
    let input =
        Assignment { unit: input.unit, person: input.person, deadline: input.deadline, measures: input.measures };
    answer(&state, &signed, app::problem::assign(&*state.repo, &id, &input, actor(&signed), Utc::now()).await?).await
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
    let by = actor(&signed);
    let stepped =
        app::problem::report(&*state.repo, &id, &input.text, files, own_unit.as_deref(), by, Utc::now()).await?;
    answer(&state, &signed, stepped).await
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
    let (revisit, by) = (input.revisit_finding.as_deref(), actor(&signed));
    let stepped = app::problem::verify(&*state.repo, &id, input.pass, &input.comment, revisit, by, Utc::now()).await?;
    answer(&state, &signed, stepped).await
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
    let by = actor(&signed);
    answer(&state, &signed, app::problem::close(&*state.repo, &id, input.comment.as_deref(), by, Utc::now()).await?)
        .await
}

/// 亮灯: the first page of the red and of the yellow rows (the ledger filtered by light pages on
/// through the rest), and every unit that must act with how many of each it has.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Serialize)]
pub struct Lights {
    yellow: Page<LedgerRow>,
    red: Page<LedgerRow>,
    units: Vec<UnitLights>,
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Serialize)]
pub struct UnitLights {
    unit: String,
    red: u64,
    yellow: u64,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LightsParams {
    /// Rows of each light (50 unless asked; 1 to 500).
    limit: Option<String>,
}

pub async fn lights(
    State(state): State<AppState>,
    signed: Signed,
    QueryParam(params): QueryParam<LightsParams>,
) -> Result<Json<Lights>> {
    let now = Utc::now();
    let reader = signed.account.reader();
    let lit = |light| LedgerParams {
        filter: LedgerFilter { light: Some(light), ..LedgerFilter::default() },
        limit: params.limit.clone(),
        after: None,
    };
    let red = page(&state, reader, &lit(Light::Red), now).await?;
    let yellow = page(&state, reader, &lit(Light::Yellow), now).await?;
    let day = today(now);
    let q = query(reader, &LedgerFilter::default(), day)?;
    let lit = read_model::ledger::lit_by_unit(state.repo.sql(), &q, day).await?;
    let ids: Vec<String> = lit.iter().map(|(id, _, _)| id.clone()).collect();
    let names = unit_names(&*state.repo, &ids).await?;
    let mut units: Vec<UnitLights> = lit
        .into_iter()
        .map(|(id, red, yellow)| UnitLights { unit: names.get(&id).cloned().unwrap_or(id), red, yellow })
        .collect();
    // Most red first, then most yellow, then by name.
    units.sort_by(|a, b| (b.red, b.yellow, &a.unit).cmp(&(a.red, a.yellow, &b.unit)));
    Ok(Json(Lights { yellow, red, units }))
}
