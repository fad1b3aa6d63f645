//! Signing in and out, changing a password, and the accounts (admin). Who is asking is
//! [`crate::session::Signed`].

use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Json, Response};
use chrono::{DateTime, Utc};
use mingcha_office::account::{self, Account, Role, Session};
use serde::{Deserialize, Serialize};

use super::{Versioned, kind, load, load_all, put_doc};
use crate::audit::{self, ClientAddr};
use crate::error::{Error, Result};
use crate::key::sha256_hex;
use crate::repo::{DocWrite, Repo, RepoError};
pub use crate::session::{COOKIE_NAME, Signed, signed_in_username};
use crate::state::{AppState, Body, PathParam, parse_json};

/// Delete the session documents that have expired by `now`; answers how many. Run at each
/// sign-in, so they never pile up (an expired one is refused anyway).
pub async fn sweep_sessions(repo: &dyn Repo, now: DateTime<Utc>) -> Result<usize> {
    let all: Vec<(String, Versioned<Session>)> = load_all(repo, kind::SESSION).await?;
    let ended: Vec<DocWrite> = all
        .into_iter()
        .filter(|(_, s)| !s.value.is_live(now))
        .map(|(id, s)| DocWrite { kind: kind::SESSION, id, expect: s.version, body: None, ledger: None })
        .collect();
    let n = ended.len();
    if n > 0 {
        repo.write_docs(ended, vec![], "mingcha-server", now).await?;
    }
    Ok(n)
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

/// The session cookie. Always `Secure`, also behind `--plain-http`: there the browser speaks
/// HTTPS to the proxy, and browsers take a `Secure` cookie from `http://localhost` too.
fn session_cookie(token: &str, max_age: i64) -> Result<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={token}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age={max_age}"
    ))
    .map_err(|e| Error::Internal(e.to_string()))
}

/// The writes that end every session of `username` (a password changed or reset, an account
/// disabled): a session stolen before is worth nothing after.
pub async fn ending_sessions(repo: &dyn Repo, username: &str) -> Result<Vec<DocWrite>> {
    let all: Vec<(String, Versioned<Session>)> = load_all(repo, kind::SESSION).await?;
    Ok(all
        .into_iter()
        .filter(|(_, s)| s.value.username == username)
        .map(|(id, s)| DocWrite { kind: kind::SESSION, id, expect: s.version, body: None, ledger: None })
        .collect())
}

/// A new session for `username`: its cookie's value and the write that keeps it.
fn new_session(username: &str, now: DateTime<Utc>) -> Result<(String, DocWrite)> {
    let token = account::random_token()?;
    let write = put_doc(kind::SESSION, &sha256_hex(token.as_bytes()), 0, &Session::new(username, now))?;
    Ok((token, write))
}

/// Sign in. Every refused sign-in counts against the client's address, and a wrong password
/// against the username too, each counted as an attempt before the password is hashed; past
/// the limit every attempt is `429 rate_limited`, the right password included (see
/// [`crate::limits`]). At most a few passwords are verified at once (`429 busy` after a brief
/// wait). Every outcome is in the audit log, identical refusals as one counted row.
pub async fn login(State(state): State<AppState>, client: ClientAddr, body: Result<Body>) -> Result<Response> {
    let now = Utc::now();
    let repo = &*state.repo;
    let limits = &state.limits;
    let addr_key = client.key();
    let by_addr = limits.login_addr.attempt(&addr_key, now)?;
    // The username is bounded (`crate::bounds::USERNAME_MAX`) before it is a limiter's key.
    let input = match body.and_then(|Body(b)| parse_json::<Login>(&b)) {
        Ok(input) => input,
        Err(e) => {
            let detail = serde_json::json!({ "reason": "bad_request", "code": e.code() });
            audit::refused(&state, now, "anonymous", "login_failed", None, client.ip(), detail).await;
            trip(&state, &client, now, "anonymous", by_addr.reaches_limit.then_some("address")).await;
            return Err(e);
        }
    };
    let username = input.username.trim().to_owned();
    let by_user = match limits.login_user.attempt(&username, now) {
        Ok(a) => a,
        Err(locked) => {
            limits.login_addr.forgive(&addr_key, &by_addr)?;
            return Err(locked);
        }
    };
    let forgive = || -> Result<()> {
        limits.login_addr.forgive(&addr_key, &by_addr)?;
        limits.login_user.forgive(&username, &by_user)
    };
    let turn = match limits.hashing.enter().await {
        Ok(turn) => turn,
        Err(busy) => {
            forgive()?;
            let detail = serde_json::json!({ "reason": "busy" });
            audit::refused(&state, now, &username, "login_failed", Some(&username), client.ip(), detail).await;
            return Err(busy);
        }
    };
    let found: Option<Versioned<Account>> = load(repo, kind::ACCOUNT, &username).await?;
    let (hash, password) = (
        found.as_ref().map_or_else(|| account::decoy_hash().to_owned(), |a| a.value.password_hash.clone()),
        input.password,
    );
    // Argon2 is deliberately slow: off the async threads, holding its turn until it ends.
    let matches = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        account::verify_password(&hash, &password)
    })
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
            audit::refused(&state, now, &username, "login_failed", Some(&username), client.ip(), detail).await;
            let scope =
                if by_user.reaches_limit { Some("username") } else { by_addr.reaches_limit.then_some("address") };
            trip(&state, &client, now, &username, scope).await;
            return Err(Error::BadLogin);
        }
    };
    limits.login_user.clear(&username)?;
    limits.login_addr.forgive(&addr_key, &by_addr)?;
    sweep_sessions(repo, now).await?;
    let (token, write) = new_session(&account.username, now)?;
    state.repo.write_docs(vec![write], vec![], &account.username, now).await?;
    audit::record(repo, now, &account.username, "login", Some(&account.username), client.ip(), serde_json::json!({}))
        .await;
    let mut response = Json(Me::from(&account)).into_response();
    response.headers_mut().insert(SET_COOKIE, session_cookie(&token, account::SESSION_HOURS * 3600)?);
    Ok(response)
}

/// The row saying a sign-in limit tripped (`scope`: `username` or `address`), if one did.
async fn trip(state: &AppState, client: &ClientAddr, now: DateTime<Utc>, who: &str, scope: Option<&str>) {
    let Some(scope) = scope else { return };
    eprintln!("mingcha-server: sign-in rate limit reached for {scope} ({who}, {})", client.key());
    let detail = serde_json::json!({ "limit": "login", "scope": scope });
    let target = (who != "anonymous").then_some(who);
    audit::record(&*state.repo, now, who, "rate_limited", target, client.ip(), detail).await;
}

pub async fn logout(State(state): State<AppState>, client: ClientAddr, signed: Signed) -> Result<Response> {
    let now = Utc::now();
    if let Some(s) = state.repo.doc(kind::SESSION, &signed.session).await? {
        let end =
            DocWrite { kind: kind::SESSION, id: signed.session.clone(), expect: s.version, body: None, ledger: None };
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

/// Change one's own password. The old password is checked like a sign-in: counted against the
/// username before it is hashed (so it shares sign-in's limit), in its turn. Every session of
/// the account ends, this one included; the answer carries a new cookie for this browser.
pub async fn change_password(
    State(state): State<AppState>,
    client: ClientAddr,
    signed: Signed,
    Body(body): Body,
) -> Result<Response> {
    let input: PasswordChange = parse_json(&body)?;
    let now = Utc::now();
    let limits = &state.limits;
    let username = signed.account.username.clone();
    let attempt = limits.login_user.attempt(&username, now)?;
    let turn = match limits.hashing.enter().await {
        Ok(turn) => turn,
        Err(busy) => {
            limits.login_user.forgive(&username, &attempt)?;
            return Err(busy);
        }
    };
    let mut account: Versioned<Account> =
        load(&*state.repo, kind::ACCOUNT, &username).await?.ok_or(Error::NotSignedIn)?;
    let hash = account.value.password_hash.clone();
    let new_hash = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        if !account::verify_password(&hash, &input.old) {
            return Err(Error::BadLogin);
        }
        Ok(account::hash_password(&input.new)?)
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?;
    let new_hash = match new_hash {
        Ok(h) => h,
        Err(Error::BadLogin) => {
            if attempt.reaches_limit {
                eprintln!("mingcha-server: password-change rate limit reached for {username}");
                let detail = serde_json::json!({ "limit": "password", "scope": "username" });
                audit::record(&*state.repo, now, &username, "rate_limited", Some(&username), client.ip(), detail).await;
            }
            return Err(Error::BadLogin);
        }
        Err(e) => {
            // The old password was right (a new one too short, say): not a guess.
            limits.login_user.forgive(&username, &attempt)?;
            return Err(e);
        }
    };
    limits.login_user.clear(&username)?;
    account.value.password_hash = new_hash;
    let mut writes = vec![account.write(kind::ACCOUNT, &username)?];
    writes.extend(ending_sessions(&*state.repo, &username).await?);
    let (token, session) = new_session(&username, now)?;
    writes.push(session);
    state.repo.write_docs(writes, vec![], &username, now).await?;
    let mut response = Json(Me::from(&account.value)).into_response();
    response.headers_mut().insert(SET_COOKIE, session_cookie(&token, account::SESSION_HOURS * 3600)?);
    Ok(response)
}

/// Set `username`'s password (an admin's reset, `mingcha-server account password`) and end
/// every session of the account in the same write.
pub async fn reset_password(repo: &dyn Repo, username: &str, password: String, by: &str) -> Result<Account> {
    let mut a: Versioned<Account> =
        load(repo, kind::ACCOUNT, username).await?.ok_or_else(|| Error::NotFound(format!("no account {username}")))?;
    crate::bounds::check_text("password", &password, crate::bounds::PASSWORD_MAX)?;
    a.value.password_hash = tokio::task::spawn_blocking(move || account::hash_password(&password))
        .await
        .map_err(|e| Error::Internal(e.to_string()))??;
    let mut writes = vec![a.write(kind::ACCOUNT, username)?];
    writes.extend(ending_sessions(repo, username).await?);
    repo.write_docs(writes, vec![], by, Utc::now()).await?;
    Ok(a.value)
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
    // The command line's password too: one a sign-in could not send is refused here.
    crate::bounds::check_text("password", &input.password, crate::bounds::PASSWORD_MAX)?;
    let password = input.password;
    let password_hash = tokio::task::spawn_blocking(move || account::hash_password(&password))
        .await
        .map_err(|e| Error::Internal(e.to_string()))??;
    let now = Utc::now();
    let account =
        Account { username, display_name, role: input.role, unit, password_hash, disabled: false, created_at: now };
    let write = put_doc(kind::ACCOUNT, &account.username, 0, &account)?;
    repo.write_docs(vec![write], vec![], by, now).await.map_err(|e| match e {
        RepoError::Conflict(_) => Error::Invalid(format!("an account named {} already exists", account.username)),
        e => e.into(),
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
    let reset = input.password.is_some();
    if let Some(password) = input.password {
        a.value.password_hash = tokio::task::spawn_blocking(move || account::hash_password(&password))
            .await
            .map_err(|e| Error::Internal(e.to_string()))??;
    }
    let mut writes = vec![a.write(kind::ACCOUNT, &username)?];
    // A reset password or a disabled account: whoever holds one of its sessions is out.
    if reset || input.disabled == Some(true) {
        writes.extend(ending_sessions(&*state.repo, &username).await?);
    }
    state.repo.write_docs(writes, vec![], &signed.account.username, Utc::now()).await?;
    Ok(Json(a.value.into()))
}
