//! `mingcha-server`: the central office (效能办 / 督查室) that inspectors' laptops sync with.
//!
//! It enrolls devices with one-time tokens, receives each device's signed batches of changes
//! and their evidence blobs, commits them in one transaction and signs a receipt, keeps the
//! latest state of every record for the office's views, and sends the office's decisions
//! (findings returned or accepted, templates, the taxonomy, plans) back through pull.
//!
//! Layout, from the bottom up (a module names only those on its own line or below; `cargo
//! xtask tidy` fails on any cycle):
//!
//! - [`error`], [`config`] (the data folder), [`key`] (the office's signing key), [`bounds`],
//!   [`intake`] (what a batch's changes may be and write);
//! - [`repo`] (the tables behind one trait, SQLite or PostgreSQL, with the exchange and its
//!   chain rule), [`blobs`] (write-once blob storage behind a trait);
//! - [`app`] (`mingcha-office-app`: the use cases without HTTP, with [`admin`] the staff's
//!   commands and [`custody`] the end-to-end verification);
//! - [`memory`] (what one process remembers: nonces, runs of refusals), [`limits`], [`state`]
//!   (what every handler reaches, the extractors), [`session`] (who is asking the console),
//!   [`auth`] (signed device requests), [`audit`];
//! - [`api`] (the device routes), [`console`] (the console's routes and pages), [`openapi`],
//!   [`tls`], and [`Office`] / [`spawn`] here to run it all.
//!
//! **Architecture invariant:** the server knows nothing about the device's store. It speaks
//! only the wire types of `mingcha_core::sync` and never links `mingcha-store`; what a device
//! keeps, and how, is the device's business. Its tables are its own (`mingcha-office-db`).

#![forbid(unsafe_code)]
#![recursion_limit = "256"]

pub use mingcha_office_app as app;
pub use mingcha_office_app::{admin, custody};
pub use mingcha_office_db as repo;
pub use mingcha_office_db::{intake, key};

pub mod api;
pub mod audit;
pub mod auth;
pub mod blobs;
pub mod bounds;
pub mod config;
pub mod console;
pub mod error;
pub mod limits;
pub mod memory;
pub mod openapi;
pub mod session;
pub mod state;
pub mod tls;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;

pub use config::Config;
pub use error::{Error, Result};

use crate::blobs::DiskBlobStore;
use crate::key::ServerKey;
use crate::memory::NonceCache;
use crate::repo::Repo;
use crate::state::AppState;
use crate::tls::{TlsIdentity, TlsListener};

/// What `serve` speaks.
#[derive(Debug, Clone)]
pub enum Transport {
    /// TLS with this certificate: the default.
    Tls(TlsIdentity),
    /// Plain HTTP, only behind a proxy that terminates TLS (`--plain-http`).
    PlainHttp,
}

/// What `tls/in-use` says when the office serves plain HTTP.
const PLAIN_HTTP_MARK: &str = "plain-http";

/// An opened office: its tables (migrated) and its blob store. The admin commands need only
/// this; [`Office::state`] adds the signing key to serve.
#[derive(Debug, Clone)]
pub struct Office {
    pub config: Config,
    pub repo: Arc<dyn Repo>,
    pub blobs: Arc<DiskBlobStore>,
    /// The rate limits, turns and quotas of [`Config::limits`], shared by every request.
    pub limits: Arc<limits::Limits>,
    /// Runs of identical refusals not yet written to the audit log.
    pub repeats: Arc<audit::Repeats>,
}

impl Office {
    /// Create the data folder if missing, open the tables and bring their schema up to date.
    pub async fn open(config: Config) -> Result<Self> {
        config.prepare()?;
        let repo = repo::open(config.database_url.as_deref(), &config.sqlite_path()).await?;
        app::ledger_index::rebuild_if_needed(repo.as_ref()).await?;
        let blobs = Arc::new(DiskBlobStore::new(config.blobs_dir(), config.uploads_dir()));
        let limits = Arc::new(limits::Limits::new(config.limits));
        Ok(Self { config, repo, blobs, limits, repeats: Arc::default() })
    }

    /// The office's signing key, made at first start.
    pub fn key(&self) -> Result<ServerKey> {
        Ok(ServerKey::load_or_create(&self.config.key_path())?)
    }

    /// The self-signed certificate in the data folder, made at first use.
    pub fn self_signed(&self) -> Result<TlsIdentity> {
        TlsIdentity::load_or_create(&self.config.tls_dir())
    }

    /// Remember what `serve` speaks, so `enroll-token` (another process) puts the right
    /// fingerprint in its tokens and `status` shows it.
    pub fn record_transport(&self, transport: &Transport) -> Result<()> {
        let text = match transport {
            Transport::Tls(id) => id.fingerprint.clone(),
            Transport::PlainHttp => PLAIN_HTTP_MARK.to_owned(),
        };
        std::fs::create_dir_all(self.config.tls_dir())?;
        let tmp = self.config.tls_in_use_path().with_extension("tmp");
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, self.config.tls_in_use_path())?;
        Ok(())
    }

    /// The fingerprint devices are to pin: the certificate `serve` last served, or (before
    /// the first start) the self-signed one it will serve by default; `None` behind a proxy.
    pub fn tls_pin(&self) -> Result<Option<String>> {
        match std::fs::read_to_string(self.config.tls_in_use_path()) {
            Ok(text) if text.trim() == PLAIN_HTTP_MARK => Ok(None),
            Ok(text) if text.trim().len() == 64 => Ok(Some(text.trim().to_owned())),
            Ok(_) | Err(_) => Ok(Some(self.self_signed()?.fingerprint)),
        }
    }

    /// Everything the HTTP handlers need; `tls_pin` goes into the tokens the console makes.
    pub fn state(&self, tls_pin: Option<String>) -> Result<AppState> {
        Ok(AppState {
            repo: Arc::clone(&self.repo),
            blobs: self.blobs.clone(),
            key: Arc::new(self.key()?),
            nonces: Arc::new(NonceCache::default()),
            tls_pin,
            limits: Arc::clone(&self.limits),
            repeats: Arc::clone(&self.repeats),
        })
    }
}

/// Serve the API on `listener` until `shutdown` completes, then finish the requests in flight.
/// Handlers see the client's address (`ConnectInfo<SocketAddr>`) for rate limits and the audit.
pub async fn serve(
    office: &Office,
    listener: TcpListener,
    transport: Transport,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    office.record_transport(&transport)?;
    let pin = match &transport {
        Transport::Tls(id) => Some(id.fingerprint.clone()),
        Transport::PlainHttp => None,
    };
    let app = api::router(office.state(pin)?).into_make_service_with_connect_info::<SocketAddr>();
    let upkeep = tokio::spawn(upkeep(office.clone()));
    let served = serve_app(listener, transport, app, shutdown).await;
    upkeep.abort();
    // The runs of refusals still open: their counts, before the process ends.
    audit::flush_repeats(&*office.repo, &office.repeats, None).await;
    served
}

async fn serve_app(
    listener: TcpListener,
    transport: Transport,
    app: axum::extract::connect_info::IntoMakeServiceWithConnectInfo<axum::Router, SocketAddr>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    use axum::serve::ListenerExt;
    match transport {
        Transport::Tls(id) => {
            let listener = TlsListener::new(listener, id.server_config()?)?;
            // `tap_io` only to reach axum's ConnectInfo for any listener whose address is a SocketAddr.
            axum::serve(listener.tap_io(|_| ()), app).with_graceful_shutdown(shutdown).await?;
        }
        Transport::PlainHttp => {
            axum::serve(listener, app).with_graceful_shutdown(shutdown).await?;
        }
    }
    Ok(())
}

/// What a serving office does on its own: every minute, write the audit rows of the runs of
/// refusals that closed; at start and every hour, sweep the uploads laptops abandoned.
async fn upkeep(office: Office) {
    let mut minute = tokio::time::interval(std::time::Duration::from_secs(60));
    let max_age = office.limits.quota.part_max_age.to_std().unwrap_or(std::time::Duration::from_secs(86_400));
    for n in 0u64.. {
        minute.tick().await;
        if n % 60 == 0 {
            let blobs = Arc::clone(&office.blobs);
            match tokio::task::spawn_blocking(move || blobs.sweep_parts(std::time::SystemTime::now(), max_age)).await {
                Ok(Ok(0)) => {}
                Ok(Ok(swept)) => eprintln!("mingcha-server: deleted {swept} upload(s) abandoned for over {max_age:?}"),
                Ok(Err(e)) => eprintln!("mingcha-server: sweeping abandoned uploads: {e}"),
                Err(e) => eprintln!("mingcha-server: sweeping abandoned uploads: {e}"),
            }
        }
        audit::flush_repeats(&*office.repo, &office.repeats, Some(chrono::Utc::now())).await;
    }
}

/// A server running inside this process (for tests and embedding).
#[derive(Debug)]
pub struct RunningServer {
    /// The address it really listens on (port 0 is resolved).
    pub addr: SocketAddr,
    pub office: Office,
    /// The office's public key (hex), as devices receive it at enrollment.
    pub server_key: String,
    /// The certificate's fingerprint when it speaks TLS.
    pub tls_pin: Option<String>,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<()>>,
}

impl RunningServer {
    pub fn url(&self) -> String {
        let scheme = if self.tls_pin.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Stop accepting, finish what is in flight, and wait for it.
    pub async fn stop(self) -> Result<()> {
        let _ = self.stop.send(());
        self.task.await.map_err(|e| Error::Internal(format!("server task: {e}")))?
    }
}

/// Open the office of `config` and serve it on `listen` (e.g. `127.0.0.1:0`) in a task, in
/// plain HTTP: the API tests speak HTTP/1.1 by hand. [`spawn_with`] chooses.
pub async fn spawn(config: Config, listen: &str) -> Result<RunningServer> {
    spawn_with(config, listen, |_| Ok(Transport::PlainHttp)).await
}

/// [`spawn`], speaking what `transport` chooses for the opened office (e.g. its self-signed
/// certificate: `|o| Ok(Transport::Tls(o.self_signed()?))`).
pub async fn spawn_with(
    config: Config,
    listen: &str,
    transport: impl FnOnce(&Office) -> Result<Transport>,
) -> Result<RunningServer> {
    let office = Office::open(config).await?;
    let transport = transport(&office)?;
    let tls_pin = match &transport {
        Transport::Tls(id) => Some(id.fingerprint.clone()),
        Transport::PlainHttp => None,
    };
    let server_key = office.key()?.public_hex();
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = office.clone();
    let task = tokio::spawn(async move {
        serve(&served, listener, transport, async move {
            let _ = stopped.await;
        })
        .await
    });
    Ok(RunningServer { addr, office, server_key, tls_pin, stop, task })
}
