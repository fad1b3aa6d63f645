//! Who is asking the console: the session cookie, and [`Signed`], the signed-in account of a
//! request (extracting it answers `401 not_signed_in` otherwise). The audit log and the console
//! both read it; signing in and out is the console's (`console::session`).

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use axum::http::request::Parts;
use chrono::Utc;
use mingcha_office::account::{self, Account, Role, Session};

use crate::app::{Versioned, kind, load};
use crate::error::{Error, Result};
use crate::key::sha256_hex;
use crate::state::AppState;

/// The session cookie's name. `__Host-`: a browser keeps it only if it came over HTTPS with
/// `Secure`, `Path=/` and no `Domain`, so no other host (a sibling subdomain, a page on plain
/// HTTP) can set or overwrite it.
pub const COOKIE_NAME: &str = "__Host-mingcha_session";

/// The signed-in account of a request; extracting it answers `401 not_signed_in` otherwise.
#[derive(Debug, Clone)]
pub struct Signed {
    pub account: Account,
    /// The session's key (the SHA-256 of its cookie).
    pub(crate) session: String,
}

impl Signed {
    pub fn name(&self) -> &str {
        &self.account.display_name
    }

    pub fn role(&self) -> Role {
        self.account.role
    }

    /// 审核员 or 管理员.
    pub fn reviewer(&self) -> Result<&Self> {
        if self.role().may_review() { Ok(self) } else { Err(Error::Forbidden("review, notify or rectify")) }
    }

    pub fn admin(&self) -> Result<&Self> {
        if self.role().may_administer() { Ok(self) } else { Err(Error::Forbidden("administer the office")) }
    }

    /// Anyone who reads as the office: not a unit contact, nor a viewer bound to a unit (who
    /// see only their unit's problems).
    pub fn office_staff(&self) -> Result<&Self> {
        match self.account.reader() {
            account::Reader::Office => Ok(self),
            account::Reader::Unit(_) => Err(Error::Forbidden("see what the office keeps beyond your unit's problems")),
        }
    }
}

pub(crate) fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE_NAME)
        .map(|(_, v)| v.to_owned())
}

/// The username of a live session's cookie in `headers`, if any (for the audit log).
pub async fn signed_in_username(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let token = cookie_token(headers)?;
    let session: Versioned<Session> = load(&*state.repo, kind::SESSION, &sha256_hex(token.as_bytes())).await.ok()??;
    Some(session.value.username)
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let token = cookie_token(&parts.headers).ok_or(Error::NotSignedIn)?;
        let key = sha256_hex(token.as_bytes());
        let session: Versioned<Session> = load(&*state.repo, kind::SESSION, &key).await?.ok_or(Error::NotSignedIn)?;
        if !session.value.is_live(Utc::now()) {
            return Err(Error::NotSignedIn);
        }
        let account: Versioned<Account> =
            load(&*state.repo, kind::ACCOUNT, &session.value.username).await?.ok_or(Error::NotSignedIn)?;
        if account.value.disabled {
            return Err(Error::NotSignedIn);
        }
        Ok(Self { account: account.value, session: key })
    }
}
