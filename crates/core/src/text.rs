//! Text that the domain accepts: trimmed, non-empty where required, and bounded, so a stray
//! paste of a whole document or an empty description never reaches the ledger.

use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// Trim `value` and check it is non-empty and at most `max` characters (not bytes: Chinese
/// text is three bytes a character in UTF-8, and limits are stated in characters).
pub fn required(field: &'static str, value: &str, max: usize) -> Result<String, ValidationError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ValidationError::Empty { field });
    }
    bounded(field, trimmed, max)
}

/// Like [`required`] but an empty value becomes `None`.
pub fn optional(field: &'static str, value: Option<&str>, max: usize) -> Result<Option<String>, ValidationError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => bounded(field, v, max).map(Some),
    }
}

fn bounded(field: &'static str, value: &str, max: usize) -> Result<String, ValidationError> {
    let len = value.chars().count();
    if len > max {
        return Err(ValidationError::TooLong { field, len, max });
    }
    Ok(value.to_owned())
}

/// Text that names a person or is otherwise sensitive (涉及人员). It serialises as plain text
/// (it must reach the office) but never shows in `Debug` output, so it cannot leak into logs.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(transparent)]
pub struct Sensitive(String);

impl Sensitive {
    pub fn new(value: String) -> Self {
        Self(value)
    }
    /// The text itself; call sites that reveal it are easy to find by this name.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Sensitive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sensitive(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_count_characters_not_bytes() {
        let ten_hanzi = "工作人员脱岗离岗半小时";
        assert_eq!(required("description", ten_hanzi, 11).as_deref(), Ok(ten_hanzi));
        assert!(matches!(required("description", ten_hanzi, 5), Err(ValidationError::TooLong { len: 11, max: 5, .. })));
    }

    #[test]
    fn blank_is_empty_and_optional_blank_is_none() {
        assert_eq!(required("description", "  \n ", 10), Err(ValidationError::Empty { field: "description" }));
        assert_eq!(optional("note", Some("   "), 10), Ok(None));
    }

    #[test]
    fn sensitive_text_never_shows_in_debug() {
        let s = Sensitive::new("张三".into());
        assert!(!format!("{s:?}").contains("张三"));
        assert_eq!(s.reveal(), "张三");
    }
}
