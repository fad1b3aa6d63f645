//! The audit log: who did what to the office, when, and from where.
//!
//! Rows are appended after the action (its outcome is part of the row), by [`record`]: from
//! the sign-in and enrollment handlers, from [`console_writes`] (every other console write,
//! whatever its outcome), and from the staff's commands in `main.rs`. The table refuses UPDATE
//! and DELETE (migration 0003). The admin reads it with [`list`] (`GET /api/console/audit`,
//! the console's 审计日志 page) and `mingcha-server audit`.
//!
//! Nothing from outside can fill it. Every row is cut to its bounds ([`crate::bounds::cut`],
//! marked `…（已截断）`; a detail over its bound becomes `{"truncated": true, "excerpt": …}`).
//! Refusals go through [`Repeats`] ([`refused`]): since the log cannot be edited, a run of
//! identical refusals (same actor, action, target, address and detail) is aggregated in memory
//! instead. The first [`REPEATS_WRITTEN`] of a run are written one by one, at once; the rest
//! within [`REPEAT_WINDOW_MINUTES`] are only counted, and one row with `detail.repeated` (how
//! many more), `detail.first_at` and `detail.last_at` is appended when the window closes: at
//! the next refusal after it, at the minute tick of `serve`, or when `serve` stops. A crash
//! loses at most the count of an open run, never its first rows.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Json, Response};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::Deserialize;
use serde_json::json;

use crate::bounds::{AUDIT_DETAIL_MAX, AUDIT_TEXT_MAX, cut};
use crate::error::{Error, Result};
use crate::key::sha256_hex;
pub use crate::memory::{REPEAT_WINDOW_MINUTES, REPEATS_WRITTEN, Repeats};
use crate::repo::{AuditEntry, AuditPage, AuditQuery, Repo};
use crate::session::{Signed, signed_in_username};
use crate::state::{AppState, QueryParam};

/// The most rows one page of the audit log holds.
pub const PAGE_MAX: u64 = 200;

/// The client's IP address, when the request came over the network (`None` in-process).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<SocketAddr>);

impl ClientAddr {
    /// The address as the audit log and the rate limits key it: the IP, without the port.
    pub fn ip(&self) -> Option<String> {
        self.0.map(|a| a.ip().to_string())
    }

    /// The rate limits' key for this client.
    pub fn key(&self) -> String {
        self.ip().unwrap_or_else(|| "local".to_owned())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> std::result::Result<Self, Self::Rejection> {
        Ok(Self(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0)))
    }
}

/// Append one row. A failure to write it is logged, not passed on: the action it describes has
/// already happened, and the caller's answer must say so.
pub async fn record(
    repo: &dyn Repo,
    at: DateTime<Utc>,
    actor: &str,
    action: &str,
    target: Option<&str>,
    client: Option<String>,
    detail: serde_json::Value,
) {
    append(repo, entry(at, actor, action, target, client, detail)).await;
}

/// Append a refusal through the office's [`Repeats`]: written at once if it is among the first
/// of its run, else counted into the run's row.
pub async fn refused(
    state: &AppState,
    at: DateTime<Utc>,
    actor: &str,
    action: &str,
    target: Option<&str>,
    client: Option<String>,
    detail: serde_json::Value,
) {
    for row in state.repeats.note(entry(at, actor, action, target, client, detail)) {
        append(&*state.repo, row).await;
    }
}

/// Append the rows of the runs of refusals whose window has closed by `now` (every run, with
/// `now` = `None`, when the office stops).
pub async fn flush_repeats(repo: &dyn Repo, repeats: &Repeats, now: Option<DateTime<Utc>>) {
    for row in repeats.close(now) {
        append(repo, row).await;
    }
}

/// A row, every text cut to its bound.
fn entry(
    at: DateTime<Utc>,
    actor: &str,
    action: &str,
    target: Option<&str>,
    client: Option<String>,
    detail: serde_json::Value,
) -> AuditEntry {
    let text = |s: &str| cut(s, AUDIT_TEXT_MAX);
    let detail = match serde_json::to_string(&detail) {
        Ok(json) if json.len() > AUDIT_DETAIL_MAX => {
            json!({ "truncated": true, "excerpt": cut(&json, AUDIT_DETAIL_MAX / 4) })
        }
        _ => detail,
    };
    AuditEntry {
        at,
        actor: text(actor),
        action: text(action),
        target: target.map(text),
        client: client.as_deref().map(text),
        detail,
    }
}

async fn append(repo: &dyn Repo, entry: AuditEntry) {
    if let Err(e) = repo.append_audit(&entry).await {
        eprintln!("mingcha-server: could not write the audit row {entry:?}: {e}");
    }
}

/// The console routes that write their own, more telling rows.
fn records_itself(path: &str) -> bool {
    matches!(path, "/api/console/login" | "/api/console/logout")
}

/// Middleware on the console's routes: every write (not GET or HEAD) leaves a row with the
/// route, the concrete path, the account that made it and the answer's status. A one-time
/// feedback link's token is secret, so its path is kept as the token's SHA-256 prefix only.
pub async fn console_writes(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let write = !matches!(*req.method(), Method::GET | Method::HEAD);
    let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned());
    let Some(route) = route.filter(|r| write && !records_itself(r)) else {
        return next.run(req).await;
    };
    let method = req.method().clone();
    let client = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
    let actor = if route.starts_with("/api/feedback/") {
        "feedback_link".to_owned()
    } else {
        signed_in_username(&state, req.headers()).await.unwrap_or_else(|| "anonymous".to_owned())
    };
    let target = match route.strip_prefix("/api/feedback/{token}") {
        Some(rest) => {
            let token = req.uri().path().trim_start_matches("/api/feedback/").split('/').next().unwrap_or_default();
            format!("/api/feedback/{}…{rest}", &sha256_hex(token.as_bytes())[..12])
        }
        None => req.uri().path().to_owned(),
    };
    let response = next.run(req).await;
    let status = response.status();
    let detail = json!({ "status": status.as_u16(), "ok": status.is_success() });
    let action = format!("{method} {route}");
    if status.is_success() {
        record(&*state.repo, Utc::now(), &actor, &action, Some(&target), client, detail).await;
    } else {
        refused(&state, Utc::now(), &actor, &action, Some(&target), client, detail).await;
    }
    response
}

/// The query of `GET /api/console/audit`.
#[derive(Debug, Default, Deserialize)]
pub struct AuditParams {
    pub actor: Option<String>,
    pub action: Option<String>,
    /// The first day (the office's calendar), inclusive.
    pub from: Option<NaiveDate>,
    /// The last day, inclusive.
    pub to: Option<NaiveDate>,
    /// From 1.
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

fn start_of(day: NaiveDate) -> Option<DateTime<Utc>> {
    chrono::Local.from_local_datetime(&day.and_hms_opt(0, 0, 0)?).earliest().map(|t| t.with_timezone(&Utc))
}

impl AuditParams {
    /// The repository's query: days of the office's calendar become instants.
    pub fn query(&self) -> Result<AuditQuery> {
        let text = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        let per_page = self.per_page.unwrap_or(50).clamp(1, PAGE_MAX);
        let page = self.page.unwrap_or(1).max(1);
        if let (Some(from), Some(to)) = (self.from, self.to)
            && from > to
        {
            return Err(Error::Invalid(format!("the range {from} to {to} is empty")));
        }
        Ok(AuditQuery {
            actor: text(&self.actor),
            action: text(&self.action),
            from: self.from.and_then(start_of),
            until: self.to.and_then(|d| d.succ_opt()).and_then(start_of),
            offset: (page - 1).saturating_mul(per_page),
            limit: per_page,
        })
    }
}

/// `GET /api/console/audit`: the admin only.
pub async fn list(
    State(state): State<AppState>,
    signed: Signed,
    QueryParam(params): QueryParam<AuditParams>,
) -> Result<Json<AuditPage>> {
    signed.admin()?;
    Ok(Json(state.repo.audit(&params.query()?).await?))
}

/// The status a refused action's row keeps.
pub fn outcome(result: &Result<impl Sized>) -> serde_json::Value {
    match result {
        Ok(_) => json!({ "status": StatusCode::OK.as_u16(), "ok": true }),
        Err(e) => json!({ "status": e.status().as_u16(), "ok": false, "code": e.code() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(secs: i64, target: &str) -> AuditEntry {
        let at = DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap();
        entry(at, "anonymous", "enroll_failed", Some(target), Some("10.0.0.9".into()), json!({ "code": "too_long" }))
    }

    #[test]
    fn a_run_of_identical_refusals_writes_its_first_few_then_one_row_with_the_count() {
        let r = Repeats::default();
        let written: usize = (0..20).map(|i| r.note(refusal(i, "x")).len()).sum();
        assert_eq!(written, REPEATS_WRITTEN as usize, "the first few only");
        assert_eq!(r.note(refusal(21, "other")).len(), 1, "another target is another run");
        assert!(r.close(Some(refusal(599, "x").at)).is_empty(), "the window is still open");
        let closing = r.close(Some(refusal(600, "x").at));
        assert_eq!(closing.len(), 1, "{closing:?}");
        let row = &closing[0];
        assert_eq!(row.detail["repeated"], 15);
        assert_eq!(row.detail["code"], "too_long");
        assert_eq!(row.detail["first_at"], json!(refusal(5, "x").at));
        assert_eq!(row.at, refusal(19, "x").at);
        // The run of one, closed at the end, has nothing to add.
        assert!(r.close(None).is_empty());
    }

    #[test]
    fn rows_are_cut_to_their_bounds_with_a_mark() {
        let huge = "名".repeat(1_000_000);
        let e = entry(Utc::now(), &huge, &huge, Some(&huge), Some(huge.clone()), json!({ "name": huge }));
        assert!(e.actor.ends_with(crate::bounds::CUT_MARK) && e.actor.chars().count() == AUDIT_TEXT_MAX);
        assert!(e.target.is_some_and(|t| t.chars().count() == AUDIT_TEXT_MAX));
        assert_eq!(e.detail["truncated"], true);
        assert!(e.detail.to_string().len() <= AUDIT_DETAIL_MAX + 64);
    }
}
