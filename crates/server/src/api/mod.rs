//! The device API (`docs/sync-protocol.md`): its route table and handlers, and the router that
//! joins them with the console's.

pub mod blobs;
mod custody;
mod edge;
mod enroll;
mod pull;
mod sync;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::response::Json;
use axum::routing::{MethodRouter, get, post, put};
use mingcha_core::sync::JSON_BODY_MAX;

use crate::error::Error;
pub use crate::state::AppState;

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
