//! Printing: JSON for programs, short text for people, and one-line errors with stable codes.

use mingcha_store::StoreError;
use serde::Serialize;

/// Print `value` as JSON when asked, otherwise run `text` to print it for people.
pub fn show<T: Serialize>(json: bool, value: &T, text: impl FnOnce(&T)) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        text(value);
    }
    Ok(())
}

/// The stable code of an error: the store's own, the office's, or a generic one.
pub fn code(e: &anyhow::Error) -> &str {
    if let Some(s) = e.downcast_ref::<StoreError>() {
        return s.code();
    }
    if let Some(s) = e.downcast_ref::<mingcha_store::sync::SyncError>() {
        return s.code();
    }
    if let Some(v) = e.downcast_ref::<mingcha_core::ValidationError>() {
        return v.code();
    }
    if let Some(v) = e.downcast_ref::<mingcha_evidence::EvidenceError>() {
        return v.code();
    }
    "error"
}

/// One line on stderr; with `--json`, `{"error": {"code", "message"}}` instead.
pub fn error(e: &anyhow::Error, json: bool) {
    let message = format!("{e:#}");
    if json {
        let body = serde_json::json!({"error": {"code": code(e), "message": message}});
        eprintln!("{body}");
    } else {
        eprintln!("error: {message}");
    }
}
