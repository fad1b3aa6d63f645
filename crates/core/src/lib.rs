//! The pure domain of Mingcha (明查): what inspectors record during 明查暗访 and what the office
//! does with it afterwards.
//!
//! This crate is the vocabulary every other crate speaks: ids, findings (问题), checklists
//! (检查清单), the problem taxonomy (问题类别), evidence records (证据), rectification
//! (交办 → 整改 → 复核 → 销号) and the change records that sync carries.
//!
//! **Architecture invariant:** nothing here does I/O. No SQLite, no file system, no network,
//! no async runtime, no Tauri, and no hidden clock: the current time and fresh ids are passed
//! in by the caller, so every rule here is a deterministic function that a test can pin down.

#![forbid(unsafe_code)]

pub mod assets;
pub mod change;
pub mod checklist;
pub mod clock;
pub mod custody;
pub mod enroll_token;
pub mod error;
pub mod evidence;
pub mod finding;
pub mod hex;
pub mod id;
pub mod inspection;
pub mod record;
pub mod rectification;
pub mod sync;
pub mod taxonomy;
pub mod text;
pub mod unit;

pub use error::ValidationError;
