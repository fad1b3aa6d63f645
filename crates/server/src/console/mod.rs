//! The office console's API (`docs/console-api.md`) and the console itself, served at `/`.
//!
//! Routes are adapters: they check who is asking ([`session::Signed`]), load what they need
//! ([`world::World`] for the findings and the ledger as a whole, single documents otherwise),
//! call `mingcha_office` to decide, and write every changed document (and the office events a
//! device must receive) in one [`Repo::write_docs`] call, so a refusal leaves nothing behind.

mod assets;
mod catalog;
mod files;
mod ledger;
pub(crate) mod ledger_index;
mod link;
mod notices;
pub(crate) mod review;
pub mod session;
mod unit_view;
mod uploads;
pub(crate) mod world;

use axum::Router;
use axum::extract::Request;
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{MethodRouter, get, patch, post, put};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::api::AppState;
use crate::error::{Error, Result};
use crate::repo::{DocWrite, Repo};

/// The kinds of document the console keeps (`office_doc.kind`).
pub(crate) mod kind {
    pub const ACCOUNT: &str = "account";
    pub const SESSION: &str = "session";
    pub use crate::repo::read_model::{PROBLEM, REVIEW};
    pub const NOTICE: &str = "notice";
    pub const NOTICE_SERIAL: &str = "notice_serial";
    pub const SETTINGS: &str = "settings";
    pub const UPLOAD: &str = "upload";
    pub const FEEDBACK_LINK: &str = "feedback_link";
    pub const TEMPLATE: &str = "template";
}

/// The header every console write carries: a page on another site cannot set it on a
/// cross-site request without the office's permission (there is no CORS), so together with the
/// `SameSite=Strict` cookie it stops cross-site request forgery.
pub const CSRF_HEADER: &str = "x-mingcha-console";

/// Every console route: method, path, handler.
fn route_table() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    vec![
        (Method::POST, "/api/console/login", post(session::login)),
        (Method::POST, "/api/console/logout", post(session::logout)),
        (Method::GET, "/api/console/me", get(session::me)),
        (Method::POST, "/api/console/password", post(session::change_password)),
        (Method::GET, "/api/console/accounts", get(session::accounts)),
        (Method::POST, "/api/console/accounts", post(session::add_account)),
        (Method::PATCH, "/api/console/accounts/{username}", patch(session::update_account)),
        (Method::GET, "/api/console/inspectors", get(catalog::inspectors)),
        (Method::POST, "/api/console/inspectors", post(catalog::add_inspector)),
        (Method::POST, "/api/console/inspectors/{name}/token", post(catalog::enroll_token)),
        (Method::POST, "/api/console/devices/{id}/revoke", post(catalog::revoke_device)),
        (Method::GET, "/api/console/audit", get(crate::audit::list)),
        (Method::GET, "/api/console/units", get(catalog::units)),
        (Method::GET, "/api/console/categories", get(catalog::categories)),
        (Method::GET, "/api/console/templates", get(catalog::templates)),
        (Method::POST, "/api/console/templates", post(catalog::publish_template)),
        (Method::GET, "/api/console/templates/{code}", get(catalog::template)),
        (Method::GET, "/api/console/taxonomy", get(catalog::taxonomy)),
        (Method::POST, "/api/console/taxonomy", post(catalog::publish_taxonomy)),
        (Method::GET, "/api/console/batches", get(review::batches)),
        (Method::GET, "/api/console/findings", get(review::findings)),
        (Method::GET, "/api/console/findings/{id}", get(review::finding)),
        (Method::POST, "/api/console/findings/{id}/accept", post(review::accept)),
        (Method::POST, "/api/console/findings/{id}/return", post(review::return_finding)),
        (Method::POST, "/api/console/findings/{id}/wording", post(review::reword)),
        (Method::POST, "/api/console/findings/{id}/merge", post(review::merge)),
        (Method::GET, "/api/console/blobs/{sha256}", get(uploads::blob)),
        (Method::GET, "/api/console/photos/{sha256}/verify", get(uploads::verify_photo)),
        (Method::POST, "/api/console/uploads", post(uploads::upload)),
        (Method::GET, "/api/console/problems", get(ledger::problems)),
        (Method::GET, "/api/console/ledger.xlsx", get(ledger::export)),
        (Method::GET, "/api/console/problems/{id}", get(ledger::problem)),
        (Method::POST, "/api/console/problems/{id}/assign", post(ledger::assign)),
        (Method::POST, "/api/console/problems/{id}/feedback", post(ledger::feedback)),
        (Method::POST, "/api/console/problems/{id}/verify", post(ledger::verify)),
        (Method::POST, "/api/console/problems/{id}/close", post(ledger::close)),
        (Method::POST, "/api/console/problems/{id}/link", post(link::link)),
        (Method::GET, "/api/console/lights", get(ledger::lights)),
        (Method::GET, "/api/console/dashboard", get(catalog::dashboard)),
        (Method::GET, "/api/console/settings", get(notices::settings)),
        (Method::PUT, "/api/console/settings", put(notices::save_settings)),
        (Method::GET, "/api/console/notices", get(notices::list)),
        (Method::POST, "/api/console/notices", post(notices::create)),
        (Method::GET, "/api/console/notices/{id}/docx", get(notices::docx)),
        (Method::GET, "/api/feedback/{token}", get(link::link_summary)),
        (Method::POST, "/api/feedback/{token}", post(link::link_feedback)),
        (Method::POST, "/api/feedback/{token}/uploads", post(link::link_upload)),
    ]
}

/// The (method, path) of every console route.
pub fn routes() -> Vec<(Method, &'static str)> {
    let mut all: Vec<_> = route_table().into_iter().map(|(m, p, _)| (m, p)).collect();
    all.extend(assets::routes());
    all
}

/// The console's routes and pages, to merge into the API router. Every write is audited
/// ([`crate::audit::console_writes`]), refused ones included.
pub fn router(state: &AppState) -> Router<AppState> {
    let mut api = Router::new();
    for (_, path, handler) in route_table() {
        api = api.route(path, handler);
    }
    let api = api
        .layer(middleware::from_fn(require_console_header))
        .layer(middleware::from_fn_with_state(state.clone(), crate::audit::console_writes));
    assets::router(api)
}

async fn require_console_header(req: Request, next: Next) -> Result<Response> {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD);
    if !safe && req.headers().get(CSRF_HEADER).is_none_or(|v| v.as_bytes() != b"1") {
        return Err(Error::Csrf);
    }
    Ok(next.run(req).await)
}

/// The office's calendar day: deadlines and lights are judged on it.
pub(crate) fn today(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&chrono::Local).date_naive()
}

/// A document read with its version, to write back.
#[derive(Debug, Clone)]
pub(crate) struct Versioned<T> {
    pub version: u64,
    pub value: T,
}

impl<T: Serialize> Versioned<T> {
    /// The write that replaces this version with the (changed) value.
    pub fn write(&self, kind: &'static str, id: &str) -> Result<DocWrite> {
        put_doc(kind, id, self.version, &self.value)
    }
}

pub(crate) fn put_doc<T: Serialize>(kind: &'static str, id: &str, expect: u64, value: &T) -> Result<DocWrite> {
    let body = serde_json::to_value(value).map_err(|e| Error::Internal(format!("{kind}: {e}")))?;
    Ok(DocWrite { kind, id: id.to_owned(), expect, body: Some(body), ledger: None })
}

fn decode<T: DeserializeOwned>(kind: &str, id: &str, body: serde_json::Value) -> Result<T> {
    serde_json::from_value(body).map_err(|e| Error::Internal(format!("{kind} {id} does not read back: {e}")))
}

pub(crate) async fn load<T: DeserializeOwned>(repo: &dyn Repo, kind: &str, id: &str) -> Result<Option<Versioned<T>>> {
    match repo.doc(kind, id).await? {
        Some(d) => Ok(Some(Versioned { version: d.version, value: decode(kind, id, d.body)? })),
        None => Ok(None),
    }
}

pub(crate) async fn load_all<T: DeserializeOwned>(repo: &dyn Repo, kind: &str) -> Result<Vec<(String, Versioned<T>)>> {
    repo.docs(kind)
        .await?
        .into_iter()
        .map(|d| Ok((d.id.clone(), Versioned { version: d.version, value: decode(kind, &d.id, d.body)? })))
        .collect()
}

/// `mingcha_office`'s refusals as the office's errors.
impl From<mingcha_office::OfficeError> for Error {
    fn from(e: mingcha_office::OfficeError) -> Self {
        use mingcha_office::OfficeError as O;
        match e {
            O::Invalid(m) => Error::Invalid(m),
            O::WrongStage(m) => Error::WrongStage(m),
            O::DeadlinePast { deadline, today } => Error::DeadlinePast { deadline, today },
            O::Internal(m) => Error::Internal(m),
        }
    }
}

/// A new UUIDv7 as text: problem and notice ids.
pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
