//! The commands the UI invokes. Each is a short adapter: take the input, call the store (off
//! the main thread, through [`Session`](crate::session::Session)), map the error.

pub mod evidence;
pub mod field;
pub mod findings;
pub mod session;
pub mod sync;

use chrono::{DateTime, FixedOffset, Local, NaiveDate};

use crate::error::{IpcError, IpcResult};

/// Today on the laptop's own clock and calendar.
pub fn today() -> NaiveDate {
    Local::now().date_naive()
}

/// A time the UI sends (RFC 3339 with the inspector's offset), or now.
pub fn time_or_now(field: &str, value: Option<&str>) -> IpcResult<DateTime<FixedOffset>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(Local::now().fixed_offset()),
        Some(v) => DateTime::parse_from_rfc3339(v)
            .map_err(|_| IpcError::invalid(format!("{field}: `{v}` is not a time like 2026-11-22T09:05:00+08:00"))),
    }
}

pub fn date(field: &str, value: &str) -> IpcResult<NaiveDate> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| IpcError::invalid(format!("{field}: `{value}` is not a date like 2026-11-22")))
}
