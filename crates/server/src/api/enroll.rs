//! `POST /api/v1/enroll`: the one call a device makes before it has a key the office knows.
//! The one-time token is the credential; it is spent in the same transaction that registers
//! the device.

use axum::extract::State;
use axum::response::Json;
use chrono::Utc;
use mingcha_core::sync::{EnrollRequest, EnrollResponse};

use super::{AppState, Body, parse_json};
use crate::error::{Error, Result};
use crate::key::{parse_public_key, sha256_hex};
use crate::repo::NewDevice;

pub async fn enroll(State(state): State<AppState>, Body(body): Body) -> Result<Json<EnrollResponse>> {
    let req: EnrollRequest = parse_json(&body)?;
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
        inspector_name: req.inspector_name,
    };
    let token = sha256_hex(req.token.trim().as_bytes());
    let enrolled = state.repo.enroll(&token, &device, Utc::now()).await?;
    Ok(Json(EnrollResponse {
        device_id: enrolled.id,
        inspector_id: enrolled.inspector_id,
        inspector_name: enrolled.inspector_name,
        server_key: state.key.public_hex(),
        acked_seq: enrolled.acked_seq,
    }))
}
