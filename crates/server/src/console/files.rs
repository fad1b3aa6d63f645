//! A file's bytes as the console receives them (evidence, uploads, notices): streamed from the
//! blob store with their length, under a name, and with the headers that keep a browser from
//! running them as something else (`nosniff`) or keeping them (`private, no-store`).

use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::response::Response;
use tokio::io::AsyncReadExt;

use crate::blobs::{BlobReader, body};
use crate::error::{Error, Result};

/// Shown in the page (a photo's preview) or saved (anything else).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    Inline,
    Attachment,
}

impl Disposition {
    /// Images are shown; any other kind of file is saved, never opened in the console's origin.
    pub fn for_media_type(media_type: &str) -> Self {
        if media_type.starts_with("image/") { Self::Inline } else { Self::Attachment }
    }
}

/// `Content-Disposition` with a UTF-8 name (RFC 6266 / 5987).
pub fn content_disposition(name: &str, disposition: Disposition) -> String {
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect();
    let kind = match disposition {
        Disposition::Inline => "inline",
        Disposition::Attachment => "attachment",
    };
    format!("{kind}; filename=\"download\"; filename*=UTF-8''{encoded}")
}

/// The answer carrying `blob`, streamed.
pub fn answer(blob: BlobReader, media_type: &str, name: &str, disposition: Disposition) -> Result<Response> {
    let header = |v: &str| HeaderValue::from_str(v).map_err(|e| Error::Internal(e.to_string()));
    let size = blob.size;
    let mut response = Response::new(body(blob));
    let h = response.headers_mut();
    h.insert(CONTENT_TYPE, header(media_type)?);
    // A length, so the browser shows progress and the body is not chunked.
    h.insert(CONTENT_LENGTH, HeaderValue::from(size));
    h.insert(CONTENT_DISPOSITION, header(&content_disposition(name, disposition))?);
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Evidence and notices stay on the office: no shared cache, no copy on the browser's disk.
    h.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}

/// The first `n` bytes of `blob` (fewer if it is shorter), and the blob to read from its start.
pub async fn peek(mut blob: BlobReader, n: usize) -> Result<(Vec<u8>, BlobReader)> {
    let mut head = Vec::with_capacity(n);
    (&mut blob.reader).take(n as u64).read_to_end(&mut head).await?;
    let reader = Box::pin(std::io::Cursor::new(head.clone()).chain(blob.reader));
    Ok((head, BlobReader { size: blob.size, reader }))
}
