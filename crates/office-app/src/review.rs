//! The office's decision on a finding (审核: 采纳 or 退回), made from the console or the command
//! line: the review, the ledger problem an acceptance opens, and the inspector's event, written
//! in one transaction.

use chrono::{DateTime, Utc};
use mingcha_core::id::FindingId;
use mingcha_core::sync::OfficeEventBody;
use mingcha_office::problem::Problem;
use mingcha_office::review::Review;

use crate::ledger_index;
use crate::world::{Held, World, current};
use crate::{Error, Result};
use crate::{kind, new_id, put_doc};
use mingcha_office_db::{Audience, DocWrite, NewEvent, Repo};

/// The device that sent a finding reaches the inspector through their events.
pub async fn to_inspector(repo: &dyn Repo, h: &Held, body: OfficeEventBody) -> Result<NewEvent> {
    let device =
        repo.device(h.record.device_id).await?.ok_or_else(|| Error::Internal("a finding's device vanished".into()))?;
    Ok(NewEvent { audience: Audience::Inspector(device.inspector_id), subject: Some(h.record.entity_id.clone()), body })
}

fn finding_id(h: &Held) -> FindingId {
    h.finding.id
}

/// What a decision changes besides the review: an event for the inspector, other documents.
pub type Outcome = (Option<OfficeEventBody>, Vec<DocWrite>);

/// Load a finding's review, let `step` decide, and write the review, the documents and the
/// inspector's event in one transaction. `by` is the name the inspector sees, `account` the
/// one the office's log keeps. Answers the event's seq, if there was one.
pub async fn decide_with(
    repo: &dyn Repo,
    id: &str,
    by: &str,
    account: &str,
    now: DateTime<Utc>,
    step: impl FnOnce(&mut Review, &Held, &str, DateTime<Utc>) -> Result<Outcome>,
) -> Result<Option<u64>> {
    let world = World::of(repo, &[id.to_owned()]).await?;
    let h = world.held(id)?;
    let mut review = world.review(id);
    let (event, mut writes) = step(&mut review.value, h, by, now)?;
    for w in writes.iter_mut().filter(|w| w.kind == kind::PROBLEM && w.body.is_some()) {
        let body = w.body.clone().unwrap_or_default();
        let p: Problem = serde_json::from_value(body).map_err(|e| Error::Internal(e.to_string()))?;
        w.ledger = Some(ledger_index::index(&world, &p, h, &review.value)?);
    }
    let mut review_write = review.write(kind::REVIEW, id)?;
    // The finding's ledger row shows the review's wording: when no problem write carries the
    // row, the review does (the problem itself is unchanged and is not written again).
    if !writes.iter().any(|w| w.kind == kind::PROBLEM)
        && let Some(problem_id) = &review.value.problem_id
        && let Ok(p) = world.problem(problem_id)
    {
        review_write.ledger = Some(ledger_index::index(&world, &p.value, h, &review.value)?);
    }
    writes.insert(0, review_write);
    let events = match event {
        Some(body) => vec![to_inspector(repo, h, body).await?],
        None => vec![],
    };
    Ok(repo.write_docs(writes, events, account, now).await?.first().copied())
}

/// 采纳: the review, a new ledger problem, and `finding_accepted` for the inspector.
pub fn accept_step(review: &mut Review, h: &Held, by: &str, now: DateTime<Utc>) -> Result<Outcome> {
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
pub fn return_step(comment: &str) -> impl FnOnce(&mut Review, &Held, &str, DateTime<Utc>) -> Result<Outcome> + '_ {
    move |review, h, by, now| {
        review.return_to_inspector(&current(h), comment, by, now)?;
        let comment = review.comment.clone().unwrap_or_default();
        let event = OfficeEventBody::FindingReturned { finding_id: finding_id(h), comment, by: by.to_owned() };
        Ok((Some(event), vec![]))
    }
}
