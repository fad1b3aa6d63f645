//! What every request passes on its way in and out, whatever its route: the limit on refused
//! requests per address, and the headers every answer carries.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{CACHE_CONTROL, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use crate::audit;
use crate::error::Error;
use crate::state::AppState;

/// Refused requests of every kind (any 4xx but the limit's own 429) count against their
/// address; past [`crate::limits::Settings::refusals_per_address`] within the window, every
/// request from it is `429 rate_limited` until the oldest refusal leaves the window. One row
/// in the audit log when the limit trips.
pub async fn refusals(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(limiter) = &state.limits.refused_addr else { return next.run(req).await };
    let client = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
    let key = client.clone().unwrap_or_else(|| "local".to_owned());
    match limiter.locked(&key, Utc::now()) {
        Ok(Some(retry_after)) => return Error::RateLimited { retry_after }.into_response(),
        Ok(None) => {}
        Err(e) => return e.into_response(),
    }
    let response = next.run(req).await;
    let status = response.status();
    if status.is_client_error() && status != StatusCode::TOO_MANY_REQUESTS {
        let now = Utc::now();
        if limiter.fail(&key, now).unwrap_or(false) {
            eprintln!("mingcha-server: refusal rate limit reached for {key}");
            let detail = serde_json::json!({ "limit": "refusals", "scope": "address" });
            audit::record(&*state.repo, now, "anonymous", "rate_limited", Some(&key), client, detail).await;
        }
    }
    response
}

/// Every answer: `nosniff`, so a browser never runs an uploaded file as something other than
/// its declared type; and every API answer `private, no-store` unless its route chose, so no
/// cache on the way or on disk keeps findings, evidence or the ledger.
pub async fn headers(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if api && !h.contains_key(CACHE_CONTROL) {
        h.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    }
    response
}
