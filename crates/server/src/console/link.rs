//! The one-time link a unit reports its rectification through, without an account
//! (`/api/feedback/{token}`). A link is bound to the assignment (交办) it was made for: a new
//! 交办 or 销号 revokes it, and it then answers like a link that never existed. What is
//! uploaded through it counts against [`LINK_QUOTA`], can be attached only through it, and so
//! ends with it.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Json;
use chrono::{DateTime, Duration, Utc};
use mingcha_office::ledger::LedgerStage;
use mingcha_office::problem::{FileRef, Problem};
use serde::{Deserialize, Serialize};

use super::session::Signed;
use super::unit_view::ProblemFacts;
use super::uploads::{Uploader, store_upload, uploaded};
use super::world::World;
use super::{Versioned, kind, load, put_doc, today};
use crate::error::{Error, Result};
use crate::key::sha256_hex;
use crate::repo::Repo;
use crate::state::{AppState, Body, PathParam, parse_json};

/// How long a unit's link stays valid.
const LINK_DAYS: i64 = 14;

/// What may be uploaded through one link, in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkQuota {
    pub files: u32,
    pub bytes: u64,
}

/// 20 files and 50 MiB a link: a rectification report's photos and scans, not an archive. An
/// office that needs more sends the unit another link (or gives it an account).
pub const LINK_QUOTA: LinkQuota = LinkQuota { files: 20, bytes: 50 << 20 };

impl LinkQuota {
    /// Whether one more file of `size` bytes fits after `files` files of `bytes` in all.
    pub fn admit(&self, files: u32, bytes: u64, size: u64) -> Result<()> {
        if files >= self.files || bytes.saturating_add(size) > self.bytes {
            return Err(Error::LinkQuota { files: self.files, bytes: self.bytes });
        }
        Ok(())
    }
}

/// The assignment a link was made for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoundTo {
    pub unit_id: String,
    /// When it was assigned (交办): each 交办 has its own.
    pub assigned_at: DateTime<Utc>,
}

/// A one-time link for a unit to report its rectification without an account. The office
/// keeps it under the SHA-256 of its token, never the token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FeedbackLink {
    pub problem_id: String,
    pub expires_at: DateTime<Utc>,
    pub spent_at: Option<DateTime<Utc>>,
    /// A link made before links were bound is bound to nothing, and so no longer valid.
    #[serde(default)]
    pub bound_to: Option<BoundTo>,
    /// What was uploaded through it, against [`LINK_QUOTA`].
    #[serde(default)]
    pub uploaded_files: u32,
    #[serde(default)]
    pub uploaded_bytes: u64,
}

impl FeedbackLink {
    /// Whether `p` is still handed to the unit, in the 交办 this link was made for, and open.
    pub fn holds_for(&self, p: &Problem) -> bool {
        let same = match (&self.bound_to, &p.assignment) {
            (Some(b), Some(a)) => b.unit_id == a.unit_id && b.assigned_at == a.at,
            _ => false,
        };
        same && p.stage != LedgerStage::Closed
    }
}

/// `POST /api/console/problems/{id}/link`: a new link for the unit the problem is handed to.
pub async fn link(
    State(state): State<AppState>,
    signed: Signed,
    PathParam(id): PathParam<String>,
) -> Result<Json<serde_json::Value>> {
    signed.reviewer()?;
    let p: Versioned<Problem> =
        load(&*state.repo, kind::PROBLEM, &id).await?.ok_or_else(|| Error::NotFound(format!("no problem {id}")))?;
    let Some(assignment) = &p.value.assignment else {
        return Err(Error::WrongStage("assign (交办) the problem to a unit before sending it a link".into()));
    };
    if p.value.stage == LedgerStage::Closed {
        return Err(Error::WrongStage("the problem is closed (已销号): there is nothing left to report".into()));
    }
    let now = Utc::now();
    let token = mingcha_office::account::random_token()?;
    let link = FeedbackLink {
        problem_id: id,
        expires_at: now + Duration::days(LINK_DAYS),
        spent_at: None,
        bound_to: Some(BoundTo { unit_id: assignment.unit_id.clone(), assigned_at: assignment.at }),
        uploaded_files: 0,
        uploaded_bytes: 0,
    };
    let write = put_doc(kind::FEEDBACK_LINK, &sha256_hex(token.as_bytes()), 0, &link)?;
    state.repo.write_docs(vec![write], vec![], &signed.account.username, now).await?;
    Ok(Json(
        serde_json::json!({ "token": token, "url": format!("/#/feedback/{token}"), "expires_at": link.expires_at }),
    ))
}

/// A link that can still be used, with the problem it reports on.
pub struct LiveLink {
    /// The SHA-256 of its token: its document's id, and its name as an uploader.
    pub key: String,
    pub link: Versioned<FeedbackLink>,
    pub problem: Versioned<Problem>,
}

/// Unknown, revoked, or made for an assignment that is no more: one answer for all, so that
/// the answer tells a guesser nothing.
fn invalid() -> Error {
    Error::NotFound("this link is not valid".into())
}

/// The live link of `token`: it exists, is not spent, has not expired, and its problem is
/// still handed to the unit in the 交办 it was made for, and not closed.
pub async fn live_link(repo: &dyn Repo, token: &str, now: DateTime<Utc>) -> Result<LiveLink> {
    let key = sha256_hex(token.trim().as_bytes());
    let link: Versioned<FeedbackLink> = load(repo, kind::FEEDBACK_LINK, &key).await?.ok_or_else(invalid)?;
    if link.value.spent_at.is_some() {
        return Err(Error::WrongStage("this link was already used to report".into()));
    }
    if link.value.expires_at <= now {
        return Err(Error::WrongStage("this link has expired; ask the office for a new one".into()));
    }
    let problem: Versioned<Problem> = load(repo, kind::PROBLEM, &link.value.problem_id).await?.ok_or_else(invalid)?;
    if !link.value.holds_for(&problem.value) {
        return Err(invalid());
    }
    Ok(LiveLink { key, link, problem })
}

/// `GET /api/feedback/{token}`: what the unit is to fix, and by when.
pub async fn link_summary(
    State(state): State<AppState>,
    PathParam(token): PathParam<String>,
) -> Result<Json<ProblemFacts>> {
    let now = Utc::now();
    let live = live_link(&*state.repo, &token, now).await?;
    let world = World::of(&*state.repo, std::slice::from_ref(&live.problem.value.finding_id)).await?;
    Ok(Json(ProblemFacts::of(&world, &live.problem.value, today(now))?))
}

#[derive(Debug, Deserialize)]
struct Report {
    text: String,
    #[serde(default)]
    files: Vec<String>,
}

/// `POST /api/feedback/{token}`: the unit's report; the link is spent with it.
pub async fn link_feedback(
    State(state): State<AppState>,
    PathParam(token): PathParam<String>,
    Body(body): Body,
) -> Result<Json<serde_json::Value>> {
    let input: Report = parse_json(&body)?;
    let now = Utc::now();
    let LiveLink { key, mut link, problem: mut p } = live_link(&*state.repo, &token, now).await?;
    let files = uploaded(&state, &input.files, &Uploader::Link(key.clone())).await?;
    let unit = p.value.assignment.as_ref().map(|a| a.unit.clone()).unwrap_or_default();
    p.value.report(&input.text, files, &unit, now)?;
    link.value.spent_at = Some(now);
    // The report and the spent link in one write: a link reports once.
    let writes =
        vec![super::ledger_index::write_alone(&*state.repo, &p).await?, link.write(kind::FEEDBACK_LINK, &key)?];
    state.repo.write_docs(writes, vec![], &format!("link:{unit}"), now).await?;
    Ok(Json(serde_json::json!({})))
}

/// `POST /api/feedback/{token}/uploads`: a file for the report, within the link's quota.
pub async fn link_upload(
    State(state): State<AppState>,
    PathParam(token): PathParam<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<FileRef>> {
    let LiveLink { key, mut link, problem } = live_link(&*state.repo, &token, Utc::now()).await?;
    let size = body.len() as u64;
    LINK_QUOTA.admit(link.value.uploaded_files, link.value.uploaded_bytes, size)?;
    link.value.uploaded_files += 1;
    link.value.uploaded_bytes += size;
    // The count goes in with the file's own document: two uploads at once cannot both slip in
    // under the quota (the second meets a changed link and is refused as a conflict).
    let count = link.write(kind::FEEDBACK_LINK, &key)?;
    let by = format!("link:{}", problem.value.id);
    Ok(Json(store_upload(&state, &headers, body.to_vec(), Uploader::Link(key), vec![count], &by).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_takes_files_up_to_its_quota_in_number_and_in_bytes() {
        let q = LinkQuota { files: 2, bytes: 100 };
        assert!(q.admit(0, 0, 100).is_ok());
        assert!(q.admit(1, 60, 40).is_ok());
        assert!(matches!(q.admit(1, 60, 41), Err(Error::LinkQuota { files: 2, bytes: 100 })));
        assert!(matches!(q.admit(2, 0, 1), Err(Error::LinkQuota { .. })));
        assert!(matches!(q.admit(0, u64::MAX, 1), Err(Error::LinkQuota { .. })), "no overflow");
    }
}
