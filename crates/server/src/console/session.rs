//! Signing in and out, who is asking ([`Signed`]), and the accounts (admin).

use axum::extract::{FromRequestParts, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Json, Response};
use chrono::{DateTime, Utc};
use mingcha_office::account::{self, Account, Role, Session};
use serde::{Deserialize, Serialize};

use super::{Versioned, kind, load, load_all, put_doc};
use crate::api::{AppState, Body, PathParam, parse_json};
use crate::audit::{self, ClientAddr};
use crate::error::{Error, Result};
use crate::key::sha256_hex;
use crate::repo::{DocWrite, Repo};

pub const COOKIE_NAME: &str = "mingcha_session";

/// The signed-in account of a request; extracting it answers `401 not_signed_in` otherwise.
#[derive(Debug, Clone)]
pub struct Signed {
    pub account: Account,
    /// The session's key (the SHA-256 of its cookie).
    session: String,
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

fn cookie_token(headers: &HeaderMap) -> Option<String> {
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

/// Delete the session documents that have expired by `now`; answers how many. Run at each
/// sign-in, so they never pile up (an expired one is refused anyway).
pub async fn sweep_sessions(repo: &dyn Repo, now: DateTime<Utc>) -> Result<usize> {
    let all: Vec<(String, Versioned<Session>)> = load_all(repo, kind::SESSION).await?;
    let ended: Vec<DocWrite> = all
        .into_iter()
        .filter(|(_, s)| !s.value.is_live(now))
        .map(|(id, s)| DocWrite { kind: kind::SESSION, id, expect: s.version, body: None })
        .collect();
    let n = ended.len();
    if n > 0 {
        repo.write_docs(ended, vec![], "mingcha-server", now).await?;
    }
    Ok(n)
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

/// What the console shows of the signed-in account.
#[derive(Debug, Clone, Serialize)]
pub struct Me {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub role_label: &'static str,
    pub unit: Option<String>,
}

impl From<&Account> for Me {
    fn from(a: &Account) -> Self {
        Self {
            username: a.username.clone(),
            display_name: a.display_name.clone(),
            role: a.role,
            role_label: a.role.label_zh(),
            unit: a.unit.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
struct Login {
    username: String,
    password: String,
}

fn session_cookie(token: &str, max_age: i64) -> Result<HeaderValue> {
    HeaderValue::from_str(&format!("{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}"))
        .map_err(|e| Error::Internal(e.to_string()))
}

/// Sign in. Wrong passwords count against the username and the client's address; past the
/// limit every attempt is `429 rate_limited`, the right password included (see
/// [`crate::limits`]). Every outcome is in the audit log.
pub async fn login(State(state): State<AppState>, client: ClientAddr, Body(body): Body) -> Result<Response> {
    let input: Login = parse_json(&body)?;
    let username = input.username.trim().to_owned();
    let now = Utc::now();
    let repo = &*state.repo;
    let (user_key, addr_key) = (username.clone(), client.key());
    let limits = &state.limits;
    if let Some(retry_after) = limits.login_user.locked(&user_key, now)?.max(limits.login_addr.locked(&addr_key, now)?)
    {
        return Err(Error::RateLimited { retry_after });
    }
    let found: Option<Versioned<Account>> = load(repo, kind::ACCOUNT, &username).await?;
    let (hash, password) = (
        found.as_ref().map_or_else(|| account::decoy_hash().to_owned(), |a| a.value.password_hash.clone()),
        input.password,
    );
    // Argon2 is deliberately slow: off the async threads.
    let matches = tokio::task::spawn_blocking(move || account::verify_password(&hash, &password))
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    let account = match found {
        Some(a) if matches && !a.value.disabled => a.value,
        found => {
            let reason = match found {
                None => "unknown_user",
                Some(a) if a.value.disabled => "disabled",
                Some(_) => "wrong_password",
            };
            let detail = serde_json::json!({ "reason": reason });
            audit::record(repo, now, &username, "login_failed", Some(&username), client.ip(), detail).await;
            let by_user = limits.login_user.fail(&user_key, now)?;
            let by_addr = limits.login_addr.fail(&addr_key, now)?;
            if by_user || by_addr {
                let scope = if by_user { "username" } else { "address" };
                eprintln!("mingcha-server: sign-in rate limit reached for {scope} ({username}, {addr_key})");
                let detail = serde_json::json!({ "limit": "login", "scope": scope });
                audit::record(repo, now, &username, "rate_limited", Some(&username), client.ip(), detail).await;
            }
            return Err(Error::BadLogin);
        }
    };
    limits.login_user.clear(&user_key)?;
    sweep_sessions(repo, now).await?;
    let token = account::random_token()?;
    let session = Session::new(&account.username, now);
    let write = put_doc(kind::SESSION, &sha256_hex(token.as_bytes()), 0, &session)?;
    state.repo.write_docs(vec![write], vec![], &account.username, now).await?;
    audit::record(repo, now, &account.username, "login", Some(&account.username), client.ip(), serde_json::json!({}))
        .await;
    let mut response = Json(Me::from(&account)).into_response();
    response.headers_mut().insert(SET_COOKIE, session_cookie(&token, account::SESSION_HOURS * 3600)?);
    Ok(response)
}

pub async fn logout(State(state): State<AppState>, client: ClientAddr, signed: Signed) -> Result<Response> {
    let now = Utc::now();
    if let Some(s) = state.repo.doc(kind::SESSION, &signed.session).await? {
        let end = DocWrite { kind: kind::SESSION, id: signed.session.clone(), expect: s.version, body: None };
        state.repo.write_docs(vec![end], vec![], &signed.account.username, now).await?;
    }
    let who = &signed.account.username;
    audit::record(&*state.repo, now, who, "logout", Some(who), client.ip(), serde_json::json!({})).await;
    let mut response = Json(serde_json::json!({})).into_response();
    response.headers_mut().insert(SET_COOKIE, session_cookie("", 0)?);
    Ok(response)
}

pub async fn me(signed: Signed) -> Json<Me> {
    Json(Me::from(&signed.account))
}

#[derive(Debug, Deserialize)]
struct PasswordChange {
    old: String,
    new: String,
}

pub async fn change_password(State(state): State<AppState>, signed: Signed, Body(body): Body) -> Result<Json<Me>> {
    let input: PasswordChange = parse_json(&body)?;
    let username = signed.account.username.clone();
    let mut account: Versioned<Account> =
        load(&*state.repo, kind::ACCOUNT, &username).await?.ok_or(Error::NotSignedIn)?;
    let hash = account.value.password_hash.clone();
    let new_hash = tokio::task::spawn_blocking(move || {
        if !account::verify_password(&hash, &input.old) {
            return Err(Error::BadLogin);
        }
        Ok(account::hash_password(&input.new)?)
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))??;
    account.value.password_hash = new_hash;
    state.repo.write_docs(vec![account.write(kind::ACCOUNT, &username)?], vec![], &username, Utc::now()).await?;
    Ok(Json(Me::from(&account.value)))
}

/// An account as the admin page lists it: never the hash.
#[derive(Debug, Clone, Serialize)]
pub struct AccountRow {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub unit: Option<String>,
    pub disabled: bool,
    pub created_at: chrono::DateTime<Utc>,
}

impl From<Account> for AccountRow {
    fn from(a: Account) -> Self {
        Self {
            username: a.username,
            display_name: a.display_name,
            role: a.role,
            unit: a.unit,
            disabled: a.disabled,
            created_at: a.created_at,
        }
    }
}

pub async fn accounts(State(state): State<AppState>, signed: Signed) -> Result<Json<Vec<AccountRow>>> {
    signed.admin()?;
    let all: Vec<(String, Versioned<Account>)> = load_all(&*state.repo, kind::ACCOUNT).await?;
    Ok(Json(all.into_iter().map(|(_, a)| AccountRow::from(a.value)).collect()))
}

#[derive(Debug, Deserialize)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password: String,
    #[serde(default)]
    pub unit: Option<String>,
}

/// The unit id a unit contact's account is bound to: it must be a unit the office holds.
async fn check_unit(repo: &dyn Repo, role: Role, unit: Option<&str>) -> Result<Option<String>> {
    let unit = unit.map(str::trim).filter(|u| !u.is_empty());
    match (role, unit) {
        (Role::Unit, None) => Err(Error::Invalid("a unit contact's account needs its unit".into())),
        (_, None) => Ok(None),
        (_, Some(u)) => Ok(Some(super::world::resolve_unit(repo, u).await?.0)),
    }
}

/// Make an account (the console's admin page, and `mingcha-server account add`).
pub async fn create_account(repo: &dyn Repo, input: NewAccount, by: &str) -> Result<Account> {
    let username = account::check_username(&input.username)?;
    let display_name = mingcha_office::required("the display name", &input.display_name, 50)?;
    let unit = check_unit(repo, input.role, input.unit.as_deref()).await?;
    let password = input.password;
    let password_hash = tokio::task::spawn_blocking(move || account::hash_password(&password))
        .await
        .map_err(|e| Error::Internal(e.to_string()))??;
    let now = Utc::now();
    let account =
        Account { username, display_name, role: input.role, unit, password_hash, disabled: false, created_at: now };
    let write = put_doc(kind::ACCOUNT, &account.username, 0, &account)?;
    repo.write_docs(vec![write], vec![], by, now).await.map_err(|e| match e {
        Error::Conflict(_) => Error::Invalid(format!("an account named {} already exists", account.username)),
        e => e,
    })?;
    Ok(account)
}

pub async fn add_account(State(state): State<AppState>, signed: Signed, Body(body): Body) -> Result<Json<AccountRow>> {
    signed.admin()?;
    let input: NewAccount = parse_json(&body)?;
    Ok(Json(create_account(&*state.repo, input, &signed.account.username).await?.into()))
}

#[derive(Debug, Deserialize)]
struct AccountChange {
    display_name: Option<String>,
    role: Option<Role>,
    disabled: Option<bool>,
    password: Option<String>,
    unit: Option<String>,
}

pub async fn update_account(
    State(state): State<AppState>,
    signed: Signed,
    PathParam(username): PathParam<String>,
    Body(body): Body,
) -> Result<Json<AccountRow>> {
    signed.admin()?;
    let input: AccountChange = parse_json(&body)?;
    let mut a: Versioned<Account> = load(&*state.repo, kind::ACCOUNT, &username)
        .await?
        .ok_or_else(|| Error::NotFound(format!("no account {username}")))?;
    if username == signed.account.username
        && (input.disabled == Some(true) || input.role.is_some_and(|r| r != Role::Admin))
    {
        return Err(Error::Invalid("you cannot disable your own account or take away your own admin role".into()));
    }
    if let Some(name) = &input.display_name {
        a.value.display_name = mingcha_office::required("the display name", name, 50)?;
    }
    if let Some(role) = input.role {
        a.value.role = role;
    }
    if input.unit.is_some() || input.role.is_some() {
        let unit = input.unit.as_deref().or(a.value.unit.as_deref()).map(str::to_owned);
        a.value.unit = check_unit(&*state.repo, a.value.role, unit.as_deref()).await?;
    }
    if let Some(disabled) = input.disabled {
        a.value.disabled = disabled;
    }
    if let Some(password) = input.password {
        a.value.password_hash = tokio::task::spawn_blocking(move || account::hash_password(&password))
            .await
            .map_err(|e| Error::Internal(e.to_string()))??;
    }
    state
        .repo
        .write_docs(vec![a.write(kind::ACCOUNT, &username)?], vec![], &signed.account.username, Utc::now())
        .await?;
    Ok(Json(a.value.into()))
}
