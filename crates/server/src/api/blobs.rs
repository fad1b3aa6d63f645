//! `PUT /api/v1/blobs/{sha256}?offset=N` and `GET /api/v1/blobs/{sha256}/upload`: chunked,
//! resumable, verified blob uploads (the bytes go to the [`crate::blobs::BlobStore`]).

use axum::extract::State;
use axum::response::Json;
use chrono::Utc;
use mingcha_core::evidence::Sha256Hex;
use mingcha_core::sync::UploadState;
use serde::Deserialize;

use super::{AppState, Body, PathParam, QueryParam};
use crate::auth::SignedDevice;
use crate::blobs::Progress;
use crate::error::{Error, Result};

#[derive(Debug, Deserialize)]
pub struct Offset {
    offset: u64,
}

/// The digest in the path, strictly: exactly 64 lower-case hex characters, checked before it
/// is used for anything, so `..` or a slash can never reach the file system.
fn digest(name: &str) -> Result<Sha256Hex> {
    let strict = name.len() == 64 && name.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !strict {
        return Err(Error::BadDigest);
    }
    Sha256Hex::parse(name).map_err(|_| Error::BadDigest)
}

fn stored(sha256: Sha256Hex, size: u64) -> Json<UploadState> {
    Json(UploadState { sha256, received: size, size, stored: true })
}

/// The size of a blob this device may upload; a blob the office already holds is a no-op.
async fn expected(state: &AppState, auth: &SignedDevice, sha256: &Sha256Hex) -> Result<(u64, bool)> {
    if let Some(size) = state.repo.stored_blob(sha256).await? {
        return Ok((size, true));
    }
    let size = state.repo.expected_blob(auth.device.id, sha256).await?.ok_or(Error::BlobNotExpected)?;
    Ok((size, false))
}

async fn finish(state: &AppState, sha256: Sha256Hex, size: u64, progress: Progress) -> Result<Json<UploadState>> {
    match progress {
        Progress::Stored => {
            state.repo.record_blob(&sha256, size, Utc::now()).await?;
            Ok(stored(sha256, size))
        }
        Progress::Partial(received) => Ok(Json(UploadState { sha256, received, size, stored: false })),
    }
}

pub async fn put_chunk(
    State(state): State<AppState>,
    auth: SignedDevice,
    PathParam(name): PathParam<String>,
    QueryParam(Offset { offset }): QueryParam<Offset>,
    Body(body): Body,
) -> Result<Json<UploadState>> {
    let sha256 = digest(&name)?;
    auth.check_body(&body)?;
    let (size, held) = expected(&state, &auth, &sha256).await?;
    if held {
        return Ok(stored(sha256, size));
    }
    let progress = state.blobs.append(auth.device.id, &sha256, size, offset, body.to_vec()).await?;
    finish(&state, sha256, size, progress).await
}

pub async fn upload_state(
    State(state): State<AppState>,
    auth: SignedDevice,
    PathParam(name): PathParam<String>,
    Body(body): Body,
) -> Result<Json<UploadState>> {
    let sha256 = digest(&name)?;
    auth.check_body(&body)?;
    let (size, held) = expected(&state, &auth, &sha256).await?;
    if held {
        return Ok(stored(sha256, size));
    }
    let mut progress = state.blobs.progress(auth.device.id, &sha256).await?;
    if progress == Progress::Partial(size) {
        // Every byte arrived but the process stopped before the check: finish it now.
        progress = state.blobs.append(auth.device.id, &sha256, size, size, Vec::new()).await?;
    }
    finish(&state, sha256, size, progress).await
}
