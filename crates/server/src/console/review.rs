//! Review (审核): the batches that came in, their findings, and the office's decisions.

use std::collections::HashMap;

use axum::extract::State;
use axum::response::Json;
use chrono::{DateTime, Utc};
use mingcha_office::review::{Review, ReviewState};
use serde::{Deserialize, Serialize};

use super::kind;
use super::ledger_index::{self, cursor, parse_cursor};
use super::session::Signed;
use super::world::{FindingView, Held, World, current, resolve_unit};
use crate::app::Error as AppError;
use crate::app::review::{Outcome, accept_step, decide_with, return_step};
use crate::error::{Error, Result};
use crate::repo::read_model::{self, findings::StateFilter};
use crate::state::{AppState, Body, PathParam, QueryParam, parse_json};

#[derive(Debug, Serialize)]
pub struct BatchRow {
    pub batch_id: String,
    pub inspector: String,
    pub device: String,
    pub committed_at: chrono::DateTime<Utc>,
    /// Findings whose latest change came in this batch.
    pub findings: usize,
    pub undecided: usize,
}

/// How many of the newest batches the review page lists.
pub const BATCHES_SHOWN: usize = 100;

pub async fn batches(State(state): State<AppState>, signed: Signed) -> Result<Json<Vec<BatchRow>>> {
    signed.office_staff()?;
    // The newest batches only: the day's work is among them, and the queue of every open finding
    // (全部待审) holds the rest. Counting a province's every batch took half a second at 1M.
    let mut batches = state.repo.committed_batches().await?;
    batches.truncate(BATCHES_SHOWN);
    let ids: Vec<String> = batches.iter().map(|b| b.id.to_string()).collect();
    let counts: HashMap<String, (u64, u64)> = read_model::findings::batch_counts(state.repo.sql(), &ids)
        .await?
        .into_iter()
        .map(|(id, all, open)| (id, (all, open)))
        .collect();
    let rows = batches
        .into_iter()
        .map(|b| {
            let id = b.id.to_string();
            let (findings, undecided) = counts.get(&id).copied().unwrap_or_default();
            BatchRow {
                findings: usize::try_from(findings).unwrap_or(usize::MAX),
                undecided: usize::try_from(undecided).unwrap_or(usize::MAX),
                batch_id: id,
                inspector: b.inspector,
                device: b.device,
                committed_at: b.committed_at,
            }
        })
        .collect();
    Ok(Json(rows))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FindingQuery {
    /// A review state, `open` (new and resent), or `all` (the default).
    state: Option<String>,
    batch: Option<String>,
    inspector: Option<String>,
    unit: Option<String>,
    /// At most this many (50 unless asked; 1 to 500).
    limit: Option<u32>,
    /// The `next` of the page before.
    after: Option<String>,
}

/// One page of a list, oldest first, with how many there are in all and where the next
/// page starts (`None` on the last).
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub total: u64,
    pub next: Option<String>,
}

/// The page length a list request asked for.
pub(crate) fn page_limit(limit: Option<u32>) -> Result<u32> {
    match limit.unwrap_or(50) {
        n @ 1..=500 => Ok(n),
        n => Err(Error::Invalid(format!("a page holds 1 to 500 rows, not {n}"))),
    }
}

fn state_filter(wanted: Option<&str>) -> Result<StateFilter> {
    Ok(match wanted.map(str::trim).filter(|s| !s.is_empty()) {
        None | Some("all") => StateFilter::All,
        Some("open") => StateFilter::Open,
        Some(s) => {
            let wanted: ReviewState = serde_json::from_value(serde_json::Value::String(s.to_owned()))
                .map_err(|_| Error::Invalid(format!("no review state `{s}`")))?;
            StateFilter::Is(
                serde_json::to_value(wanted).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
            )
        }
    })
}

pub async fn findings(
    State(state): State<AppState>,
    signed: Signed,
    QueryParam(q): QueryParam<FindingQuery>,
) -> Result<Json<Page<FindingView>>> {
    signed.office_staff()?;
    let some = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let unit_id = match some(&q.unit) {
        Some(u) => match resolve_unit(&*state.repo, &u).await {
            Ok((id, _)) => Some(id),
            // A unit the office never heard of has no findings.
            Err(AppError::UnknownUnit(_)) => Some(u),
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let query = read_model::findings::FindingQuery {
        state: state_filter(q.state.as_deref())?,
        batch: some(&q.batch),
        inspector: some(&q.inspector),
        unit_id,
    };
    let after = q.after.as_deref().map(parse_cursor).transpose()?;
    let after = after.map(|(observed_at, finding_id)| read_model::findings::FindingCursor { observed_at, finding_id });
    let page = read_model::findings::page(state.repo.sql(), &query, after.as_ref(), page_limit(q.limit)?).await?;
    let world = World::of(&*state.repo, &page.ids).await?;
    let rows = page.ids.iter().map(|id| Ok(world.view(world.held(id)?))).collect::<Result<_>>()?;
    Ok(Json(Page { rows, total: page.total, next: page.next.map(|c| cursor(&c.observed_at, &c.finding_id)) }))
}

pub async fn finding(
    State(state): State<AppState>,
    signed: Signed,
    PathParam(id): PathParam<String>,
) -> Result<Json<FindingView>> {
    signed.office_staff()?;
    answer(&state, &id).await
}

/// Reload and answer with the finding as it now is.
async fn answer(state: &AppState, id: &str) -> Result<Json<FindingView>> {
    let world = World::of(&*state.repo, &[id.to_owned()]).await?;
    Ok(Json(world.view(world.held(id)?)))
}

/// A console decision: the reviewer's, answered with the finding as it now is.
async fn decide(
    state: &AppState,
    signed: &Signed,
    id: &str,
    step: impl FnOnce(&mut Review, &Held, &str, DateTime<Utc>) -> crate::app::Result<Outcome>,
) -> Result<Json<FindingView>> {
    signed.reviewer()?;
    decide_with(&*state.repo, id, signed.name(), &signed.account.username, Utc::now(), step).await?;
    answer(state, id).await
}

pub async fn accept(
    State(state): State<AppState>,
    signed: Signed,
    PathParam(id): PathParam<String>,
) -> Result<Json<FindingView>> {
    decide(&state, &signed, &id, accept_step).await
}

#[derive(Debug, Deserialize)]
struct Comment {
    comment: String,
}

pub async fn return_finding(
    State(state): State<AppState>,
    signed: Signed,
    PathParam(id): PathParam<String>,
    Body(body): Body,
) -> Result<Json<FindingView>> {
    signed.reviewer()?;
    let input: Comment = parse_json(&body)?;
    decide(&state, &signed, &id, return_step(&input.comment)).await
}

#[derive(Debug, Deserialize)]
struct Rewording {
    text: String,
}

pub async fn reword(
    State(state): State<AppState>,
    signed: Signed,
    PathParam(id): PathParam<String>,
    Body(body): Body,
) -> Result<Json<FindingView>> {
    signed.reviewer()?;
    let input: Rewording = parse_json(&body)?;
    decide(&state, &signed, &id, |review, h, by, now| {
        review.reword(&current(h), &input.text, by, now)?;
        Ok((None, vec![]))
    })
    .await
}

#[derive(Debug, Deserialize)]
struct Merge {
    into: String,
}

pub async fn merge(
    State(state): State<AppState>,
    signed: Signed,
    PathParam(id): PathParam<String>,
    Body(body): Body,
) -> Result<Json<FindingView>> {
    signed.reviewer()?;
    let input: Merge = parse_json(&body)?;
    let world = World::of(&*state.repo, &[id.clone(), input.into.trim().to_owned()]).await?;
    let (h, into_h) = (world.held(&id)?, world.held(input.into.trim())?);
    if h.finding.unit_id != into_h.finding.unit_id {
        return Err(Error::Invalid("only findings at the same unit can be duplicates of each other".into()));
    }
    let (mut review, mut into) = (world.review(&id), world.review(&into_h.record.entity_id));
    let now = Utc::now();
    review.value.merge_into(&current(h), &mut into.value, &current(into_h), signed.name(), now)?;
    let mut into_write = into.write(kind::REVIEW, &into_h.record.entity_id)?;
    // The surviving finding's ledger row, if it has one, shows its wording: it goes with the review.
    if let Some(p) = into.value.problem_id.as_deref().and_then(|p| world.problem(p).ok()) {
        into_write.ledger = Some(ledger_index::index(&world, &p.value, into_h, &into.value)?);
    }
    let writes = vec![review.write(kind::REVIEW, &id)?, into_write];
    state.repo.write_docs(writes, vec![], &signed.account.username, now).await?;
    answer(&state, &into_h.record.entity_id).await
}
