//! A blob upload as the office receives it (`PUT /api/v1/blobs/{sha256}?offset=N` with the
//! signed-request headers): the request line, the digest in the path, the offset in the
//! query, the five headers, the clock window, the signed message and the body's digest, all
//! by the server's own functions, up to the point where it would ask its database.
//!
//! The input is a request as text: `METHOD TARGET`, header lines `name: value`, a blank
//! line, then the body (the seed corpus holds real ones).

use axum::http::{HeaderMap, HeaderName, HeaderValue, Uri};
use mingcha_core::sync::request_message;
use mingcha_server::api::blobs::{chunk_request, digest};
use mingcha_server::auth::{check_fresh, signed_headers};
use mingcha_server::key::{parse_public_key, sha256_hex, verifies};

use crate::manifest::DEVICE_KEY;

/// The office's clock for the window check: the time the seed requests were signed.
pub const NOW: i64 = 1_764_800_000;

/// One request as text, as the upload route would meet it.
pub fn check(data: &[u8]) {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &[][..]),
    };
    let mut lines = head.split(|b| *b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.splitn(2, |b| *b == b' ');
    let method = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    // What hyper would refuse never reaches the router.
    let Ok(uri) = Uri::try_from(parts.next().unwrap_or_default()) else { return };

    let mut headers = HeaderMap::new();
    for line in lines {
        let Some(colon) = line.iter().position(|b| *b == b':') else { continue };
        let value = line[colon + 1..].strip_prefix(b" ").unwrap_or(&line[colon + 1..]);
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(&line[..colon]), HeaderValue::from_bytes(value)) {
            headers.append(name, value);
        }
    }

    // The route's parameters, as the handlers read them.
    let path = uri.path();
    if let Some(rest) = path.strip_prefix("/api/v1/blobs/") {
        match rest.strip_suffix("/upload") {
            Some(name) => {
                let _ = digest(name);
            }
            None => {
                if let Ok(asked) = chunk_request(rest, &uri) {
                    assert_eq!(asked.sha256.as_str(), rest, "the digest is the path segment, unchanged");
                }
            }
        }
    }

    // Device authentication, up to the database lookup; then the body against its digest.
    let Ok(signed) = signed_headers(&headers) else { return };
    for now in [NOW, signed.time, 0, i64::MIN, i64::MAX] {
        let fresh = check_fresh(signed.time, now);
        if now == signed.time {
            assert!(fresh.is_ok(), "a request signed now is fresh");
        }
    }
    let path_and_query = uri.path_and_query().map_or_else(|| uri.path(), |p| p.as_str());
    let message = request_message(&method, path_and_query, signed.time, signed.nonce, signed.body_sha256);
    let key = parse_public_key(DEVICE_KEY).expect("the fixed key is valid");
    let _ = verifies(&key, &message, signed.signature);
    let _ = sha256_hex(body) == signed.body_sha256;
}
