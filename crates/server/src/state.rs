//! What every handler reaches ([`AppState`]), and the extractors that turn every malformed
//! request into the office's JSON error, never axum's plain-text rejections. Both the device
//! API and the console build on this; it knows neither.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::blobs::BlobStore;
use crate::error::{Error, Result};
use crate::key::ServerKey;
use crate::memory::{NonceCache, Repeats};
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
    pub repeats: Arc<Repeats>,
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
