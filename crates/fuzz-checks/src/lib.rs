//! What each fuzz target checks, as plain functions over arbitrary bytes. A check panics when
//! the code under it breaks a promise (a panic of its own, an overflow, an assertion here);
//! anything else it returns from.
//!
//! Two callers: the cargo-fuzz targets in `fuzz/fuzz_targets/` (one line each, coverage-guided,
//! by hand with `cargo xtask fuzz`), and this crate's test `tests/corpus.rs`, which replays every
//! committed seed and `regression-*` input in the ordinary test build, so a bug the fuzzer once
//! found fails every CI run if it comes back.
//!
//! Must never depend on libFuzzer or anything that needs nightly flags: the test build has
//! neither.

#![forbid(unsafe_code)]

pub mod exif;
pub mod manifest;
pub mod upload;

/// A check over one input: returns, or panics with what broke.
pub type Check = fn(&[u8]);

/// The fuzz targets, by the name of their folder under `fuzz/corpus/`.
pub const TARGETS: &[(&str, Check)] =
    &[("exif", exif::check), ("manifest", manifest::check), ("upload", upload::check)];
