//! The console's pages: `ui/dist` embedded at build time (see `build.rs`).

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::{AppState, PathParam};

mod built {
    include!(concat!(env!("OUT_DIR"), "/console_assets.rs"));
}

pub fn routes() -> Vec<(Method, &'static str)> {
    vec![(Method::GET, "/"), (Method::GET, "/assets/{*path}")]
}

pub fn router(api: Router<AppState>) -> Router<AppState> {
    api.route("/", get(index)).route("/assets/{*path}", get(asset))
}

fn media_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, e)| e) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        Some("ttf") => "font/ttf",
        _ => "application/octet-stream",
    }
}

fn file(path: &str) -> Option<&'static [u8]> {
    built::FILES.iter().find(|(p, _)| *p == path).map(|(_, bytes)| *bytes)
}

fn respond(path: &str, bytes: &'static [u8], cache: &'static str) -> Response {
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(media_type(path)));
    h.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Only this office's own scripts, styles and images; evidence is served same-origin.
    h.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        ),
    );
    r
}

async fn index() -> Response {
    match file("/console.html") {
        Some(bytes) => respond("/console.html", bytes, "no-cache"),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "The office console was not built into this server. Run `npm install && npm run build` in ui/, \
             then build mingcha-server again (cargo xtask test does both).",
        )
            .into_response(),
    }
}

async fn asset(PathParam(path): PathParam<String>) -> Response {
    let full = format!("/assets/{path}");
    match file(&full) {
        // Vite names built files by their content hash.
        Some(bytes) => respond(&full, bytes, "public, max-age=31536000, immutable"),
        None => crate::error::Error::NotFound(format!("no file {full}")).into_response(),
    }
}
