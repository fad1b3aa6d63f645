//! How much the office takes from outside: every length, count and size it accepts, in one
//! place, checked where a request is parsed, before anything is hashed, looked up or stored.
//!
//! - **Text fields.** Every JSON body the office parses ([`crate::state::parse_json`]) is walked
//!   once before it is decoded ([`check_json`]): a field of the request (a key of the body's
//!   top-level object) is held to its limit in [`FIELDS`] (in characters, as the domain counts
//!   them), anything not named there, and anything nested deeper (a manifest's payloads, a
//!   published template), to [`STRING_MAX`]; a key to [`KEY_MAX`]; a list that is a request's
//!   own field to [`LIST_MAX`] items. Over the limit is `400 too_long` / `400 too_many`, with
//!   the field and the limit in `detail`. The domain's own rules (a return comment of at most
//!   500 characters, say) stay where they are and may be tighter: these are the edge's.
//! - **Audit rows** are cut to [`AUDIT_TEXT_MAX`] characters a column and [`AUDIT_DETAIL_MAX`]
//!   bytes of detail, with a mark ([`cut`]).
//! - **Evidence blobs** a laptop uploads: at most [`BlobQuota::file_max`] bytes one file and
//!   [`BlobQuota::batch_max`] one batch, refused when the batch is offered (`413
//!   blob_too_large`, `413 batch_over_quota`); uploads left unfinished for
//!   [`BlobQuota::part_max_age`] are swept ([`crate::blobs::DiskBlobStore::sweep_parts`]).
//! - **Images** decoded for a notice: [`image_limits`].

use std::cell::RefCell;

use chrono::Duration;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::error::{Error, Result};
use crate::repo::RepoError;

/// A console username (as `mingcha_office::account::check_username` allows), also the key the
/// sign-in limiter counts under: an unbounded name could not be one.
pub const USERNAME_MAX: usize = 32;
/// A password, old or new (Argon2 takes any length; the office does not).
pub const PASSWORD_MAX: usize = 256;
/// A name: an inspector, a unit, a person responsible, an account's display name.
pub const NAME_MAX: usize = 100;
/// A laptop's name as its inspector typed it.
pub const DEVICE_NAME_MAX: usize = 200;
/// An id, a digest, a key in hex, a date.
pub const ID_MAX: usize = 128;
/// An enrollment token as printed (`mc1.<secret>.<fingerprint>`), with room to spare.
pub const TOKEN_MAX: usize = 256;
/// A description, a comment, measures (整改措施), a unit's report.
pub const TEXT_MAX: usize = 2000;
/// A notice's title and its addressees.
pub const TITLE_MAX: usize = 200;
/// A notice's opening or closing paragraphs.
pub const NOTICE_TEXT_MAX: usize = 20_000;
/// Any other string the office parses, at any depth.
pub const STRING_MAX: usize = 20_000;
/// A key of a JSON object.
pub const KEY_MAX: usize = 100;
/// The items of a list that is a request's own field (problems of a notice, files of a report).
pub const LIST_MAX: usize = 1000;

/// The request fields the office knows, by name, and the most characters each may have. The
/// same name means the same thing in every request that has it.
pub const FIELDS: &[(&str, usize)] = &[
    // Sign-in and accounts.
    ("username", USERNAME_MAX),
    ("password", PASSWORD_MAX),
    ("old", PASSWORD_MAX),
    ("new", PASSWORD_MAX),
    ("display_name", NAME_MAX),
    ("role", ID_MAX),
    // Enrollment.
    ("token", TOKEN_MAX),
    ("device_id", ID_MAX),
    ("device_name", DEVICE_NAME_MAX),
    ("public_key", ID_MAX),
    ("inspector_name", NAME_MAX),
    // Names, units, people.
    ("name", NAME_MAX),
    ("unit", NAME_MAX),
    ("person", NAME_MAX),
    // Review, ledger and rectification.
    ("comment", TEXT_MAX),
    ("text", TEXT_MAX),
    ("measures", TEXT_MAX),
    ("description", TEXT_MAX),
    ("deadline", ID_MAX),
    ("into", ID_MAX),
    ("revisit_finding", ID_MAX),
    ("files", ID_MAX),
    ("problem_ids", ID_MAX),
    // Notices and their settings.
    ("title", TITLE_MAX),
    ("addressees", TITLE_MAX),
    ("intro", NOTICE_TEXT_MAX),
    ("closing", NOTICE_TEXT_MAX),
    ("issuer", NAME_MAX),
    ("issuer_short", NAME_MAX),
    ("signer", NAME_MAX),
];

/// The limit of a request field: its own, or [`STRING_MAX`].
pub fn field_max(name: &str) -> usize {
    FIELDS.iter().find(|(n, _)| *n == name).map_or(STRING_MAX, |(_, max)| *max)
}

/// `value` (of `field`) has at most `max` characters.
pub fn check_text(field: &str, value: &str, max: usize) -> Result<()> {
    // Bytes first: a string of more than 4 × max bytes is too long whatever it holds, and is
    // not counted character by character.
    if value.len() > max.saturating_mul(4) || value.chars().count() > max {
        return Err(Error::TooLong { field: field.to_owned(), max });
    }
    Ok(())
}

/// Walk a JSON body and hold every string, key and list to its limit; `Ok` also for a body
/// that is not JSON (the caller's parse says what is wrong with it).
pub fn check_json(bytes: &[u8]) -> Result<()> {
    let refusal = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    // A parse error that is not a refusal is malformed JSON: the caller's own parse names it.
    let body = Bound { field: "the body", max: STRING_MAX, own: false, root: true, refusal: &refusal };
    let _malformed = body.deserialize(&mut de);
    refusal.into_inner().map_or(Ok(()), Err)
}

/// A value of the body (the body itself, a field, or anything below one), held to `max`
/// characters a string.
#[derive(Clone, Copy)]
struct Bound<'r, 'f> {
    field: &'f str,
    max: usize,
    /// The value of a top-level field: a list here is the request's own, bounded in length.
    own: bool,
    /// The body itself: an object's keys here are the request's fields, each with its limit.
    root: bool,
    refusal: &'r RefCell<Option<Error>>,
}

fn refuse<E: serde::de::Error>(cell: &RefCell<Option<Error>>, e: Error) -> E {
    let text = e.to_string();
    *cell.borrow_mut() = Some(e);
    E::custom(text)
}

impl<'de> DeserializeSeed<'de> for Bound<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Bound<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<(), E> {
        check_text(self.field, v, self.max).map_err(|e| refuse(self.refusal, e))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        let mut n = 0usize;
        while seq.next_element_seed(Bound { own: false, root: false, ..self })?.is_some() {
            n += 1;
            if self.own && n > LIST_MAX {
                return Err(refuse(self.refusal, Error::TooMany { field: self.field.to_owned(), max: LIST_MAX }));
            }
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if let Err(e) = check_text("a key", &key, KEY_MAX) {
                return Err(refuse(self.refusal, e));
            }
            if self.root {
                let max = field_max(&key);
                map.next_value_seed(Bound { field: &key, max, own: true, root: false, refusal: self.refusal })?;
            } else {
                map.next_value_seed(Bound { own: false, ..self })?;
            }
        }
        Ok(())
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> std::result::Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<(), E> {
        Ok(())
    }
}

/// Most characters of the actor, action, target and client of an audit row.
pub const AUDIT_TEXT_MAX: usize = 300;
/// Most bytes of an audit row's detail, as JSON.
pub const AUDIT_DETAIL_MAX: usize = 2048;
/// What ends a text the office cut.
pub const CUT_MARK: &str = "…（已截断）";

/// `s` with at most `max` characters, the mark included when it had to be cut.
pub fn cut(s: &str, max: usize) -> String {
    if s.len() <= max || s.chars().count() <= max {
        return s.to_owned();
    }
    let keep = max.saturating_sub(CUT_MARK.chars().count());
    let mut out: String = s.chars().take(keep).collect();
    out.push_str(CUT_MARK);
    out
}

/// What a laptop may upload, and how long an unfinished upload is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobQuota {
    /// The most bytes one evidence file may have.
    pub file_max: u64,
    /// The most bytes the files of one batch may have together.
    pub batch_max: u64,
    /// An upload (`uploads/<device>/<hex>.part`) untouched this long is deleted.
    pub part_max_age: Duration,
}

pub const GIB: u64 = 1 << 30;

impl Default for BlobQuota {
    fn default() -> Self {
        Self { file_max: 2 * GIB, batch_max: 20 * GIB, part_max_age: Duration::days(1) }
    }
}

impl BlobQuota {
    /// A batch's blobs fit: each under the file cap, all together under the batch quota.
    pub fn check_batch(&self, blobs: &[mingcha_core::sync::BlobRef]) -> Result<()> {
        let mut total: u64 = 0;
        for b in blobs {
            self.check_file(b.size)?;
            total = total.saturating_add(b.size);
        }
        if total > self.batch_max {
            return Err(Error::BatchOverQuota { size: total, max: self.batch_max });
        }
        Ok(())
    }

    pub fn check_file(&self, size: u64) -> Result<()> {
        if size > self.file_max {
            return Err(Error::Refused(RepoError::BlobTooLarge { size, max: self.file_max }));
        }
        Ok(())
    }
}

/// Why a size an admin wrote is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    #[error("`{0}` is not a size like 2GiB, 500MiB or 1048576")]
    NotANumber(String),
    #[error("`{0}` is not a unit: B, KiB, MiB, GiB or TiB")]
    UnknownUnit(String),
    #[error("{0} is too large")]
    TooLarge(String),
}

/// A size as an admin writes it: `2GiB`, `500MiB`, `64KiB`, or bytes (`1048576`).
pub fn parse_size(s: &str) -> std::result::Result<u64, SizeError> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: u64 = digits.parse().map_err(|_| SizeError::NotANumber(s.to_owned()))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" | "kb" => 1 << 10,
        "m" | "mib" | "mb" => 1 << 20,
        "g" | "gib" | "gb" => GIB,
        "t" | "tib" | "tb" => GIB << 10,
        other => return Err(SizeError::UnknownUnit(other.to_owned())),
    };
    n.checked_mul(factor).ok_or_else(|| SizeError::TooLarge(s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(body: &str) -> Option<(&'static str, Option<serde_json::Value>)> {
        check_json(body.as_bytes()).err().map(|e| (e.code(), e.to_api().detail))
    }

    #[test]
    fn each_named_field_has_its_limit_and_everything_else_the_general_one() {
        let long = |n: usize| "字".repeat(n);
        assert_eq!(code(&format!(r#"{{"username": "{}"}}"#, long(32))), None);
        let (c, detail) = code(&format!(r#"{{"username": "{}"}}"#, long(33))).unwrap();
        assert_eq!(c, "too_long");
        assert_eq!(detail.unwrap(), serde_json::json!({"field": "username", "max": 32}));
        assert_eq!(code(&format!(r#"{{"measures": "{}"}}"#, long(TEXT_MAX + 1))).unwrap().0, "too_long");
        assert_eq!(code(&format!(r#"{{"anything": "{}"}}"#, long(STRING_MAX))), None);
        assert_eq!(code(&format!(r#"{{"anything": "{}"}}"#, long(STRING_MAX + 1))).unwrap().0, "too_long");
        // Nested strings are held to the general limit, whatever their key.
        assert_eq!(code(&format!(r#"{{"manifest": {{"changes": [{{"name": "{}"}}]}}}}"#, long(500))), None);
        let deep = format!(r#"{{"manifest": {{"x": ["{}"]}}}}"#, long(STRING_MAX + 1));
        assert_eq!(code(&deep).unwrap().1.unwrap()["field"], "manifest");
        // A request's own list is bounded; a nested one is the domain's to bound.
        let ids = vec!["\"p\""; LIST_MAX + 1].join(",");
        assert_eq!(code(&format!(r#"{{"problem_ids": [{ids}]}}"#)).unwrap().0, "too_many");
        assert_eq!(code(&format!(r#"{{"manifest": {{"changes": [{ids}]}}}}"#)), None);
        assert_eq!(code(&format!(r#"{{"{}": 1}}"#, "k".repeat(KEY_MAX + 1))).unwrap().0, "too_long");
        // Escaped text is counted as what it decodes to.
        assert_eq!(code(&format!(r#"{{"username": "{}"}}"#, "\\u5b57".repeat(33))).unwrap().0, "too_long");
        // Not JSON: the caller's parse answers.
        assert_eq!(code("{not json"), None);
    }

    #[test]
    fn cut_text_ends_with_the_mark_and_stays_within_its_limit() {
        assert_eq!(cut("短", 10), "短");
        let c = cut(&"长".repeat(100), 20);
        assert_eq!(c.chars().count(), 20);
        assert!(c.ends_with(CUT_MARK), "{c}");
    }

    #[test]
    fn sizes_read_as_an_admin_writes_them() {
        assert_eq!(parse_size("2GiB"), Ok(2 * GIB));
        assert_eq!(parse_size("500 MiB"), Ok(500 << 20));
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert!(parse_size("2 GiBs").is_err() && parse_size("lots").is_err());
    }

    #[test]
    fn a_batch_over_its_quota_or_with_a_file_over_the_cap_is_refused() {
        let q = BlobQuota { file_max: 10, batch_max: 15, part_max_age: Duration::days(1) };
        let blob = |size| mingcha_core::sync::BlobRef {
            sha256: mingcha_core::evidence::Sha256Hex::parse(&"a".repeat(64)).unwrap(),
            size,
        };
        assert!(q.check_batch(&[blob(10), blob(5)]).is_ok());
        assert_eq!(q.check_batch(&[blob(11)]).unwrap_err().code(), "blob_too_large");
        assert_eq!(q.check_batch(&[blob(10), blob(6)]).unwrap_err().code(), "batch_over_quota");
    }
}
