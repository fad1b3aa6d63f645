//! `mingcha-server`: the central office (效能办 / 督查室) that inspectors' laptops sync with.
//!
//! It enrolls devices with one-time tokens, receives each device's signed batches of changes
//! and their evidence blobs, commits them in one transaction and signs a receipt, keeps the
//! latest state of every record for the office's views, and sends the office's decisions
//! (findings returned or accepted, templates, the taxonomy, plans) back through pull.
//!
//! Layout: [`config`] (the data folder), [`key`] (the office's signing key), [`repo`] (the
//! tables behind one trait, SQLite or PostgreSQL), [`blobs`] (write-once blob storage behind
//! a trait), [`auth`] (signed requests), [`api`] (the axum routes), [`console`] (the office
//! console's API and pages), [`openapi`], [`admin`] (the staff's commands), and [`Office`] /
//! [`spawn`] here to run it all.
//!
//! **Architecture invariant:** the server knows nothing about the device's store. It speaks
//! only the wire types of `mingcha_core::sync` and never links `mingcha-store`; what a device
//! keeps, and how, is the device's business. Its tables are its own, migrated here.

#![forbid(unsafe_code)]
#![recursion_limit = "256"]

pub mod admin;
pub mod api;
pub mod auth;
pub mod blobs;
pub mod config;
pub mod console;
pub mod custody;
pub mod error;
pub mod key;
pub mod openapi;
pub mod repo;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;

pub use config::Config;
pub use error::{Error, Result};

use crate::api::AppState;
use crate::auth::NonceCache;
use crate::blobs::DiskBlobStore;
use crate::key::ServerKey;
use crate::repo::Repo;

/// An opened office: its tables (migrated) and its blob store. The admin commands need only
/// this; [`Office::state`] adds the signing key to serve.
#[derive(Debug, Clone)]
pub struct Office {
    pub config: Config,
    pub repo: Arc<dyn Repo>,
    pub blobs: Arc<DiskBlobStore>,
}

impl Office {
    /// Create the data folder if missing, open the tables and bring their schema up to date.
    pub async fn open(config: Config) -> Result<Self> {
        config.prepare()?;
        let repo = repo::open(&config).await?;
        let blobs = Arc::new(DiskBlobStore::new(config.blobs_dir(), config.uploads_dir()));
        Ok(Self { config, repo, blobs })
    }

    /// The office's signing key, made at first start.
    pub fn key(&self) -> Result<ServerKey> {
        ServerKey::load_or_create(&self.config.key_path())
    }

    /// Everything the HTTP handlers need.
    pub fn state(&self) -> Result<AppState> {
        Ok(AppState {
            repo: Arc::clone(&self.repo),
            blobs: self.blobs.clone(),
            key: Arc::new(self.key()?),
            nonces: Arc::new(NonceCache::default()),
        })
    }
}

/// Serve the API on `listener` until `shutdown` completes, then finish the requests in flight.
pub async fn serve(
    office: &Office,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let app = api::router(office.state()?);
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await?;
    Ok(())
}

/// A server running inside this process (for tests and embedding).
#[derive(Debug)]
pub struct RunningServer {
    /// The address it really listens on (port 0 is resolved).
    pub addr: SocketAddr,
    pub office: Office,
    /// The office's public key (hex), as devices receive it at enrollment.
    pub server_key: String,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<()>>,
}

impl RunningServer {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stop accepting, finish what is in flight, and wait for it.
    pub async fn stop(self) -> Result<()> {
        let _ = self.stop.send(());
        self.task.await.map_err(|e| Error::Internal(format!("server task: {e}")))?
    }
}

/// Open the office of `config` and serve it on `listen` (e.g. `127.0.0.1:0`) in a task.
pub async fn spawn(config: Config, listen: &str) -> Result<RunningServer> {
    let office = Office::open(config).await?;
    let server_key = office.key()?.public_hex();
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = office.clone();
    let task = tokio::spawn(async move {
        serve(&served, listener, async move {
            let _ = stopped.await;
        })
        .await
    });
    Ok(RunningServer { addr, office, server_key, stop, task })
}
