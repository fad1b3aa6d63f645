//! Device authentication: every request after enrollment is signed with the device's key
//! (see `docs/sync-protocol.md`, *Device authentication*). [`SignedDevice`] is an extractor
//! that checks the headers before the handler reads the body; the handler then checks the
//! body against the signed digest with [`SignedDevice::check_body`].

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use mingcha_core::id::DeviceId;
use mingcha_core::sync::{REQUEST_WINDOW_SECS, header, request_message};

use crate::error::{Error, Result};
use crate::key::{parse_public_key, sha256_hex, verifies};
use crate::repo::{Device, RepoError};
use crate::state::AppState;

/// A request whose headers were signed by an enrolled, unrevoked device.
#[derive(Debug, Clone)]
pub struct SignedDevice {
    pub device: Device,
    body_sha256: String,
}

impl SignedDevice {
    /// Refuse a body that is not the one the device signed.
    pub fn check_body(&self, body: &[u8]) -> Result<()> {
        if sha256_hex(body) == self.body_sha256 { Ok(()) } else { Err(Error::BodyDigestMismatch) }
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str> {
    headers
        .get(name)
        .ok_or_else(|| Error::Unsigned(format!("the {name} header is missing")))?
        .to_str()
        .map_err(|_| Error::Unsigned(format!("the {name} header is not text")))
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The signed-request headers of a request, read and checked for form only (no key, no
/// database, no clock): pure, so the `upload` fuzz target runs it on arbitrary headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders<'a> {
    pub device_id: DeviceId,
    pub time: i64,
    pub nonce: &'a str,
    pub body_sha256: &'a str,
    pub signature: &'a str,
}

/// Read the five signed-request headers; any missing or malformed one is `401 unsigned_request`:
/// a call that does not say which device signed it is not authenticated, whatever else is wrong.
pub fn signed_headers(h: &HeaderMap) -> Result<SignedHeaders<'_>> {
    let device_id: DeviceId = header_str(h, header::DEVICE)?
        .parse()
        .map_err(|_| Error::Unsigned(format!("{} is not a device id", header::DEVICE)))?;
    let time: i64 = header_str(h, header::TIME)?
        .parse()
        .map_err(|_| Error::Unsigned(format!("{} is not Unix seconds", header::TIME)))?;
    let nonce = header_str(h, header::NONCE)?;
    if !is_hex(nonce, 32) {
        return Err(Error::Unsigned(format!("{} must be 32 lower-case hex characters", header::NONCE)));
    }
    let body_sha256 = header_str(h, header::BODY_SHA256)?;
    if !is_hex(body_sha256, 64) {
        return Err(Error::Unsigned(format!("{} must be 64 lower-case hex characters", header::BODY_SHA256)));
    }
    let signature = header_str(h, header::SIGNATURE)?;
    Ok(SignedHeaders { device_id, time, nonce, body_sha256, signature })
}

/// Refuse a request signed more than [`REQUEST_WINDOW_SECS`] away from the office's clock
/// `now` (Unix seconds). The distance is computed without overflow: a time of `i64::MIN`
/// once wrapped to a negative distance and passed as fresh.
pub fn check_fresh(time: i64, now: i64) -> Result<()> {
    let skew = time.saturating_sub(now);
    if skew.unsigned_abs() > REQUEST_WINDOW_SECS.unsigned_abs() {
        return Err(Error::StaleRequest { skew });
    }
    Ok(())
}

/// The checks, in the order the protocol lists them, against the office's clock `now`.
pub async fn authenticate(state: &AppState, parts: &Parts, now: DateTime<Utc>) -> Result<SignedDevice> {
    let SignedHeaders { device_id, time, nonce, body_sha256, signature } = signed_headers(&parts.headers)?;

    // Read on every request, never cached: a revocation takes effect at the next request.
    let device = state.repo.device(device_id).await?.ok_or(Error::Refused(RepoError::UnknownDevice))?;
    if device.revoked_at.is_some() {
        return Err(Error::Refused(RepoError::DeviceRevoked));
    }
    let now = now.timestamp();
    check_fresh(time, now)?;
    if state.nonces.seen(device_id, nonce, now)? {
        return Err(Error::ReplayedRequest);
    }
    let path = parts.uri.path_and_query().map_or_else(|| parts.uri.path(), |p| p.as_str());
    let message = request_message(parts.method.as_str(), path, time, nonce, body_sha256);
    let key = parse_public_key(&device.public_key).ok_or_else(|| Error::Internal("a stored key is invalid".into()))?;
    if !verifies(&key, &message, signature) {
        return Err(Error::BadSignature);
    }
    // Checked and recorded at once, so two copies of one request racing in: one is refused.
    if !state.nonces.remember(device_id, nonce, now)? {
        return Err(Error::ReplayedRequest);
    }
    Ok(SignedDevice { device, body_sha256: body_sha256.to_owned() })
}

impl FromRequestParts<AppState> for SignedDevice {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        authenticate(state, parts, Utc::now()).await
    }
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue};

    use super::*;

    fn headers(time: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::DEVICE, HeaderValue::from_static("0192f4a0-0000-7000-8000-000000000001"));
        h.insert(header::TIME, HeaderValue::from_str(time).expect("ascii"));
        h.insert(header::NONCE, HeaderValue::from_static("0123456789abcdef0123456789abcdef"));
        h.insert(
            header::BODY_SHA256,
            HeaderValue::from_static("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        );
        h.insert(header::SIGNATURE, HeaderValue::from_static("00"));
        h
    }

    #[test]
    fn the_most_negative_time_is_stale_not_a_panic_or_a_pass() {
        // The first fuzz finding: `i64::MIN - now` saturates to i64::MIN, whose `abs()`
        // overflowed (a panic in a debug build, and a "fresh" request in a release build).
        let h = headers("-9223372036854775808");
        let parsed = signed_headers(&h).expect("well-formed headers");
        assert_eq!(parsed.time, i64::MIN);
        let refused = check_fresh(parsed.time, 1_764_800_000).expect_err("a time that far off is stale");
        assert_eq!(refused.code(), "stale_request");
        assert!(check_fresh(i64::MAX, -1_764_800_000).is_err());
    }

    #[test]
    fn the_window_is_five_minutes_either_side() {
        let now = 1_764_800_000;
        assert!(check_fresh(now + 300, now).is_ok());
        assert!(check_fresh(now - 300, now).is_ok());
        assert_eq!(check_fresh(now + 301, now).map_err(|e| e.code()), Err("stale_request"));
        assert_eq!(check_fresh(now - 301, now).map_err(|e| e.code()), Err("stale_request"));
    }

    #[test]
    fn missing_and_malformed_headers_are_unsigned_calls() {
        for (name, value) in [
            (header::DEVICE, "not-a-uuid"),
            (header::TIME, "12.5"),
            (header::NONCE, "0123456789ABCDEF0123456789ABCDEF"),
            (header::BODY_SHA256, "e3b0"),
        ] {
            let mut h = headers("1764800000");
            h.insert(name, HeaderValue::from_static(value));
            let refused = signed_headers(&h).expect_err(name);
            assert_eq!((refused.code(), refused.status().as_u16()), ("unsigned_request", 401), "{name}: {value}");
            assert!(refused.to_string().contains(name), "the message names {name}: {refused}");
        }
        let mut h = headers("1764800000");
        h.remove(header::SIGNATURE);
        assert!(signed_headers(&h).expect_err("missing").to_string().contains("missing"));
    }
}
