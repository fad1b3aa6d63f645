//! `POST /api/v1/enroll`: the one call a device makes before it has a key the office knows.
//! The one-time token is the credential; it is spent in the same transaction that registers
//! the device.

use axum::extract::State;
use axum::response::Json;
use chrono::Utc;
use mingcha_core::enroll_token::EnrollToken;
use mingcha_core::sync::{EnrollRequest, EnrollResponse};

use crate::audit::{self, ClientAddr};
use crate::error::{Error, Result};
use crate::key::{parse_public_key, sha256_hex};
use crate::repo::NewDevice;
use crate::state::{AppState, Body, parse_json};

/// Enroll a device. Every refused enrollment counts against the client's address (a wrong
/// token, a body too large or malformed, a field too long, a resent enrollment…), counted as an
/// attempt before anything is looked up: past the limit, every attempt from it is `429
/// rate_limited` for a while, a good token included, so tokens cannot be guessed at speed and
/// the office cannot be flooded. At most a few enrollments run at once (`429 busy` after a
/// brief wait). Every outcome is in the audit log, identical refusals as one counted row.
pub async fn enroll(
    State(state): State<AppState>,
    client: ClientAddr,
    body: Result<Body>,
) -> Result<Json<EnrollResponse>> {
    let now = Utc::now();
    let key = client.key();
    let attempt = state.limits.enroll_addr.attempt(&key, now)?;
    let req = body.and_then(|Body(b)| parse_json::<EnrollRequest>(&b));
    // Who and what, once the body is known to be bounded; a refused body names no one.
    let (actor, target, device_name) = match &req {
        Ok(r) => (format!("device:{}", r.device_id), Some(r.inspector_name.trim().to_owned()), r.device_name.clone()),
        Err(_) => ("anonymous".to_owned(), None, String::new()),
    };
    let result = match req {
        Ok(req) => match state.limits.enrolling.enter().await {
            Ok(_turn) => register(&state, &req, now).await,
            Err(busy) => Err(busy),
        },
        Err(e) => Err(e),
    };
    if matches!(result, Ok(_) | Err(Error::Busy)) {
        state.limits.enroll_addr.forgive(&key, &attempt)?;
    }
    match &result {
        Ok(_) => {
            let detail = serde_json::json!({ "device_name": device_name.trim() });
            audit::record(&*state.repo, now, &actor, "enroll", target.as_deref(), client.ip(), detail).await;
        }
        Err(_) => {
            let detail = audit::outcome(&result);
            audit::refused(&state, now, &actor, "enroll_failed", target.as_deref(), client.ip(), detail).await;
            if attempt.reaches_limit && !matches!(result, Err(Error::Busy)) {
                eprintln!("mingcha-server: enrollment rate limit reached for {key}");
                let detail = serde_json::json!({ "limit": "enroll", "scope": "address" });
                audit::record(&*state.repo, now, &actor, "rate_limited", target.as_deref(), client.ip(), detail).await;
            }
        }
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
