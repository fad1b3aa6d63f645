//! Dates and times as inspectors type them: `2026-11-10`, `09:30` on the visit's day, or a
//! full RFC 3339 time. Local times take this machine's offset for that day.

use anyhow::{Result, anyhow};
use chrono::{DateTime, FixedOffset, Local, NaiveDate, NaiveTime, TimeZone};
use mingcha_core::inspection::parse_date;

pub fn today() -> NaiveDate {
    Local::now().date_naive()
}

pub fn date(field: &'static str, s: Option<&str>) -> Result<NaiveDate> {
    Ok(match s {
        Some(s) => parse_date(field, s)?,
        None => today(),
    })
}

pub fn opt_date(field: &'static str, s: Option<&str>) -> Result<Option<NaiveDate>> {
    s.map(|s| parse_date(field, s)).transpose().map_err(Into::into)
}

/// `HH:MM` on `day` in local time, or an RFC 3339 time as given.
pub fn time_on(field: &'static str, day: NaiveDate, s: &str) -> Result<DateTime<FixedOffset>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t);
    }
    let t = NaiveTime::parse_from_str(s, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M:%S"))
        .map_err(|_| anyhow!("{field}: `{s}` is not a time (HH:MM or RFC 3339)"))?;
    Local
        .from_local_datetime(&day.and_time(t))
        .earliest()
        .map(|t| t.fixed_offset())
        .ok_or_else(|| anyhow!("{field}: {day} {s} does not exist in local time"))
}

/// Now, in local time.
pub fn now() -> DateTime<FixedOffset> {
    Local::now().fixed_offset()
}
