//! The custody checks (证据链核验), as pure functions over what the office read from its tables
//! and its blob store: blob bytes ↔ their name ↔ the evidence records naming them ↔ each change
//! row ↔ the change its device signed in a batch, linked into the device's chain ↔ the stored
//! manifest, its digest and the device's signature ↔ the receipt the office signed ↔ the log
//! entry, its inclusion in the log ↔ the signed head of its day, and consecutive heads
//! consistent with each other.
//!
//! The checks read the raw bytes the store holds ([`Holdings`]), so anything damaged (not
//! UTF-8, not JSON, not the canonical form that was signed) is reported as a failed check,
//! never a panic. Every check names what it is about; [`Scope`] picks the checks of one photo,
//! finding, batch or notice, and the whole-log checks always come along, since a rewritten log
//! endangers every entry.
//!
//! Nothing here reads a file: the caller asks a [`Plan`] which blobs a scope needs,
//! hashes them as it streams them from its store, and passes what it found to [`verify`].

mod batches;
mod blobs;
mod held;
mod log;
mod report;
mod scope;

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate, Offset, Utc};
use ed25519_dalek::VerifyingKey;
use serde::Serialize;

pub use held::{HeldBatch, HeldChange, HeldDevice, HeldHead, HeldLogRow, Holdings};
pub use report::{Check, Report, Scope, Subject};
pub use scope::{AmbiguousScope, Plan, resolve};

/// What the blob store answered for each blob [`Plan::blobs_to_hash`] asked for: the SHA-256 (hex)
/// and length of the bytes it holds under that name, or `None` when it holds nothing there.
pub type BlobDigests = HashMap<String, Option<(String, u64)>>;

/// The day (China Standard Time, UTC+8) an instant falls on: the office signs one head a day.
pub fn office_day(t: DateTime<Utc>) -> NaiveDate {
    let cst = FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix());
    t.with_timezone(&cst).date_naive()
}

/// Verify `scope` against what the office holds. `office_key` is the office's public key;
/// `hashed` is what the blob store holds for the blobs of [`Plan::blobs_to_hash`].
pub fn verify(h: &Holdings, hashed: &BlobDigests, office_key: &VerifyingKey, plan: &Plan) -> Report {
    let mut c = Checks(Vec::new());
    let batches = batches::batches(h, office_key, &mut c);
    batches::changes(h, &batches, &mut c);
    log::log(h, &batches, office_key, &mut c);
    let wanted = &plan.wanted;
    blobs::blobs(h, hashed, wanted.as_ref(), &mut c);

    let checks = match wanted {
        None => c.0,
        Some(w) => c.0.into_iter().filter(|ch| ch.about.iter().any(|s| *s == Subject::Log || w.contains(s))).collect(),
    };
    let mut scope_text = plan.scope.describe();
    if let Some(w) = wanted
        && !w.iter().any(|s| matches!(s, Subject::Change(_) | Subject::Blob(_) | Subject::Batch(_)))
    {
        // Checks of the log as a whole would only say that something else holds.
        scope_text.push_str(" (the office holds nothing under this name)");
        return Report { scope: scope_text, holds: false, checks: Vec::new() };
    }
    let holds = checks.iter().all(|ch| ch.ok) && wanted.as_ref().is_none_or(|w| !w.is_empty());
    Report { scope: scope_text, holds, checks }
}

/// SHA-256 of `bytes`, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    mingcha_core::hex::encode(&sha2::Sha256::digest(bytes))
}

/// Parse a device's public key (hex).
pub fn parse_public_key(hex_key: &str) -> Option<VerifyingKey> {
    VerifyingKey::from_bytes(&mingcha_core::hex::decode_array::<32>(hex_key)?).ok()
}

/// Does `signature_hex` verify `message` under `key`?
pub fn signature_verifies(key: &VerifyingKey, message: &[u8], signature_hex: &str) -> bool {
    let Some(bytes) = mingcha_core::hex::decode_array::<64>(signature_hex) else { return false };
    key.verify_strict(message, &ed25519_dalek::Signature::from_bytes(&bytes)).is_ok()
}

/// A signature verifies, and is written exactly as the office or device wrote it (lower-case
/// hex): an upper-cased digit decodes to the same bytes but is still an altered record.
fn verifies(key: &VerifyingKey, message: &[u8], signature: &str) -> bool {
    mingcha_core::hex::decode(signature).is_some_and(|b| mingcha_core::hex::encode(&b) == signature)
        && signature_verifies(key, message, signature)
}

/// Ids in messages: a UUID whole (the first characters of a UUIDv7 are only its time), a
/// digest by its first 12 characters.
fn short(s: &str) -> String {
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) { s[..12].to_owned() + "…" } else { s.to_owned() }
}

/// The checks made so far.
struct Checks(Vec<Check>);

impl Checks {
    fn push(&mut self, ok: bool, kind: &'static str, about: Vec<Subject>, message: String) {
        self.0.push(Check { ok, kind, message, about });
    }
}

/// Why stored bytes could not be read as what they should be; the text completes a sentence
/// naming the bytes ("the stored manifest …", "change 7 of device …: …").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum Damage {
    #[error("is not valid UTF-8 ({0})")]
    NotUtf8(String),
    #[error("is not valid JSON of its kind ({0})")]
    NotJson(String),
    #[error("is not in the canonical form it was written in (it was altered)")]
    NotCanonical,
    /// A field of a change row: the words say which and how.
    #[error("{0}")]
    Field(String),
}

/// Parse stored bytes as the JSON of `T`, refusing anything not in canonical form (the bytes
/// `serde_json` writes for the value): a bit flip that still parses is a change too.
fn canonical<T: serde::de::DeserializeOwned + Serialize>(bytes: &[u8]) -> Result<T, Damage> {
    let text = std::str::from_utf8(bytes).map_err(|e| Damage::NotUtf8(e.to_string()))?;
    let value: T = serde_json::from_str(text).map_err(|e| Damage::NotJson(e.to_string()))?;
    match serde_json::to_vec(&value) {
        Ok(again) if again == bytes => Ok(value),
        _ => Err(Damage::NotCanonical),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_office_day_is_china_standard_time() {
        let late: DateTime<Utc> = "2026-11-22T15:59:59Z".parse().unwrap_or_default();
        let next: DateTime<Utc> = "2026-11-22T16:00:00Z".parse().unwrap_or_default();
        assert_eq!(office_day(late).to_string(), "2026-11-22");
        assert_eq!(office_day(next).to_string(), "2026-11-23");
    }

    #[test]
    fn a_blob_is_judged_by_what_the_store_hashed_not_by_its_name() {
        let sha = "a".repeat(64);
        let h = Holdings { blobs: vec![(sha.clone(), 3)], ..Holdings::default() };
        let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
        let plan = Plan::new(&h, &Scope::Everything);
        assert_eq!(plan.blobs_to_hash(&h), vec![sha.clone()]);
        let report = |held| verify(&h, &BlobDigests::from([(sha.clone(), held)]), &key, &plan);
        assert!(report(Some((sha.clone(), 3))).holds);
        let altered = report(Some(("b".repeat(64), 3)));
        assert!(!altered.holds && altered.failures().any(|c| c.message.contains("do NOT hash to its name")));
        let shorter = report(Some((sha.clone(), 2)));
        assert!(shorter.failures().any(|c| c.message.contains("not the recorded 3 bytes")));
        assert!(report(None).failures().any(|c| c.message.contains("missing from the blob store")));
    }

    #[test]
    fn a_damaged_stored_json_says_how() {
        assert!(matches!(canonical::<Vec<u32>>(b"[1, 2]"), Err(Damage::NotCanonical)));
        assert!(matches!(canonical::<Vec<u32>>(b"[1,"), Err(Damage::NotJson(_))));
        assert!(matches!(canonical::<Vec<u32>>(b"\xff"), Err(Damage::NotUtf8(_))));
        assert_eq!(canonical::<Vec<u32>>(b"[1,2]"), Ok(vec![1, 2]));
    }
}
