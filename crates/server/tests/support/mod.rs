//! What the API tests share: an office on port 0 with a fresh data folder (and, on
//! PostgreSQL, a fresh database dropped afterwards), a plain HTTP/1.1 client, and a device
//! that signs its requests the way the protocol says.

// Each test binary (api, console) uses its own part of this module.
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;

use chrono::{DateTime, Utc};
use ed25519_dalek::{Signer, SigningKey};
use mingcha_core::change::{ChangeOp, ChangeRecord, EntityKind};
use mingcha_core::custody::Hash;
use mingcha_core::hex;
use mingcha_core::id::{ChangeId, DeviceId};
use mingcha_core::sync::{ApiError, EnrollRequest, EnrollResponse, Manifest, SignedManifest, header};
use mingcha_server::repo::{Counts, Repo};
use mingcha_server::{Config, RunningServer, admin};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Run each named test function of the module it is used in on both backends, as
/// `sqlite::name` and `postgres::name` there.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crate::support::run(crate::support::Backend::Sqlite, super::$name).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    crate::support::run(crate::support::Backend::Postgres, super::$name).await;
                }
            )*
        }
    };
}

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Run `test` against a fresh office on `backend`, then clean up, even if the test panics.
pub async fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(App) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().unwrap();
    let pg = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(PgDatabase::create().await),
    };
    let config = Config::new(dir.path().join("office")).with_database_url(pg.as_ref().map(|p| p.url.clone()));
    let server = mingcha_server::spawn(config, "127.0.0.1:0").await.unwrap();
    let app = App { server, _dir: dir };
    let outcome = tokio::spawn(test(app)).await;
    if let Some(pg) = pg {
        pg.drop_database().await;
    }
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// A database of its own for one test, made through the admin URL in `MINGCHA_TEST_PG`.
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

async fn admin_client(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to MINGCHA_TEST_PG ({url}): {e}"));
    tokio::spawn(conn);
    client
}

impl PgDatabase {
    async fn create() -> Self {
        let admin_url = std::env::var("MINGCHA_TEST_PG").ok().filter(|u| !u.is_empty()).unwrap_or_else(|| {
            panic!(
                "MINGCHA_TEST_PG is not set, so the PostgreSQL half of these tests cannot run. Run `cargo xtask test`, \
                 which starts PostgreSQL and sets it, or run `cargo xtask postgres` and export what it prints."
            )
        });
        let name = format!("mingcha_t_{}", hex::encode(&random::<8>()));
        admin_client(&admin_url).await.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
        let (base, _) = admin_url.split('?').next().unwrap().rsplit_once('/').unwrap();
        let url = format!("{base}/{name}");
        Self { admin_url, name, url }
    }

    async fn drop_database(self) {
        let client = admin_client(&self.admin_url).await;
        client.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).await.unwrap();
    }
}

pub fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).unwrap();
    b
}

pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes))
}

/// An office running in this process, on its own data folder.
#[derive(Debug)]
pub struct App {
    pub server: RunningServer,
    _dir: tempfile::TempDir,
}

impl App {
    pub fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    pub fn repo(&self) -> &dyn Repo {
        self.server.office.repo.as_ref()
    }

    pub async fn counts(&self) -> Counts {
        self.repo().counts().await.unwrap()
    }

    /// An unsigned request.
    pub async fn send(&self, method: &str, path: &str, body: &[u8]) -> Response {
        http(self.addr(), method, path, &[], body).await
    }

    /// The server still answers, and nothing was stored since `before`.
    pub async fn assert_nothing_stored_since(&self, before: Counts) {
        let health = self.send("GET", "/api/health", b"").await;
        assert_eq!(health.status, 200, "the server still answers /api/health");
        assert_eq!(self.counts().await, before, "a refused request stored nothing");
    }

    /// A one-time token for `inspector`, adding the inspector if needed.
    pub async fn token(&self, inspector: &str) -> String {
        if self.repo().inspector_by_name(inspector).await.unwrap().is_none() {
            admin::add_inspector(self.repo(), inspector, Utc::now()).await.unwrap();
        }
        admin::enroll_token(self.repo(), inspector, chrono::Duration::hours(1), None, Utc::now()).await.unwrap().token
    }

    pub async fn enroll(&self, device: &Device, token: &str) -> Response {
        self.enroll_named(device, token, "laptop").await
    }

    /// Enroll `device` under the name its inspector gave the laptop.
    pub async fn enroll_named(&self, device: &Device, token: &str, device_name: &str) -> Response {
        let req = EnrollRequest {
            token: token.to_owned(),
            device_id: device.id,
            device_name: device_name.into(),
            public_key: device.public_key(),
            inspector_name: device.inspector.clone(),
        };
        self.send("POST", "/api/v1/enroll", &serde_json::to_vec(&req).unwrap()).await
    }

    /// A new device of `inspector`, enrolled.
    pub async fn enrolled(&self, inspector: &str) -> (Device, EnrollResponse) {
        let device = Device::new(inspector);
        let res = self.enroll(&device, &self.token(inspector).await).await;
        assert_eq!(res.status, 200, "{}", res.text());
        (device, res.json())
    }

    /// A new laptop of `inspector`, named `laptop` (e.g. "李明的笔记本"), enrolled.
    pub async fn enrolled_laptop(&self, inspector: &str, laptop: &str) -> Device {
        let device = Device::new(inspector);
        let res = self.enroll_named(&device, &self.token(inspector).await, laptop).await;
        assert_eq!(res.status, 200, "{}", res.text());
        device
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// The status line and headers, lower-cased.
    pub head: String,
    pub body: Vec<u8>,
}

impl Response {
    /// The value of the first header `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| l.strip_prefix(&format!("{name}:"))).map(str::trim)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }

    /// The error's code, checking the status and that the body is the office's error JSON.
    pub fn error(&self, status: u16) -> ApiError {
        assert_eq!(self.status, status, "{}", self.text());
        let e: ApiError = self.json();
        assert!(!e.message.is_empty());
        e
    }
}

fn request_head(method: &str, path: &str, headers: &[(String, String)], len: usize) -> Vec<u8> {
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nhost: office\r\nconnection: close\r\ncontent-length: {len}\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// One request on its own connection. The body is written while the answer is read, so an
/// office that answers early (413) is heard even though it stops reading.
pub async fn http(addr: SocketAddr, method: &str, path: &str, headers: &[(String, String)], body: &[u8]) -> Response {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let mut out = request_head(method, path, headers, body.len());
    out.extend_from_slice(body);
    let write = tokio::spawn(async move {
        let _ = writer.write_all(&out).await;
        writer
    });
    let mut raw = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match reader.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
    drop(write.await);
    parse_response(&raw)
}

/// One request over TLS, trusting only the certificate in `cert_pem` (the office's self-signed
/// one, as a trust anchor).
pub async fn https(addr: SocketAddr, method: &str, path: &str, body: &[u8], cert_pem: &std::path::Path) -> Response {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_file_iter(cert_pem).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(mingcha_server::tls::ring_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    let mut out = request_head(method, path, &[], body.len());
    out.extend_from_slice(body);
    tls.write_all(&out).await.unwrap();
    let mut raw = Vec::new();
    let _ = tls.read_to_end(&mut raw).await;
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Response {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or_else(|| panic!("no answer: {raw:?}"));
    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
    assert!(!head.contains("transfer-encoding: chunked"), "the office answers with a length");
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(raw.len() - end - 4, |v| v.trim().parse().unwrap());
    Response { status, body: raw[end + 4..end + 4 + len].to_vec(), head }
}

/// Send a request head that promises `promised` body bytes, then only `sent`, and hang up:
/// an upload cut by the network.
pub async fn cut_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    promised: usize,
    sent: &[u8],
) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(&request_head(method, path, headers, promised)).await.unwrap();
    let _ = stream.write_all(sent).await;
    let _ = stream.shutdown().await;
}

/// A device: its id and key, the inspector it belongs to, and its hash chain (the link after
/// each seq, from genesis at 0), as a laptop keeps it.
#[derive(Debug)]
pub struct Device {
    pub id: DeviceId,
    pub inspector: String,
    key: SigningKey,
    chain: std::sync::Mutex<Vec<Hash>>,
}

impl Device {
    pub fn new(inspector: &str) -> Self {
        Self {
            id: DeviceId::from_uuid(uuid::Uuid::now_v7()),
            inspector: inspector.to_owned(),
            key: SigningKey::from_bytes(&random::<32>()),
            chain: std::sync::Mutex::new(vec![Hash::GENESIS]),
        }
    }

    /// The same device id signing with another key (a thief's copy, a bug).
    pub fn with_other_key(&self) -> Self {
        Self {
            id: self.id,
            inspector: self.inspector.clone(),
            key: SigningKey::from_bytes(&random::<32>()),
            chain: std::sync::Mutex::new(self.chain.lock().unwrap().clone()),
        }
    }

    pub fn public_key(&self) -> String {
        hex::encode(self.key.verifying_key().as_bytes())
    }

    /// The five headers, signed at `time` with `nonce`.
    pub fn headers_at(&self, method: &str, path: &str, body: &[u8], time: i64, nonce: &str) -> Vec<(String, String)> {
        let digest = sha256(body);
        let message = mingcha_core::sync::request_message(method, path, time, nonce, &digest);
        vec![
            (header::DEVICE.into(), self.id.to_string()),
            (header::TIME.into(), time.to_string()),
            (header::NONCE.into(), nonce.to_owned()),
            (header::BODY_SHA256.into(), digest),
            (header::SIGNATURE.into(), hex::encode(&self.key.sign(&message).to_bytes())),
        ]
    }

    pub fn headers(&self, method: &str, path: &str, body: &[u8]) -> Vec<(String, String)> {
        self.headers_at(method, path, body, Utc::now().timestamp(), &hex::encode(&random::<16>()))
    }

    /// A signed request, now, with a fresh nonce.
    pub async fn send(&self, app: &App, method: &str, path: &str, body: &[u8]) -> Response {
        http(app.addr(), method, path, &self.headers(method, path, body), body).await
    }

    pub fn sign(&self, manifest: Manifest) -> SignedManifest {
        let signature = hex::encode(&self.key.sign(&manifest.signing_message()).to_bytes());
        SignedManifest { manifest, signature }
    }

    /// A change of this device.
    pub fn change(&self, seq: u64, entity: EntityKind, entity_id: &str, payload: serde_json::Value) -> ChangeRecord {
        ChangeRecord {
            id: ChangeId::from_uuid(uuid::Uuid::now_v7()),
            seq,
            device_id: self.id,
            entity,
            entity_id: entity_id.to_owned(),
            op: ChangeOp::Create,
            payload,
            at: at(seq),
        }
    }

    /// The manifest of `changes` after `after_seq`, continuing this device's chain. The chain
    /// keeps the first link made at each seq, so a second batch at a taken seq is a fork.
    pub fn manifest(&self, after_seq: u64, changes: Vec<ChangeRecord>) -> Manifest {
        let mut chain = self.chain.lock().unwrap();
        let before = chain.get(usize::try_from(after_seq).unwrap()).copied().unwrap_or(Hash::GENESIS);
        let m = Manifest::new(uuid::Uuid::now_v7(), self.id, after_seq, before, changes);
        let mut link = before;
        for c in &m.changes {
            link = mingcha_core::custody::link(&link, c);
            if chain.len() == usize::try_from(c.seq).unwrap() {
                chain.push(link);
            }
        }
        m
    }

    /// A batch of `changes` after `after_seq`, signed.
    pub fn batch(&self, after_seq: u64, changes: Vec<ChangeRecord>) -> SignedManifest {
        self.sign(self.manifest(after_seq, changes))
    }

    pub async fn offer(&self, app: &App, batch: &SignedManifest) -> Response {
        self.send(app, "POST", "/api/v1/batches", &serde_json::to_vec(batch).unwrap()).await
    }

    pub async fn commit(&self, app: &App, batch: &SignedManifest) -> Response {
        self.send(app, "POST", &format!("/api/v1/batches/{}/commit", batch.manifest.batch_id), b"").await
    }

    pub async fn put(&self, app: &App, sha256: &str, offset: u64, chunk: &[u8]) -> Response {
        self.send(app, "PUT", &format!("/api/v1/blobs/{sha256}?offset={offset}"), chunk).await
    }
}

/// One instant per seq, a minute apart from the start of yesterday (UTC): fixed within a day,
/// and always within what the office takes from a laptop enrolled today (`mingcha_server::intake`).
pub fn at(seq: u64) -> DateTime<Utc> {
    let yesterday = Utc::now().date_naive().pred_opt().unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc();
    yesterday + chrono::Duration::minutes(i64::try_from(seq).unwrap())
}

/// The `Cookie` header value that sends back the session a `Set-Cookie` made. The test client
/// lower-cases the answer's head; the session token is lower-case hex anyway, and the name is
/// the office's own (`__Host-mingcha_session`, which a browser and the office match exactly).
pub fn session_cookie(set_cookie: &str) -> String {
    let token = set_cookie.split(';').next().and_then(|c| c.split_once('=')).map_or("", |(_, v)| v.trim());
    format!("{}={token}", mingcha_server::console::session::COOKIE_NAME)
}

/// A small JPEG that decodes (a notice re-encodes it).
pub fn jpeg() -> Vec<u8> {
    jpeg_of(60)
}

/// A small JPEG, different for each `seed`.
pub fn jpeg_of(seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(32, 24, |x, y| image::Rgb([(x * 7) as u8, (y * 9) as u8, seed]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// What [`field_day`] sent and the office committed.
#[derive(Debug)]
pub struct FieldDay {
    pub device: Device,
    pub batch_id: String,
    pub unit: String,
    pub finding: String,
    /// The SHA-256 of the finding's photo.
    pub photo: String,
}

/// A laptop named `laptop` of `inspector`, enrolled, sends one covert finding (`description`,
/// naming 窗口工作人员刘某) at 城南区政务服务中心 with a photo, committed.
pub async fn field_day(app: &App, inspector: &str, laptop: &str, description: &str) -> FieldDay {
    let device = app.enrolled_laptop(inspector, laptop).await;
    let id = || uuid::Uuid::now_v7().to_string();
    let (unit, visit, finding, evidence) = (id(), id(), id(), id());
    let photo = jpeg();
    let now = Utc::now();
    let changes = vec![
        device.change(
            1,
            EntityKind::Unit,
            &unit,
            serde_json::json!({"id": unit, "name": "城南区政务服务中心", "region": "城南区", "created_at": now}),
        ),
        device.change(
            2,
            EntityKind::Visit,
            &visit,
            serde_json::json!({
                "id": visit, "plan_id": null, "unit_id": unit, "spot_id": null, "kind": "covert", "date": "2026-11-10",
                "arrived_at": null, "left_at": null, "inspectors": [inspector], "notes": null, "created_at": now,
            }),
        ),
        device.change(
            3,
            EntityKind::Finding,
            &finding,
            serde_json::json!({
                "id": finding, "visit_id": visit, "unit_id": unit, "spot_id": null,
                "observed_at": "2026-11-10T09:20:00+08:00", "method": "covert", "category": "san.absent",
                "severity": "serious", "description": description, "persons_involved": "窗口工作人员刘某",
                "checklist_item": null, "status": "submitted", "created_at": now, "updated_at": now,
            }),
        ),
        device.change(
            4,
            EntityKind::Evidence,
            &evidence,
            serde_json::json!({
                "evidence": {"id": evidence, "target": {"kind": "finding", "finding_id": finding},
                             "sha256": sha256(&photo), "size": photo.len(), "media_type": "image/jpeg",
                             "original_name": "DSC_0001.JPG", "imported_at": now},
                "meta": {"taken_at": "2026-11-10T09:21:04", "taken_offset": null, "gps": null, "make": null,
                         "model": null, "orientation": null, "width": 32, "height": 24},
                "damaged": null, "sha256": sha256(&photo), "size": photo.len(),
            }),
        ),
    ];
    let batch = device.batch(0, changes);
    assert_eq!(device.offer(app, &batch).await.status, 200);
    assert_eq!(device.put(app, &sha256(&photo), 0, &photo).await.status, 200);
    let r = device.commit(app, &batch).await;
    assert_eq!(r.status, 200, "{}", r.text());
    FieldDay { device, batch_id: batch.manifest.batch_id.to_string(), unit, finding, photo: sha256(&photo) }
}
