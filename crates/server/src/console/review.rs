//! Review (审核): the batches that came in, their findings, and the office's decisions.

use axum::extract::State;
use axum::response::Json;
use chrono::{DateTime, Utc};
use mingcha_core::id::FindingId;
use mingcha_core::sync::OfficeEventBody;
use mingcha_office::problem::Problem;
use mingcha_office::review::{Review, ReviewState};
use serde::{Deserialize, Serialize};

use super::session::Signed;
use super::world::{FindingView, Held, World, current};
use super::{kind, new_id, put_doc};
use crate::api::{AppState, Body, PathParam, QueryParam, parse_json};
use crate::error::{Error, Result};
use crate::repo::{Audience, DocWrite, NewEvent, Repo};

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

pub async fn batches(State(state): State<AppState>, signed: Signed) -> Result<Json<Vec<BatchRow>>> {
    signed.office_staff()?;
    let world = World::load(&*state.repo).await?;
    let views: Vec<FindingView> = world.findings.iter().map(|h| world.view(h)).collect();
    let rows = state
        .repo
        .committed_batches()
        .await?
        .into_iter()
        .map(|b| {
            let id = b.id.to_string();
            let of_batch: Vec<&FindingView> = views.iter().filter(|v| v.batch_id == id).collect();
            BatchRow {
                findings: of_batch.len(),
                undecided: of_batch.iter().filter(|v| v.state.is_open() && !v.deleted).count(),
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
}

fn state_matches(wanted: Option<&str>, v: &FindingView) -> Result<bool> {
    Ok(match wanted.map(str::trim).filter(|s| !s.is_empty()) {
        None | Some("all") => true,
        Some("open") => v.state.is_open(),
        Some(s) => {
            let wanted: ReviewState = serde_json::from_value(serde_json::Value::String(s.to_owned()))
                .map_err(|_| Error::Invalid(format!("no review state `{s}`")))?;
            v.state == wanted
        }
    })
}

pub async fn findings(
    State(state): State<AppState>,
    signed: Signed,
    QueryParam(q): QueryParam<FindingQuery>,
) -> Result<Json<Vec<FindingView>>> {
    signed.office_staff()?;
    let world = World::load(&*state.repo).await?;
    let mut out = Vec::new();
    for v in world.findings.iter().map(|h| world.view(h)) {
        let keep = state_matches(q.state.as_deref(), &v)?
            && q.batch.as_ref().is_none_or(|b| *b == v.batch_id)
            && q.inspector.as_ref().is_none_or(|i| *i == v.inspector)
            && q.unit.as_ref().is_none_or(|u| *u == v.unit_id || *u == v.unit);
        if keep && !v.deleted {
            out.push(v);
        }
    }
    out.sort_by_key(|v| v.observed_at);
    Ok(Json(out))
}

pub async fn finding(
    State(state): State<AppState>,
    signed: Signed,
    PathParam(id): PathParam<String>,
) -> Result<Json<FindingView>> {
    signed.office_staff()?;
    let world = World::load(&*state.repo).await?;
    Ok(Json(world.view(world.held(&id)?)))
}

/// The device that sent a finding reaches the inspector through their events.
async fn to_inspector(repo: &dyn Repo, h: &Held, body: OfficeEventBody) -> Result<NewEvent> {
    let device =
        repo.device(h.record.device_id).await?.ok_or_else(|| Error::Internal("a finding's device vanished".into()))?;
    Ok(NewEvent { audience: Audience::Inspector(device.inspector_id), subject: Some(h.record.entity_id.clone()), body })
}

fn finding_id(h: &Held) -> FindingId {
    h.finding.id
}

/// Reload and answer with the finding as it now is.
async fn answer(state: &AppState, id: &str) -> Result<Json<FindingView>> {
    let world = World::load(&*state.repo).await?;
    Ok(Json(world.view(world.held(id)?)))
}

/// What a decision changes besides the review: an event for the inspector, other documents.
type Outcome = (Option<OfficeEventBody>, Vec<DocWrite>);

/// Load a finding's review, let `step` decide, and write the review, the documents and the
/// inspector's event in one transaction. `by` is the name the inspector sees, `account` the
/// one the office's log keeps. Answers the event's seq, if there was one.
pub(crate) async fn decide_with(
    repo: &dyn Repo,
    id: &str,
    by: &str,
    account: &str,
    now: DateTime<Utc>,
    step: impl FnOnce(&mut Review, &Held, &str, DateTime<Utc>) -> Result<Outcome>,
) -> Result<Option<u64>> {
    let world = World::load(repo).await?;
    let h = world.held(id)?;
    let mut review = world.review(id);
    let (event, mut writes) = step(&mut review.value, h, by, now)?;
    writes.insert(0, review.write(kind::REVIEW, id)?);
    let events = match event {
        Some(body) => vec![to_inspector(repo, h, body).await?],
        None => vec![],
    };
    Ok(repo.write_docs(writes, events, account, now).await?.first().copied())
}

/// A console decision: the reviewer's, answered with the finding as it now is.
async fn decide(
    state: &AppState,
    signed: &Signed,
    id: &str,
    step: impl FnOnce(&mut Review, &Held, &str, DateTime<Utc>) -> Result<Outcome>,
) -> Result<Json<FindingView>> {
    signed.reviewer()?;
    decide_with(&*state.repo, id, signed.name(), &signed.account.username, Utc::now(), step).await?;
    answer(state, id).await
}

/// 采纳: the review, a new ledger problem, and `finding_accepted` for the inspector.
pub(crate) fn accept_step(review: &mut Review, h: &Held, by: &str, now: DateTime<Utc>) -> Result<Outcome> {
    if h.record.op == mingcha_core::change::ChangeOp::Delete {
        return Err(Error::WrongStage("the inspector deleted this finding".into()));
    }
    let problem_id = new_id();
    review.accept(&current(h), &problem_id, by, now)?;
    let problem = Problem::new(&problem_id, &h.record.entity_id, by, now);
    let event = OfficeEventBody::FindingAccepted { finding_id: finding_id(h), by: by.to_owned() };
    Ok((Some(event), vec![put_doc(kind::PROBLEM, &problem_id, 0, &problem)?]))
}

/// 退回 with `comment`, and `finding_returned` for the inspector.
pub(crate) fn return_step(
    comment: &str,
) -> impl FnOnce(&mut Review, &Held, &str, DateTime<Utc>) -> Result<Outcome> + '_ {
    move |review, h, by, now| {
        review.return_to_inspector(&current(h), comment, by, now)?;
        let comment = review.comment.clone().unwrap_or_default();
        let event = OfficeEventBody::FindingReturned { finding_id: finding_id(h), comment, by: by.to_owned() };
        Ok((Some(event), vec![]))
    }
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
    let world = World::load(&*state.repo).await?;
    let (h, into_h) = (world.held(&id)?, world.held(input.into.trim())?);
    if h.finding.unit_id != into_h.finding.unit_id {
        return Err(Error::Invalid("only findings at the same unit can be duplicates of each other".into()));
    }
    let (mut review, mut into) = (world.review(&id), world.review(&into_h.record.entity_id));
    let now = Utc::now();
    review.value.merge_into(&current(h), &mut into.value, &current(into_h), signed.name(), now)?;
    let writes = vec![review.write(kind::REVIEW, &id)?, into.write(kind::REVIEW, &into_h.record.entity_id)?];
    state.repo.write_docs(writes, vec![], &signed.account.username, now).await?;
    answer(&state, &into_h.record.entity_id).await
}
