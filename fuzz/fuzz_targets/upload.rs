//! A blob upload as the office receives it (`PUT /api/v1/blobs/{sha256}?offset=N` with the
//! signed-request headers): the request line, the digest in the path, the offset in the
//! query, the five headers, the clock window, the signed message and the body's digest, all
//! by the server's own functions, up to the point where it would ask its database.
//!
//! The input is a request as text: `METHOD TARGET`, header lines `name: value`, a blank
//! line, then the body (the seed corpus holds real ones).
//!
//! The check itself is `mingcha_fuzz_checks::upload`, which the test build also replays over the
//! committed corpus.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mingcha_fuzz_checks::upload::check(data));
