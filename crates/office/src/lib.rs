//! `mingcha-office`: what the central office does with the findings it receives, as plain
//! functions over plain values. The server keeps these values in its tables and serves them;
//! nothing here touches a database, a socket or a clock.
//!
//! - [`ledger`]: one row of the problem ledger (台账), and its filters;
//! - [`notice`]: the notice (通报) as a document model, and [`docx`] which writes it in the
//!   GB/T 9704-2012 layout;
//! - [`xlsx`]: the ledger as a workbook that Excel and WPS open;
//! - [`account`]: accounts, roles, Argon2id passwords, sessions;
//! - [`review`]: the office's decision on each finding (审核), with its wordings;
//! - [`problem`]: one problem of the ledger driven through 交办 → 整改 → 复核 → 销号;
//! - [`filter`]: the ledger's filters and its Chinese full-text match;
//! - [`dashboard`]: counts by unit, category and month, and 屡查屡犯;
//! - [`custody`]: the end-to-end custody checks (证据链核验) over what the office read.
//!
//! **Architecture invariant:** no I/O and no clock. Times come in as arguments.

#![forbid(unsafe_code)]

pub mod account;
pub mod custody;
pub mod dashboard;
pub mod docx;
mod error;
pub mod filter;
pub mod ledger;
pub mod notice;
pub mod problem;
pub mod review;
pub mod xlsx;

pub use error::DocError;

/// Why the office refuses a step. The server maps each to its HTTP error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfficeError {
    /// A field is wrong; the message says which.
    #[error("{0}")]
    Invalid(String),
    /// The step does not fit where the finding or problem stands.
    #[error("{0}")]
    WrongStage(String),
    #[error("the deadline {deadline} is already past (today is {today})")]
    DeadlinePast { deadline: chrono::NaiveDate, today: chrono::NaiveDate },
    #[error("{0}")]
    Internal(String),
}

/// A history line of a finding or a problem: who did what, when.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HistoryEntry {
    pub at: chrono::DateTime<chrono::Utc>,
    pub by: String,
    /// What was done, in the words the console shows (退回, 采纳, 交办, 复核通过 …).
    pub action: String,
    pub text: String,
}

/// Trim a free text; empty is `None`.
pub(crate) fn clean(s: Option<&str>) -> Option<String> {
    s.map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// A required free text of at most `max` characters: core's rule, as the office's error.
pub fn required(field: &'static str, s: &str, max: usize) -> Result<String, OfficeError> {
    mingcha_core::text::required(field, s, max).map_err(|e| OfficeError::Invalid(e.to_string()))
}
