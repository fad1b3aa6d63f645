//! `GET /api/v1/pull?since=CURSOR`: the office's events for this device's inspector.

use axum::extract::State;
use axum::response::Json;
use mingcha_core::sync::Pull;
use serde::Deserialize;

use crate::auth::SignedDevice;
use crate::error::Result;
use crate::state::{AppState, Body, QueryParam};

/// The most events one pull carries; `more` says to ask again.
pub const PULL_MAX: usize = 500;

#[derive(Debug, Deserialize)]
pub struct Since {
    #[serde(default)]
    since: u64,
}

pub async fn pull(
    State(state): State<AppState>,
    auth: SignedDevice,
    QueryParam(Since { since }): QueryParam<Since>,
    Body(body): Body,
) -> Result<Json<Pull>> {
    auth.check_body(&body)?;
    let mut events = state.repo.events_for(auth.device.inspector_id, since, PULL_MAX + 1).await?;
    let more = events.len() > PULL_MAX;
    events.truncate(PULL_MAX);
    let cursor = events.last().map_or(since, |e| e.seq);
    Ok(Json(Pull { cursor, events, more }))
}
