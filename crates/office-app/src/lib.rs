//! `mingcha-office-app`: the office's use cases without HTTP. The documents it keeps
//! (`office_doc`, read and written with their versions), the findings a request shows assembled
//! ([`world`]), the ledger row each problem write carries ([`ledger_index`]), the decision on a
//! finding ([`review`]), the staff's commands ([`admin`]) and the end-to-end custody check
//! ([`custody`]). The console's handlers and the admin CLI both call these, and get the same
//! typed [`Error`] back.
//!
//! **Architecture invariant:** no HTTP and no database driver. This crate never links axum, an
//! HTTP client, rusqlite or tokio-postgres: it reaches the tables and the blobs only through
//! `mingcha-office-db`'s traits, and the office's rules stay in `mingcha-office`.

pub mod admin;
pub mod custody;
pub mod dashboard;
mod error;
pub mod export;
pub mod ledger_index;
pub mod notices;
pub mod problem;
pub mod review;
pub mod world;

pub use error::{Error, Result};

use chrono::{DateTime, NaiveDate, Utc};
use mingcha_core::assets;
use mingcha_core::sync::OfficeEventBody;
use mingcha_core::taxonomy::Taxonomy;
use serde::Serialize;
use serde::de::DeserializeOwned;

use mingcha_office_db::{DocWrite, Repo};

/// The taxonomy the office starts with, before it publishes its own.
pub const BUILTIN_TAXONOMY: &str = include_str!("../../../assets/taxonomy.json");

/// The kinds of document the console keeps (`office_doc.kind`).
pub mod kind {
    pub const ACCOUNT: &str = "account";
    pub const SESSION: &str = "session";
    pub use mingcha_office_db::read_model::{PROBLEM, REVIEW};
    pub const NOTICE: &str = "notice";
    pub const NOTICE_SERIAL: &str = "notice_serial";
    pub const SETTINGS: &str = "settings";
    pub const UPLOAD: &str = "upload";
    pub const FEEDBACK_LINK: &str = "feedback_link";
    pub const TEMPLATE: &str = "template";
}

/// The office's calendar day: deadlines and lights are judged on it.
pub fn today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&chrono::Local).date_naive()
}

/// A document read with its version, to write back.
#[derive(Debug, Clone)]
pub struct Versioned<T> {
    pub version: u64,
    pub value: T,
}

impl<T: Serialize> Versioned<T> {
    /// The write that replaces this version with the (changed) value.
    pub fn write(&self, kind: &'static str, id: &str) -> Result<DocWrite> {
        put_doc(kind, id, self.version, &self.value)
    }
}

pub fn put_doc<T: Serialize>(kind: &'static str, id: &str, expect: u64, value: &T) -> Result<DocWrite> {
    let body = serde_json::to_value(value).map_err(|e| Error::Internal(format!("{kind}: {e}")))?;
    Ok(DocWrite { kind, id: id.to_owned(), expect, body: Some(body), ledger: None })
}

fn decode<T: DeserializeOwned>(kind: &str, id: &str, body: serde_json::Value) -> Result<T> {
    serde_json::from_value(body).map_err(|e| Error::Internal(format!("{kind} {id} does not read back: {e}")))
}

pub async fn load<T: DeserializeOwned>(repo: &dyn Repo, kind: &str, id: &str) -> Result<Option<Versioned<T>>> {
    match repo.doc(kind, id).await? {
        Some(d) => Ok(Some(Versioned { version: d.version, value: decode(kind, id, d.body)? })),
        None => Ok(None),
    }
}

pub async fn load_all<T: DeserializeOwned>(repo: &dyn Repo, kind: &str) -> Result<Vec<(String, Versioned<T>)>> {
    repo.docs(kind)
        .await?
        .into_iter()
        .map(|d| Ok((d.id.clone(), Versioned { version: d.version, value: decode(kind, &d.id, d.body)? })))
        .collect()
}

/// A new UUIDv7 as text: problem and notice ids.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The taxonomy templates are checked against: the last one the office published, else the
/// built-in one.
pub async fn current_taxonomy(repo: &dyn Repo) -> Result<Taxonomy> {
    let published = repo.latest_broadcast("taxonomy_published").await?;
    if let Some(OfficeEventBody::TaxonomyPublished { taxonomy }) = published
        && let Ok(t) = assets::parse_taxonomy("published taxonomy", &taxonomy.to_string())
    {
        return Ok(t);
    }
    assets::parse_taxonomy("assets/taxonomy.json", BUILTIN_TAXONOMY).map_err(|e| Error::Internal(e.to_string()))
}
