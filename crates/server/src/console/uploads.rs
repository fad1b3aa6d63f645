//! Files the office and the units upload (整改 evidence), checked to be what their names say,
//! and the blobs the console reads back (evidence photos, uploads).
//!
//! An upload belongs to whoever uploaded it (an account, or a one-time link): only they may
//! attach it to a report. A unit reads back only its own uploads and the files of reports on
//! its own problems, never an inspector's evidence.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use axum::response::{Json, Response};
use chrono::Utc;
use mingcha_core::evidence::Sha256Hex;
use mingcha_office::account::Reader;
use mingcha_office::problem::{FileRef, Problem};
use serde::{Deserialize, Serialize};

use super::session::Signed;
use super::{Versioned, kind, load, put_doc};
use crate::error::{Error, Result};
use crate::repo::DocWrite;
use crate::state::{AppState, Body, PathParam};

/// Who uploaded a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "by", content = "id")]
pub enum Uploader {
    /// A signed-in account, by username.
    Account(String),
    /// A one-time link, by its key (the SHA-256 of its token).
    Link(String),
}

/// An uploaded file as the office keeps it: the file, and everyone who uploaded these bytes
/// (the same bytes uploaded twice are one file; whoever sent them holds them anyway).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Upload {
    #[serde(flatten)]
    file: FileRef,
    /// Files uploaded before owners were kept have none: nobody can attach them again.
    #[serde(default)]
    owners: Vec<Uploader>,
}

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

/// Check and store an upload of `owner`, with `also` (what the upload changes besides) in the
/// same write; the same bytes uploaded twice are one file, with both uploaders as owners.
pub(super) async fn store_upload(
    state: &AppState,
    headers: &HeaderMap,
    bytes: Vec<u8>,
    owner: Uploader,
    mut also: Vec<DocWrite>,
    by: &str,
) -> Result<FileRef> {
    let name = file_name(headers)?;
    let declared = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let media_type = check_file(&name, declared, &bytes)?;
    let size = bytes.len() as u64;
    let sha256 = state.blobs.put(bytes).await?;
    let file = FileRef { sha256: sha256.as_str().to_owned(), name, media_type: media_type.to_owned(), size };
    match load::<Upload>(&*state.repo, kind::UPLOAD, &file.sha256).await? {
        None => also.push(put_doc(kind::UPLOAD, &file.sha256, 0, &Upload { file: file.clone(), owners: vec![owner] })?),
        Some(mut known) if !known.value.owners.contains(&owner) => {
            known.value.owners.push(owner);
            also.push(known.write(kind::UPLOAD, &file.sha256)?);
        }
        Some(_) => {}
    }
    if !also.is_empty() {
        state.repo.write_docs(also, vec![], by, Utc::now()).await?;
    }
    Ok(file)
}

pub async fn upload(
    State(state): State<AppState>,
    signed: Signed,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Json<FileRef>> {
    // The office, or a unit contact for its report: a viewer writes nothing.
    if !signed.role().may_review() && signed.account.reports_for().is_none() {
        return Err(Error::Forbidden("upload files"));
    }
    let owner = Uploader::Account(signed.account.username.clone());
    Ok(Json(store_upload(&state, &headers, body.to_vec(), owner, vec![], &signed.account.username).await?))
}

/// The files of `sha256` that `owner` uploaded, to attach to a report. A file someone else
/// uploaded is refused as if it did not exist.
pub async fn uploaded(state: &AppState, sha256: &[String], owner: &Uploader) -> Result<Vec<FileRef>> {
    let mut files = Vec::new();
    for s in sha256 {
        let f = load::<Upload>(&*state.repo, kind::UPLOAD, s.trim())
            .await?
            .filter(|u| u.value.owners.contains(owner))
            .ok_or_else(|| Error::BadUpload(format!("no uploaded file {s}: upload it first")))?;
        files.push(f.value.file);
    }
    Ok(files)
}

/// Whether a unit's account may read the blob `sha256`: a file it uploaded itself, or one
/// attached to a report on a problem handed to its unit. Never evidence.
async fn unit_may_read(state: &AppState, username: &str, unit: &str, sha256: &str) -> Result<bool> {
    let upload: Option<Versioned<Upload>> = load(&*state.repo, kind::UPLOAD, sha256).await?;
    let Some(upload) = upload else { return Ok(false) };
    if upload.value.owners.contains(&Uploader::Account(username.to_owned())) {
        return Ok(true);
    }
    // Only the problems handed to the unit are read (the ledger's rows say which), not the ledger.
    let handed = crate::repo::read_model::ledger::handed_to(state.repo.sql(), unit).await?;
    for doc in state.repo.docs_in(kind::PROBLEM, &handed).await? {
        let p: Problem = serde_json::from_value(doc.body)
            .map_err(|e| Error::Internal(format!("problem {} does not read back: {e}", doc.id)))?;
        if p.assignment.as_ref().is_some_and(|a| a.unit_id == unit)
            && p.feedback.iter().flat_map(|f| &f.files).any(|f| f.sha256 == sha256)
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// A blob's bytes: anything the office holds for office staff; for a unit, see
/// [`unit_may_read`].
pub async fn blob(
    State(state): State<AppState>,
    signed: Signed,
    PathParam(sha256): PathParam<String>,
) -> Result<Response> {
    let digest = Sha256Hex::parse(&sha256).map_err(|_| Error::BadDigest)?;
    if let Reader::Unit(unit) = signed.account.reader()
        && !unit_may_read(&state, &signed.account.username, unit, digest.as_str()).await?
    {
        return Err(Error::Forbidden("read this file: only your own uploads and your unit's reports"));
    }
    let upload = load::<FileRef>(&*state.repo, kind::UPLOAD, digest.as_str()).await?;
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
