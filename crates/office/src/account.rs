//! Office accounts (账号), their roles, passwords (Argon2id) and sign-in sessions.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::OfficeError;

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 管理员: accounts, devices, templates, taxonomy, and everything a reviewer does.
    Admin,
    /// 审核员: review, notices, rectification.
    Reviewer,
    /// 查看: reads everything, changes nothing.
    Viewer,
    /// 单位联系人: a responsible unit's contact, who sees that unit's problems and reports
    /// their rectification (整改反馈).
    Unit,
}

impl Role {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Admin => "管理员",
            Self::Reviewer => "审核员",
            Self::Viewer => "查看",
            Self::Unit => "单位联系人",
        }
    }

    /// Review, notices, 交办, 复核, 销号.
    pub fn may_review(self) -> bool {
        matches!(self, Self::Admin | Self::Reviewer)
    }

    pub fn may_administer(self) -> bool {
        self == Self::Admin
    }

    /// Everything but a unit's own problems, by role alone: what an account reads also
    /// depends on its unit ([`Account::reader`]).
    pub fn sees_everything(self) -> bool {
        self != Self::Unit
    }
}

/// Whose eyes an account reads the office with. An account bound to a unit, other than a
/// reviewer's or an admin's, belongs to someone of that unit: it reads what the unit may read,
/// and nothing that names who inspected it (暗访 depends on that).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader<'a> {
    /// Office staff: every finding, batch, inspector and comment.
    Office,
    /// One unit (its id): the problems handed to it, as the unit is told of them.
    Unit(&'a str),
}

/// One office account. The password is kept only as an Argon2id hash (PHC string).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// For a [`Role::Unit`] account: the unit's id (as the devices know it).
    pub unit: Option<String>,
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

impl Account {
    /// Whose eyes this account reads with: a unit contact, and a viewer bound to a unit, read
    /// as their unit; everyone else as the office.
    pub fn reader(&self) -> Reader<'_> {
        match (self.role, self.unit.as_deref()) {
            (Role::Unit, unit) => Reader::Unit(unit.unwrap_or_default()),
            (Role::Viewer, Some(unit)) => Reader::Unit(unit),
            _ => Reader::Office,
        }
    }

    /// The unit this account reports rectification (整改反馈) for: a unit contact's own. A
    /// viewer writes nothing, whatever unit it is bound to.
    pub fn reports_for(&self) -> Option<&str> {
        match self.role {
            Role::Unit => self.unit.as_deref(),
            _ => None,
        }
    }
}

/// A username: 2–32 characters, letters, digits, `.`, `_`, `-` (no spaces, no `/`, so it can
/// sit in a URL path).
pub fn check_username(s: &str) -> Result<String, OfficeError> {
    let s = s.trim();
    let ok =
        (2..=32).contains(&s.chars().count()) && s.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(s.to_owned())
    } else {
        Err(OfficeError::Invalid(format!("a username has 2 to 32 letters, digits, `.`, `_` or `-`; `{s}` does not")))
    }
}

/// Passwords have at least 10 characters; nothing else is demanded of them.
pub const PASSWORD_MIN: usize = 10;

pub fn hash_password(password: &str) -> Result<String, OfficeError> {
    if password.chars().count() < PASSWORD_MIN {
        return Err(OfficeError::Invalid(format!("a password has at least {PASSWORD_MIN} characters")));
    }
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| OfficeError::Internal(format!("no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| OfficeError::Internal(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| OfficeError::Internal(format!("hashing a password: {e}")))
}

/// Whether `password` matches `hash`. A malformed hash matches nothing.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A hash of a password nobody has, verified when the username is unknown, so that the answer
/// takes as long as for a known one and does not tell which usernames exist.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("no account has this password").unwrap_or_default())
}

/// How long a sign-in lasts.
pub const SESSION_HOURS: i64 = 12;

/// A signed-in browser. The office keeps it under the SHA-256 of its cookie, never the cookie.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub username: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Session {
    pub fn new(username: &str, now: DateTime<Utc>) -> Self {
        Self { username: username.to_owned(), created_at: now, expires_at: now + Duration::hours(SESSION_HOURS) }
    }

    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }
}

/// 32 random bytes as hex: session cookies, one-time links.
pub fn random_token() -> Result<String, OfficeError> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| OfficeError::Internal(format!("no randomness: {e}")))?;
    Ok(mingcha_core::hex::encode(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_only_against_its_own_hash() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password(&hash, "correct horse battery"));
        assert!(!verify_password(&hash, "correct horse batterY"));
        assert!(!verify_password("not a hash", "correct horse battery"));
        assert!(!verify_password(decoy_hash(), "correct horse battery"));
    }

    #[test]
    fn short_passwords_and_odd_usernames_are_refused() {
        assert!(hash_password("short").is_err());
        assert!(check_username("li ming").is_err());
        assert!(check_username("a/b").is_err());
        assert_eq!(check_username(" liming ").unwrap(), "liming");
        assert_eq!(check_username("审核员王").unwrap(), "审核员王");
    }

    fn account(role: Role, unit: Option<&str>) -> Account {
        Account {
            username: "u".into(),
            display_name: "u".into(),
            role,
            unit: unit.map(Into::into),
            password_hash: String::new(),
            disabled: false,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn an_account_bound_to_a_unit_reads_as_that_unit_unless_it_is_staff() {
        assert_eq!(account(Role::Unit, Some("u1")).reader(), Reader::Unit("u1"));
        assert_eq!(account(Role::Unit, None).reader(), Reader::Unit(""), "a unit contact without a unit sees nothing");
        assert_eq!(account(Role::Viewer, Some("u1")).reader(), Reader::Unit("u1"));
        assert_eq!(account(Role::Viewer, None).reader(), Reader::Office);
        assert_eq!(account(Role::Reviewer, Some("u1")).reader(), Reader::Office);
        assert_eq!(account(Role::Unit, Some("u1")).reports_for(), Some("u1"));
        assert_eq!(account(Role::Viewer, Some("u1")).reports_for(), None, "a viewer writes nothing");
    }

    #[test]
    fn a_session_ends_after_twelve_hours() {
        let now = Utc::now();
        let s = Session::new("wang", now);
        assert!(s.is_live(now + Duration::hours(11)));
        assert!(!s.is_live(now + Duration::hours(12)));
    }
}
