//! The enrollment token as the office prints it and the inspector types or pastes it: the
//! one-time secret and the fingerprint of the office's TLS certificate, in one string, so the
//! laptop learns which certificate to trust from the same piece of paper that lets it in.
//!
//! ```text
//! mc1.<secret: 64 hex>.<certificate SHA-256: 64 hex>   an office that speaks TLS itself
//! mc1.<secret: 64 hex>                                  an office behind a TLS-terminating proxy
//! ```
//!
//! `mc1` names the format and its version: a bare 64-hex token (from an office before TLS)
//! is refused with its own error, so the inspector is told to ask for a new one rather than
//! that the token is wrong.

use std::fmt;

use crate::hex;

/// The prefix and version of the token's format.
pub const PREFIX: &str = "mc1";

/// A parsed enrollment token.
#[derive(Clone, PartialEq, Eq)]
pub struct EnrollToken {
    /// The one-time secret (64 lower-case hex); the office keeps only its SHA-256.
    pub secret: String,
    /// The SHA-256 (64 lower-case hex) of the office's certificate, in DER; `None` when the
    /// office runs behind a proxy that holds the certificate.
    pub pin: Option<String>,
}

// The secret stays out of logs and panics.
impl fmt::Debug for EnrollToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnrollToken").field("pin", &self.pin).finish_non_exhaustive()
    }
}

/// Why a string is not an enrollment token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error(
        "this enrollment token is in the old format, without the office's certificate; ask the office for a new one"
    )]
    Outdated,
    #[error("this is not an enrollment token (it starts with `mc1.` and was printed by the office)")]
    Malformed,
}

impl TokenError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Outdated => "token_outdated",
            Self::Malformed => "bad_token_format",
        }
    }
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && hex::decode(s).is_some()
}

impl EnrollToken {
    /// A token for `secret` (64 hex) and the office's certificate fingerprint, if it has one.
    pub fn new(secret: String, pin: Option<String>) -> Self {
        Self { secret, pin }
    }

    /// Parse what the inspector pasted (surrounding spaces and upper-case hex are forgiven).
    pub fn parse(text: &str) -> Result<Self, TokenError> {
        let text = text.trim().to_ascii_lowercase();
        if is_hex64(&text) {
            return Err(TokenError::Outdated);
        }
        let mut parts = text.split('.');
        if parts.next() != Some(PREFIX) {
            return Err(TokenError::Malformed);
        }
        let secret = parts.next().filter(|s| is_hex64(s)).ok_or(TokenError::Malformed)?.to_owned();
        let pin = match parts.next() {
            None => None,
            Some(p) if is_hex64(p) => Some(p.to_owned()),
            Some(_) => return Err(TokenError::Malformed),
        };
        if parts.next().is_some() {
            return Err(TokenError::Malformed);
        }
        Ok(Self { secret, pin })
    }
}

impl fmt::Display for EnrollToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PREFIX}.{}", self.secret)?;
        if let Some(pin) = &self.pin {
            write!(f, ".{pin}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    const PIN: &str = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

    #[test]
    fn a_token_round_trips_with_and_without_its_pin() {
        let pinned = EnrollToken::new(SECRET.into(), Some(PIN.into()));
        let text = pinned.to_string();
        assert_eq!(text, format!("mc1.{SECRET}.{PIN}"));
        assert_eq!(EnrollToken::parse(&format!("  {}\n", text.to_uppercase().replace("MC1", "mc1"))), Ok(pinned));
        let bare = EnrollToken::new(SECRET.into(), None);
        assert_eq!(EnrollToken::parse(&bare.to_string()), Ok(bare));
    }

    #[test]
    fn an_old_token_is_told_apart_from_a_wrong_one() {
        assert_eq!(EnrollToken::parse(SECRET), Err(TokenError::Outdated));
        assert_eq!(TokenError::Outdated.code(), "token_outdated");
        for bad in ["", "mc1", "mc1.", "mc2.{SECRET}", "mc1.abc", "mc1.{SECRET}.xyz", "mc1.{SECRET}.{PIN}.{PIN}"] {
            let bad = bad.replace("{SECRET}", SECRET).replace("{PIN}", PIN);
            assert_eq!(EnrollToken::parse(&bad), Err(TokenError::Malformed), "{bad}");
        }
    }

    #[test]
    fn the_secret_never_shows_in_debug_output() {
        let t = EnrollToken::new(SECRET.into(), Some(PIN.into()));
        assert!(!format!("{t:?}").contains(SECRET));
    }
}
