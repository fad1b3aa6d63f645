//! The HTTP side: one call per protocol step, each signed as `docs/sync-protocol.md` says,
//! each with timeouts, and retried with backoff when the network or the office fails.
//!
//! The client holds no store: upload threads share it (the agent, the device signer and the
//! address are all `Sync`), while the store's connection stays on the calling thread.

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mingcha_core::evidence::Sha256Hex;
use mingcha_core::hex;
use mingcha_core::id::DeviceId;
use mingcha_core::sync::{
    ApiError, BatchState, EnrollRequest, EnrollResponse, Pull, SignedManifest, SignedReceipt, UploadState, header,
    request_message,
};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::pin::PinnedCertificate;
use super::{SyncError, SyncOptions};
use crate::device_key::DeviceSigner;

/// The largest answer read from the office (a page of events with templates in it).
const RESPONSE_MAX: u64 = 32 * 1024 * 1024;

/// An office address split the way requests need it: `http://host:port` and a path prefix
/// (usually empty) that every signed path starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OfficeUrl {
    origin: String,
    prefix: String,
}

impl OfficeUrl {
    pub(crate) fn parse(url: &str) -> Result<Self, SyncError> {
        let bad = || SyncError::BadUrl(url.to_owned());
        let trimmed = url.trim();
        let (scheme, rest) = ["http://", "https://"]
            .into_iter()
            .find_map(|s| trimmed.strip_prefix(s).map(|r| (s, r)))
            .ok_or_else(bad)?;
        let (authority, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
        let forbidden = |c: char| c.is_whitespace() || matches!(c, '?' | '#' | '@');
        if authority.is_empty() || authority.contains(forbidden) || path.contains(forbidden) {
            return Err(bad());
        }
        Ok(Self { origin: format!("{scheme}{authority}"), prefix: path.trim_end_matches('/').to_owned() })
    }

    /// The address as it is remembered and shown.
    pub(crate) fn as_string(&self) -> String {
        format!("{}{}", self.origin, self.prefix)
    }

    pub(crate) fn is_https(&self) -> bool {
        self.origin.starts_with("https://")
    }
}

enum Body<'a> {
    Empty,
    Json(&'a [u8]),
    Bytes(&'a [u8]),
}

impl Body<'_> {
    fn bytes(&self) -> &[u8] {
        match self {
            Self::Empty => &[],
            Self::Json(b) | Self::Bytes(b) => b,
        }
    }
}

/// Why one attempt failed.
enum Attempt {
    /// Worth another try: the network, a timeout, a 5xx, a 429.
    Retry { status: Option<u16>, reason: String },
    /// Final: a refusal or a request that cannot be made at all.
    Fail(SyncError),
}

/// How the last of several tries failed.
enum Last {
    Network(String),
    Status(u16, String),
    Unreadable(String),
}

/// A client for one office, shared by the sync thread and the upload threads.
pub(crate) struct OfficeClient {
    agent: ureq::Agent,
    url: OfficeUrl,
    /// None only for enrollment, the one unsigned call.
    device: Option<(DeviceId, Arc<DeviceSigner>)>,
    /// The office's certificate, when the enrollment token named one.
    pinned: Option<Arc<PinnedCertificate>>,
    tries: u32,
    first_wait: Duration,
}

impl std::fmt::Debug for OfficeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OfficeClient").field("url", &self.url).finish_non_exhaustive()
    }
}

impl OfficeClient {
    /// A client for the office at `url`. With a `pin` (the SHA-256 of the office's certificate,
    /// from the enrollment token) it speaks only HTTPS and trusts only that certificate; without
    /// one (an office behind a TLS proxy) an https address is checked against the usual CAs.
    pub(crate) fn new(
        url: OfficeUrl,
        device: Option<(DeviceId, Arc<DeviceSigner>)>,
        opts: &SyncOptions,
        pin: Option<&str>,
    ) -> Result<Self, SyncError> {
        let mut builder = ureq::AgentBuilder::new()
            .timeout_connect(opts.connect_timeout)
            .timeout_read(opts.io_timeout)
            .timeout_write(opts.io_timeout)
            // A redirect would change the signed path; the office never sends one.
            .redirects(0)
            .user_agent(concat!("mingcha/", env!("CARGO_PKG_VERSION")));
        let pinned = match pin {
            Some(pin) => {
                if !url.is_https() {
                    return Err(SyncError::TlsRequired(url.as_string()));
                }
                let pinned = Arc::new(PinnedCertificate::new(pin));
                let config = pinned
                    .client_config()
                    .map_err(|e| SyncError::BadResponse { what: "the TLS set-up".into(), reason: e.to_string() })?;
                builder = builder.tls_config(Arc::new(config));
                Some(pinned)
            }
            None => None,
        };
        let agent = builder.build();
        Ok(Self { agent, url, device, pinned, tries: opts.tries.max(1), first_wait: opts.first_wait })
    }

    pub(crate) fn enroll(&self, req: &EnrollRequest) -> Result<EnrollResponse, SyncError> {
        let body = serde_json::to_vec(req).map_err(|e| bad_request("enrollment", e))?;
        self.call("POST", "/api/v1/enroll", Body::Json(&body), "enrollment")
    }

    pub(crate) fn send_manifest(&self, m: &SignedManifest) -> Result<BatchState, SyncError> {
        let body = serde_json::to_vec(m).map_err(|e| bad_request("the manifest", e))?;
        self.call("POST", "/api/v1/batches", Body::Json(&body), "the manifest")
    }

    pub(crate) fn put_chunk(&self, sha256: &Sha256Hex, offset: u64, bytes: &[u8]) -> Result<UploadState, SyncError> {
        let path = format!("/api/v1/blobs/{}?offset={offset}", sha256.as_str());
        self.call("PUT", &path, Body::Bytes(bytes), "a blob upload")
    }

    pub(crate) fn upload_state(&self, sha256: &Sha256Hex) -> Result<UploadState, SyncError> {
        let path = format!("/api/v1/blobs/{}/upload", sha256.as_str());
        self.call("GET", &path, Body::Empty, "an upload's state")
    }

    pub(crate) fn commit(&self, batch_id: Uuid) -> Result<SignedReceipt, SyncError> {
        self.call("POST", &format!("/api/v1/batches/{batch_id}/commit"), Body::Empty, "the commit")
    }

    pub(crate) fn pull(&self, since: u64) -> Result<Pull, SyncError> {
        self.call("GET", &format!("/api/v1/pull?since={since}"), Body::Empty, "the pull")
    }

    /// One call, retried with doubling waits while the network or the office fails.
    fn call<T: DeserializeOwned>(&self, method: &str, path: &str, body: Body<'_>, what: &str) -> Result<T, SyncError> {
        let mut wait = self.first_wait;
        let mut last = Last::Network(String::new());
        for attempt in 1..=self.tries {
            match self.attempt(method, path, &body) {
                // An answer that does not parse is most likely one cut short on the way: every
                // call may be repeated, so it is tried again like a dropped connection.
                Ok(bytes) => match serde_json::from_slice(&bytes) {
                    Ok(answer) => return Ok(answer),
                    Err(e) => last = Last::Unreadable(e.to_string()),
                },
                Err(Attempt::Fail(e)) => return Err(e),
                Err(Attempt::Retry { status: Some(status), reason }) => last = Last::Status(status, reason),
                Err(Attempt::Retry { status: None, reason }) => last = Last::Network(reason),
            }
            if attempt < self.tries {
                // A backoff between tries, not synchronisation: the office or the link needs time.
                std::thread::sleep(wait);
                wait = wait.saturating_mul(2);
            }
        }
        let (url, tries) = (self.url.as_string(), self.tries);
        Err(match last {
            Last::Status(status, message) => SyncError::ServerFailing { url, tries, status, message },
            Last::Network(reason) => SyncError::Unreachable { url, tries, reason },
            Last::Unreadable(reason) => SyncError::BadResponse { what: what.to_owned(), reason },
        })
    }

    /// One signed request and its whole answer.
    fn attempt(&self, method: &str, path: &str, body: &Body<'_>) -> Result<Vec<u8>, Attempt> {
        let signed_path = format!("{}{path}", self.url.prefix);
        let mut req = self.agent.request(method, &format!("{}{signed_path}", self.url.origin));
        if let Some((device, signer)) = &self.device {
            let time = unix_now();
            let nonce = nonce().map_err(Attempt::Fail)?;
            let digest = hex::encode(&Sha256::digest(body.bytes()));
            let signature = signer.sign(&request_message(method, &signed_path, time, &nonce, &digest));
            req = req
                .set(header::DEVICE, &device.to_string())
                .set(header::TIME, &time.to_string())
                .set(header::NONCE, &nonce)
                .set(header::BODY_SHA256, &digest)
                .set(header::SIGNATURE, &signature);
        }
        let sent = match body {
            Body::Empty if method == "GET" => req.call(),
            Body::Empty => req.send_bytes(&[]),
            Body::Json(b) => req.set("content-type", "application/json").send_bytes(b),
            Body::Bytes(b) => req.set("content-type", "application/octet-stream").send_bytes(b),
        };
        match sent {
            Ok(resp) => read_body(resp).map_err(|e| Attempt::Retry { status: None, reason: e.to_string() }),
            Err(ureq::Error::Status(status, resp)) => Err(refusal(status, resp)),
            Err(ureq::Error::Transport(t)) => Err(match (self.mismatch(), t.kind()) {
                // Another certificate than the pinned one: not the office, or not any more.
                // Never retried, and nothing was sent to it.
                (Some(mismatch), _) => Attempt::Fail(mismatch),
                (None, ureq::ErrorKind::InvalidUrl | ureq::ErrorKind::UnknownScheme) => {
                    Attempt::Fail(SyncError::BadUrl(format!("{} ({t})", self.url.as_string())))
                }
                (None, _) => Attempt::Retry { status: None, reason: t.to_string() },
            }),
        }
    }
}

impl OfficeClient {
    /// The refusal of a certificate that is not the pinned one, if that happened.
    fn mismatch(&self) -> Option<SyncError> {
        let pinned = self.pinned.as_ref()?;
        let got = pinned.refused()?;
        Some(SyncError::CertificateMismatch { url: self.url.as_string(), expected: pinned.pin().to_owned(), got })
    }
}

fn read_body(resp: ureq::Response) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    resp.into_reader().take(RESPONSE_MAX).read_to_end(&mut buf)?;
    Ok(buf)
}

/// An error status: the office's `{code, message}` when it sent one.
fn refusal(status: u16, resp: ureq::Response) -> Attempt {
    let body = read_body(resp).unwrap_or_default();
    let api = serde_json::from_slice::<ApiError>(&body).ok();
    if status >= 500 || status == 429 || status == 408 {
        let reason = api.map_or_else(|| String::from_utf8_lossy(&body).chars().take(200).collect(), |a| a.message);
        return Attempt::Retry { status: Some(status), reason };
    }
    Attempt::Fail(match api {
        Some(a) => SyncError::Refused { status, code: a.code, message: a.message, detail: a.detail },
        None => SyncError::Refused {
            status,
            code: format!("http_{status}"),
            message: String::from_utf8_lossy(&body).chars().take(200).collect(),
            detail: None,
        },
    })
}

fn bad_request(what: &str, e: serde_json::Error) -> SyncError {
    SyncError::BadResponse { what: what.to_owned(), reason: format!("could not be written: {e}") }
}

/// The wall clock, on purpose: the office checks each request against its own clock, so this
/// is the one time that must be real even when the store runs on a test clock.
fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn nonce() -> Result<String, SyncError> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|e| {
        SyncError::Store(crate::StoreError::Io { context: "making a request nonce".into(), source: e.into() })
    })?;
    Ok(hex::encode(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_office_address_keeps_its_prefix_and_refuses_what_is_not_one() {
        let u = OfficeUrl::parse(" http://127.0.0.1:8080/ ").unwrap();
        assert_eq!((u.origin.as_str(), u.prefix.as_str()), ("http://127.0.0.1:8080", ""));
        let u = OfficeUrl::parse("https://office.example/mingcha/").unwrap();
        assert_eq!(u.as_string(), "https://office.example/mingcha");
        for bad in ["", "127.0.0.1:8080", "ftp://x", "http://", "http://a b", "http://h/p?x=1", "http://u@h"] {
            assert!(matches!(OfficeUrl::parse(bad), Err(SyncError::BadUrl(_))), "{bad}");
        }
    }

    #[test]
    fn a_nonce_is_32_hex_characters_and_never_repeats() {
        let (a, b) = (nonce().unwrap(), nonce().unwrap());
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn a_closed_port_is_unreachable_after_the_given_tries() {
        // Bind and drop to find a port nobody listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let opts = SyncOptions { tries: 2, first_wait: Duration::from_millis(1), ..SyncOptions::default() };
        let client =
            OfficeClient::new(OfficeUrl::parse(&format!("http://127.0.0.1:{port}")).unwrap(), None, &opts, None)
                .unwrap();
        let err = client.pull(0).unwrap_err();
        assert!(matches!(err, SyncError::Unreachable { tries: 2, .. }), "{err}");
    }
}
