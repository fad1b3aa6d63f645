//! Files the office and the units upload (整改 evidence), checked to be what their names say,
//! and the blobs the console reads back (evidence photos, uploads).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use axum::response::{Json, Response};
use chrono::Utc;
use mingcha_core::evidence::Sha256Hex;
use mingcha_office::problem::FileRef;

use super::session::Signed;
use super::{kind, load, put_doc};
use crate::api::{AppState, Body, PathParam};
use crate::error::{Error, Result};

/// The kinds of file accepted, by extension: the media type and how its bytes begin.
const ACCEPTED: &[(&str, &str)] = &[
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("png", "image/png"),
    ("pdf", "application/pdf"),
    ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
];

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Do the bytes look like a file of `ext`? Office files are zip archives whose part names
/// (`word/…`, `xl/…`) are stored in the clear.
fn looks_like(ext: &str, bytes: &[u8]) -> bool {
    match ext {
        "jpg" | "jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        "png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "pdf" => bytes.starts_with(b"%PDF-"),
        "docx" => bytes.starts_with(b"PK\x03\x04") && contains(bytes, b"word/"),
        "xlsx" => bytes.starts_with(b"PK\x03\x04") && contains(bytes, b"xl/"),
        _ => false,
    }
}

/// Check a file and return its media type, or say what is wrong with it.
pub fn check_file(name: &str, declared: Option<&str>, bytes: &[u8]) -> Result<&'static str> {
    if bytes.is_empty() {
        return Err(Error::BadUpload(format!("{name} is empty")));
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let Some((_, media_type)) = ACCEPTED.iter().find(|(e, _)| *e == ext) else {
        return Err(Error::BadUpload(format!("{name}: only JPEG, PNG, PDF, .docx and .xlsx files are accepted")));
    };
    if !looks_like(&ext, bytes) {
        return Err(Error::BadUpload(format!("{name} is not a .{ext} file: its content is something else")));
    }
    if let Some(declared) = declared.map(|d| d.split(';').next().unwrap_or_default().trim())
        && !declared.is_empty()
        && declared != "application/octet-stream"
        && declared != *media_type
    {
        return Err(Error::BadUpload(format!("{name} was sent as {declared}, but it is {media_type}")));
    }
    Ok(media_type)
}

fn file_name(headers: &HeaderMap) -> Result<String> {
    let raw = headers
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::BadUpload("the upload has no X-File-Name header".into()))?;
    let name =
        percent_decode(raw).ok_or_else(|| Error::BadUpload("X-File-Name is not valid URL-encoded UTF-8".into()))?;
    // Keep only the last path part: a name is a label, never a path.
    let name = name.rsplit(['/', '\\']).next().unwrap_or_default().trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::BadUpload("a file name has 1 to 200 characters".into()));
    }
    Ok(name)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Check and store an upload; the same bytes uploaded twice are one file.
async fn store_upload(state: &AppState, headers: &HeaderMap, bytes: Vec<u8>, by: &str) -> Result<FileRef> {
    let name = file_name(headers)?;
    let declared = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let media_type = check_file(&name, declared, &bytes)?;
    let size = bytes.len() as u64;
    let sha256 = state.blobs.put(bytes).await?;
    let file = FileRef { sha256: sha256.as_str().to_owned(), name, media_type: media_type.to_owned(), size };
    if state.repo.doc(kind::UPLOAD, &file.sha256).await?.is_none() {
        let write = put_doc(kind::UPLOAD, &file.sha256, 0, &file)?;
        match state.repo.write_docs(vec![write], vec![], by, Utc::now()).await {
            Ok(_) | Err(Error::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(file)
}

pub async fn upload(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<FileRef>> {
    if !signed.role().may_review() && signed.account.unit.is_none() {
        return Err(Error::Forbidden("upload files"));
    }
    Ok(Json(store_upload(&state, &headers, body.to_vec(), &signed.account.username).await?))
}

pub async fn link_upload(
    State(state): State<AppState>,
    PathParam(token): PathParam<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<FileRef>> {
    let link = super::ledger::live_link(&*state.repo, &token).await?;
    Ok(Json(store_upload(&state, &headers, body.to_vec(), &format!("link:{}", link.value.problem_id)).await?))
}

/// The files the office holds that were uploaded (not evidence), by digest.
pub async fn uploaded(state: &AppState, sha256: &[String]) -> Result<Vec<FileRef>> {
    let mut files = Vec::new();
    for s in sha256 {
        let f = load::<FileRef>(&*state.repo, kind::UPLOAD, s.trim())
            .await?
            .ok_or_else(|| Error::BadUpload(format!("no uploaded file {s}: upload it first")))?;
        files.push(f.value);
    }
    Ok(files)
}

/// A blob's bytes: evidence photos for office staff; a unit contact reads only uploads.
pub async fn blob(
    State(state): State<AppState>,
    signed: Signed,
    PathParam(sha256): PathParam<String>,
) -> Result<Response> {
    let digest = Sha256Hex::parse(&sha256).map_err(|_| Error::BadDigest)?;
    let upload = load::<FileRef>(&*state.repo, kind::UPLOAD, digest.as_str()).await?;
    if !signed.role().sees_everything() && upload.is_none() {
        return Err(Error::Forbidden("see evidence photos"));
    }
    let blob = state.blobs.open(&digest).await?.ok_or_else(|| Error::NotFound(format!("no blob {sha256}")))?;
    // Streamed: a 2 GiB video is never held in memory. Evidence's type is read from its start.
    let (blob, media_type, name) = match upload {
        Some(u) => (blob, u.value.media_type, u.value.name),
        None => {
            let (head, blob) = super::files::peek(blob, 64 * 1024).await?;
            let media_type = sniff(&head);
            let ext = ACCEPTED.iter().find(|(_, m)| *m == media_type).map_or("bin", |(e, _)| *e);
            (blob, media_type.to_owned(), format!("{}.{ext}", digest.as_str()))
        }
    };
    let disposition = super::files::Disposition::for_media_type(&media_type);
    super::files::answer(blob, &media_type, &name, disposition)
}

fn sniff(bytes: &[u8]) -> &'static str {
    ACCEPTED
        .iter()
        .find(|(ext, _)| looks_like(ext, bytes))
        .map_or("application/octet-stream", |(_, media_type)| media_type)
}

/// `GET /api/console/photos/{sha256}/verify`: the chain-of-custody checks of one photo, for
/// the console's verified mark (any office role but a unit contact).
pub async fn verify_photo(
    State(state): State<AppState>,
    signed: Signed,
    PathParam(sha256): PathParam<String>,
) -> Result<axum::Json<crate::custody::verify::Report>> {
    signed.office_staff()?;
    let digest = Sha256Hex::parse(&sha256).map_err(|_| Error::BadDigest)?;
    let scope = crate::custody::verify::Scope::Photo(digest.as_str().to_owned());
    let report = crate::custody::verify_scope(&*state.repo, &*state.blobs, &state.key.verifying_key(), &scope).await?;
    Ok(axum::Json(report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_must_be_what_its_name_says() {
        assert_eq!(check_file("整改照片.JPG", Some("image/jpeg"), b"\xFF\xD8\xFF\xE0rest").unwrap(), "image/jpeg");
        assert!(matches!(check_file("整改报告.pdf", None, b"MZ\x90\x00"), Err(Error::BadUpload(_))));
        assert!(matches!(check_file("a.exe", None, b"MZ"), Err(Error::BadUpload(_))));
        assert!(matches!(check_file("a.png", Some("image/jpeg"), b"\x89PNG\r\n\x1a\nxx"), Err(Error::BadUpload(_))));
        assert!(matches!(check_file("a.pdf", None, b""), Err(Error::BadUpload(_))));
        assert_eq!(percent_decode("%E6%95%B4%E6%94%B9.pdf").as_deref(), Some("整改.pdf"));
    }
}
