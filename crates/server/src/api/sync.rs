//! The manifest (step 1) and the commit (step 3) of an exchange.

use axum::extract::State;
use axum::response::Json;
use chrono::Utc;
use mingcha_core::sync::{BatchState, SignedManifest, SignedReceipt};

use crate::auth::SignedDevice;
use crate::error::{Error, Result};
use crate::key::{parse_public_key, sha256_hex, verifies};
use crate::repo::NewBatch;
use crate::state::{AppState, Body, PathParam, parse_json};

/// `POST /api/v1/batches`: check the manifest and every record in it (see [`crate::intake`]),
/// store it as `open`, say which blobs are missing.
pub async fn open_batch(
    State(state): State<AppState>,
    auth: SignedDevice,
    Body(body): Body,
) -> Result<Json<BatchState>> {
    auth.check_body(&body)?;
    let signed: SignedManifest = parse_json(&body)?;
    let manifest = signed.manifest;
    let key =
        parse_public_key(&auth.device.public_key).ok_or_else(|| Error::Internal("a stored key is invalid".into()))?;
    if !verifies(&key, &manifest.signing_message(), &signed.signature) {
        return Err(Error::BadManifestSignature);
    }
    if manifest.device_id != auth.device.id {
        return Err(Error::ForeignManifest);
    }
    manifest.check()?;
    // Each file under the office's cap, all of them under its quota, before anything is stored.
    state.limits.quota.check_batch(&manifest.blobs)?;
    let now = Utc::now();
    crate::intake::check_changes(&manifest.changes, auth.device.enrolled_at, now)?;
    let canonical = String::from_utf8(manifest.canonical_bytes())
        .map_err(|_| Error::Internal("canonical JSON is not UTF-8".into()))?;
    let batch = NewBatch {
        manifest_sha256: sha256_hex(canonical.as_bytes()),
        canonical,
        manifest,
        signature: signed.signature,
    };
    Ok(Json(state.repo.open_batch(&batch, now).await?))
}

/// `POST /api/v1/batches/{batch_id}/commit`: store every change in one transaction and sign
/// the receipt; a committed batch gives the same receipt again.
pub async fn commit(
    State(state): State<AppState>,
    auth: SignedDevice,
    PathParam(batch_id): PathParam<uuid::Uuid>,
    Body(body): Body,
) -> Result<Json<SignedReceipt>> {
    auth.check_body(&body)?;
    Ok(Json(state.repo.commit(auth.device.id, batch_id, &state.key, Utc::now()).await?))
}
