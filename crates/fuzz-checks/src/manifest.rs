//! A batch as the office receives it (`POST /api/v1/batches`): the body parsed as a
//! `SignedManifest` by the server's own JSON parser, the signature checked, the manifest
//! checked, and its canonical bytes made (what is signed, hashed and stored). Everything
//! before the database, on arbitrary bytes: no panic, and the canonical bytes are stable (a
//! manifest written, read back and written again is the same bytes, or a device's honest
//! signature would not verify at the office).

use mingcha_core::sync::{Manifest, SignedManifest};
use mingcha_server::key::{parse_public_key, sha256_hex, verifies};
use mingcha_server::state::parse_json;

/// The public key of the device that signed the seed corpus (secret key: 32 bytes of 7).
pub const DEVICE_KEY: &str = "ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c";

/// One request body, as the batch route would meet it.
pub fn check(data: &[u8]) {
    let Ok(signed) = parse_json::<SignedManifest>(data) else {
        // A bare manifest (what the device signs) goes through the same checks.
        if let Ok(manifest) = serde_json::from_slice::<Manifest>(data) {
            exercise(&manifest);
        }
        return;
    };
    let key = parse_public_key(DEVICE_KEY).expect("the fixed key is valid");
    let _ = verifies(&key, &signed.manifest.signing_message(), &signed.signature);
    exercise(&signed.manifest);
}

fn exercise(manifest: &Manifest) {
    let _ = manifest.check();
    // Every record read as its kind, every time against the bounds, taking the first
    // change's own time as the enrollment and the office's clock.
    if let Some(first) = manifest.changes.first() {
        let _ = mingcha_server::intake::check_changes(&manifest.changes, first.at, first.at);
    }
    let fresh: Vec<_> = manifest.changes.iter().collect();
    let _ = mingcha_server::intake::landings(manifest.device_id, &fresh, &mingcha_server::intake::Holders::default());
    let _ = manifest.last_seq();
    let canonical = manifest.canonical_bytes();
    assert!(!canonical.is_empty(), "a parsed manifest must serialise");
    assert!(std::str::from_utf8(&canonical).is_ok(), "canonical JSON is UTF-8");
    let _ = sha256_hex(&canonical);
    let again: Manifest = serde_json::from_slice(&canonical).expect("canonical bytes parse back");
    assert_eq!(&again, manifest, "the manifest changed through its canonical bytes");
    assert_eq!(again.canonical_bytes(), canonical, "canonical bytes are not stable");
}
