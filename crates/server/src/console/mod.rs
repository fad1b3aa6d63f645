//! The office console's API (`docs/console-api.md`) and the console itself, served at `/`.
//!
//! Routes are adapters: they check who is asking ([`session::Signed`]), load what they need
//! ([`world::World`] for the findings and the ledger as a whole, single documents otherwise),
//! call `mingcha_office` to decide, and write every changed document (and the office events a
//! device must receive) in one [`Repo::write_docs`] call, so a refusal leaves nothing behind.

mod assets;
#[cfg(test)]
mod bindings;
mod catalog;
mod files;
mod ledger;
mod link;
mod notices;
mod review;
pub mod session;
mod unit_view;
mod uploads;

use axum::Router;
use axum::extract::Request;
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{MethodRouter, get, patch, post, put};

pub(crate) use crate::app::{Versioned, kind, ledger_index, load, load_all, put_doc, today, world};
use crate::error::{Error, Result};
use crate::state::AppState;

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
