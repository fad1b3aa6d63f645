//! A photo from a camera card, as the import reads it: what the bytes are (sniffing), what
//! the name claims, the EXIF, and the preview decoder's header handling. Arbitrary bytes
//! must give an answer (possibly "nothing known"), never a panic or a hang.
//!
//! The check itself is `mingcha_fuzz_checks::exif`, which the test build also replays over the
//! committed corpus.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mingcha_fuzz_checks::exif::check(data));
