//! `POST /api/v1/enroll`: the one call a device makes before it has a key the office knows.
//! The one-time token is the credential; it is spent in the same transaction that registers
//! the device.

use axum::extract::State;
use axum::response::Json;
use chrono::Utc;
use mingcha_core::enroll_token::EnrollToken;
use mingcha_core::sync::{EnrollRequest, EnrollResponse};

use super::{AppState, Body, parse_json};
use crate::audit::{self, ClientAddr};
use crate::error::{Error, Result};
use crate::key::{parse_public_key, sha256_hex};
use crate::repo::NewDevice;

/// Enroll a device. Refused tokens count against the client's address: past the limit, every
/// attempt from it is `429 rate_limited` for a while, a good token included, so tokens cannot
/// be guessed at speed. Every outcome is in the audit log.
pub async fn enroll(
    State(state): State<AppState>,
    client: ClientAddr,
    Body(body): Body,
) -> Result<Json<EnrollResponse>> {
    let now = Utc::now();
    let key = client.key();
    if let Some(retry_after) = state.limits.enroll_addr.locked(&key, now)? {
        return Err(Error::RateLimited { retry_after });
    }
    let req: EnrollRequest = parse_json(&body)?;
    let actor = format!("device:{}", req.device_id);
    let result = register(&state, &req, now).await;
    let target = req.inspector_name.trim();
    let detail = match &result {
        Ok(_) => serde_json::json!({ "device_name": req.device_name.trim() }),
        Err(_) => audit::outcome(&result),
    };
    let action = if result.is_ok() { "enroll" } else { "enroll_failed" };
    audit::record(&*state.repo, now, &actor, action, Some(target), client.ip(), detail).await;
    // Only what guessing produces counts: a token that is not one (or not this inspector's).
    // A body cut short by the network, a resent enrollment, a revoked device do not.
    if let Err(Error::BadToken | Error::InspectorMismatch { .. }) = &result
        && state.limits.enroll_addr.fail(&key, now)?
    {
        eprintln!("mingcha-server: enrollment rate limit reached for {key}");
        let detail = serde_json::json!({ "limit": "enroll", "scope": "address" });
        audit::record(&*state.repo, now, &actor, "rate_limited", Some(target), client.ip(), detail).await;
    }
    result.map(Json)
}

async fn register(state: &AppState, req: &EnrollRequest, now: chrono::DateTime<Utc>) -> Result<EnrollResponse> {
    if parse_public_key(&req.public_key).is_none() {
        return Err(Error::BadRequest("public_key is not an ed25519 public key in hex".into()));
    }
    let name = req.device_name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::BadRequest("device_name must have 1 to 200 characters".into()));
    }
    let device = NewDevice {
        id: req.device_id,
        name: name.to_owned(),
        public_key: req.public_key.to_ascii_lowercase(),
        inspector_name: req.inspector_name.clone(),
    };
    // Devices send the secret alone; the whole printed token (from a hand-made request) is
    // taken too. An old bare token is its own secret.
    let secret = EnrollToken::parse(&req.token).map_or_else(|_| req.token.trim().to_owned(), |t| t.secret);
    let token = sha256_hex(secret.as_bytes());
    let enrolled = state.repo.enroll(&token, &device, now).await?;
    Ok(EnrollResponse {
        device_id: enrolled.id,
        inspector_id: enrolled.inspector_id,
        inspector_name: enrolled.inspector_name,
        server_key: state.key.public_hex(),
        acked_seq: enrolled.acked_seq,
    })
}
