//! A batch as the office receives it (`POST /api/v1/batches`): the body parsed as a
//! `SignedManifest` by the server's own JSON parser, the signature checked, the manifest
//! checked, and its canonical bytes made (what is signed, hashed and stored). Everything
//! before the database, on arbitrary bytes: no panic, and the canonical bytes are stable (a
//! manifest written, read back and written again is the same bytes, or a device's honest
//! signature would not verify at the office).
//!
//! The check itself is `mingcha_fuzz_checks::manifest`, which the test build also replays over the
//! committed corpus.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mingcha_fuzz_checks::manifest::check(data));
