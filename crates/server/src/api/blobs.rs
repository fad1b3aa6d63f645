//! `PUT /api/v1/blobs/{sha256}?offset=N` and `GET /api/v1/blobs/{sha256}/upload`: chunked,
//! resumable, verified blob uploads (the bytes go to the [`crate::blobs::BlobStore`]).

use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::Json;
use chrono::Utc;
use mingcha_core::evidence::Sha256Hex;
use mingcha_core::sync::UploadState;
use serde::Deserialize;

use crate::auth::SignedDevice;
use crate::blobs::Progress;
use crate::error::{Error, Result};
use crate::state::{AppState, Body, PathParam};

#[derive(Debug, Deserialize)]
struct Offset {
    offset: u64,
}

/// What a chunk upload asks for, read from its request line alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkRequest {
    pub sha256: Sha256Hex,
    pub offset: u64,
}

/// Parse `PUT /api/v1/blobs/{sha256}?offset=N`: the path's (decoded) digest segment and the
/// request's URI. Pure, so the `upload` fuzz target runs it on arbitrary request lines; a
/// missing or malformed part is `400 bad_digest` or `400 bad_request`.
pub fn chunk_request(name: &str, uri: &Uri) -> Result<ChunkRequest> {
    let sha256 = digest(name)?;
    let Query(Offset { offset }) = Query::try_from_uri(uri).map_err(|r| Error::BadRequest(r.body_text()))?;
    Ok(ChunkRequest { sha256, offset })
}

/// The digest in the path, strictly: exactly 64 lower-case hex characters, checked before it
/// is used for anything, so `..` or a slash can never reach the file system.
pub fn digest(name: &str) -> Result<Sha256Hex> {
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
    uri: Uri,
    Body(body): Body,
) -> Result<Json<UploadState>> {
    let ChunkRequest { sha256, offset } = chunk_request(&name, &uri)?;
    auth.check_body(&body)?;
    let (size, held) = expected(&state, &auth, &sha256).await?;
    if held {
        return Ok(stored(sha256, size));
    }
    // Checked when the batch was offered; again here, for a batch offered under a larger cap.
    state.limits.quota.check_file(size)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn uri(s: &str) -> Uri {
        s.parse().expect("a valid URI")
    }

    #[test]
    fn a_chunk_request_names_its_digest_and_offset() {
        let asked = chunk_request(HEX, &uri(&format!("/api/v1/blobs/{HEX}?offset=16777216"))).expect("valid");
        assert_eq!(asked.sha256.as_str(), HEX);
        assert_eq!(asked.offset, 16_777_216);
    }

    #[test]
    fn a_bad_digest_or_offset_is_refused_before_anything_is_read() {
        let code = |name: &str, u: &str| chunk_request(name, &uri(u)).map_err(|e| e.code());
        assert_eq!(code("../../etc/passwd", "/x?offset=0"), Err("bad_digest"));
        assert_eq!(code(&HEX.to_uppercase(), "/x?offset=0"), Err("bad_digest"));
        assert_eq!(code(HEX, "/x"), Err("bad_request"));
        assert_eq!(code(HEX, "/x?offset=-1"), Err("bad_request"));
        assert_eq!(code(HEX, "/x?offset=18446744073709551616"), Err("bad_request"));
    }
}
