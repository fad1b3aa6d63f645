//! Evidence capture (证据采集): bringing the day's photos and files from a camera card or a
//! folder into the store so that a contested notice can stand on them.
//!
//! - [`blobs`]: content-addressed, write-once storage of the original bytes, sealed. A file is
//!   sealed to a temporary name, fsynced, renamed to `evidence/v1/ab/cd/<HMAC of its digest>`,
//!   and its folders fsynced; only then is its database row committed. The original is never
//!   rewritten, and it is known by the SHA-256 of its plaintext, checked on every whole read.
//! - [`sealed`]: the format at rest, XChaCha20-Poly1305 in 64 KiB chunks (STREAM), readable
//!   from any offset.
//! - [`upgrade`]: seals the plaintext files an older build left, at open.
//! - [`sniff`]: what a file really is, from its first bytes, not its name.
//! - [`exif`]: capture time, offset, GPS, camera and orientation.
//! - [`preview`]: disposable previews (256 px and 1600 px, upright), using JPEG's scaled DCT
//!   decoding so a 12-megapixel photo is never decoded at full size for them.
//! - [`import`]: files and folders in parallel on every core, with progress events and a
//!   summary of what was imported, already present, or failed and why.
//! - [`disclosure`]: watermarked copies for notices, optionally without GPS.
//! - [`check`]: every recorded original present and unchanged; orphans listed.
//! - [`sample`]: realistic synthetic camera photos with EXIF, for tests and benchmarks.
//!
//! **Architecture invariant:** this crate owns the evidence files; the store owns the rows.
//! Nothing here writes SQL, and nothing in the store reads or writes evidence bytes.

#![forbid(unsafe_code)]

pub mod blobs;
pub mod check;
pub mod disclosure;
mod error;
pub mod exif;
pub mod import;
pub mod preview;
pub mod sample;
pub mod sealed;
pub mod sniff;
pub mod upgrade;

pub use error::EvidenceError;
