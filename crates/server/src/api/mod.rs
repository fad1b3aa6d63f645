//! The HTTP API (`docs/sync-protocol.md`): the route table, the shared state, and the
//! extractors that turn every malformed request into the office's JSON error, never axum's
//! plain-text rejections.

pub mod blobs;
mod custody;
mod edge;
mod enroll;
mod pull;
mod sync;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::Json;
use axum::routing::{MethodRouter, get, post, put};
use mingcha_core::sync::JSON_BODY_MAX;
use serde::de::DeserializeOwned;

use crate::auth::NonceCache;
use crate::blobs::BlobStore;
use crate::error::{Error, Result};
use crate::key::ServerKey;
use crate::repo::Repo;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub repo: Arc<dyn Repo>,
    pub blobs: Arc<dyn BlobStore>,
    pub key: Arc<ServerKey>,
    pub nonces: Arc<NonceCache>,
    /// The fingerprint of the certificate served, for the tokens the console makes; `None`
    /// in plain HTTP behind a proxy.
    pub tls_pin: Option<String>,
    /// Failed sign-ins and enrollments, for the rate limits.
    pub limits: Arc<crate::limits::Limits>,
    /// Runs of identical refusals, written to the audit log as counts.
    pub repeats: Arc<crate::audit::Repeats>,
}

/// Every route: method, path, handler. The router is built from this table, and the OpenAPI
/// document is tested against it, so neither can leave a route out.
fn route_table() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    vec![
        (Method::GET, "/api/health", get(health)),
        (Method::GET, "/api/openapi.json", get(openapi)),
        (Method::POST, "/api/v1/enroll", post(enroll::enroll)),
        (Method::POST, "/api/v1/batches", post(sync::open_batch)),
        (Method::POST, "/api/v1/batches/{batch_id}/commit", post(sync::commit)),
        (Method::PUT, "/api/v1/blobs/{sha256}", put(blobs::put_chunk)),
        (Method::GET, "/api/v1/blobs/{sha256}/upload", get(blobs::upload_state)),
        (Method::GET, "/api/v1/pull", get(pull::pull)),
        (Method::GET, "/api/v1/custody/heads", get(custody::heads)),
        (Method::GET, "/api/v1/custody/proof", get(custody::proof)),
    ]
}

/// The (method, path) of every device route (the console's are [`crate::console::routes`]).
pub fn routes() -> Vec<(Method, &'static str)> {
    route_table().into_iter().map(|(m, p, _)| (m, p)).collect()
}

pub fn router(state: AppState) -> Router {
    let mut router = crate::console::router(&state);
    for (_, path, handler) in route_table() {
        router = router.route(path, handler);
    }
    router
        .fallback(|| async { Error::NotFound("no such route".into()) })
        .method_not_allowed_fallback(|| async { Error::MethodNotAllowed })
        // Chunks and manifests alike: at most 16 MiB, received whole before any check.
        .layer(DefaultBodyLimit::max(JSON_BODY_MAX))
        .layer(axum::middleware::from_fn_with_state(state.clone(), edge::refusals))
        .layer(axum::middleware::from_fn(edge::headers))
        .with_state(state)
}

async fn health(axum::extract::State(state): axum::extract::State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok", "server_key": state.key.public_hex() }))
}

async fn openapi() -> Json<serde_json::Value> {
    Json(crate::openapi::document())
}

/// The whole request body (at most 16 MiB); over the limit is `413 body_too_large`.
#[derive(Debug)]
pub struct Body(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self> {
        Bytes::from_request(req, state).await.map(Body).map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Error::BodyTooLarge
            } else {
                Error::BadRequest(r.body_text())
            }
        })
    }
}

/// Parse a body as `T`; anything else is `400 malformed_json`. Every string, key and list in
/// it is held to its limit first ([`crate::bounds::check_json`]: `400 too_long`, `too_many`).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    crate::bounds::check_json(bytes)?;
    serde_json::from_slice(bytes).map_err(|e| Error::MalformedJson(e.to_string()))
}

/// A path parameter; one that does not parse is `400 bad_request`.
#[derive(Debug)]
pub struct PathParam<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathParam<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| PathParam(p.0))
            .map_err(|r| Error::BadRequest(r.body_text()))
    }
}

/// The query string; one that does not parse is `400 bad_request`.
#[derive(Debug)]
pub struct QueryParam<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for QueryParam<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| QueryParam(q.0))
            .map_err(|r| Error::BadRequest(r.body_text()))
    }
}
