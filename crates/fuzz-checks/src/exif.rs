//! A photo from a camera card, as the import reads it: what the bytes are (sniffing), what
//! the name claims, the EXIF, and the preview decoder's header handling. Arbitrary bytes
//! must give an answer (possibly "nothing known"), never a panic or a hang.

use std::io::Cursor;

use mingcha_evidence::{exif, preview, sniff};

/// Only small inputs are decoded for a preview: a header may claim 65535×65535 pixels, and
/// the decoder's limits, not the fuzzer's memory, are what that should meet.
const DECODE_MAX: usize = 64 * 1024;

/// One input, as the import would meet it on a card.
pub fn check(data: &[u8]) {
    let found = sniff::media_type(data);
    // The name a card gives the file, from the tail of the input so it varies with it.
    let name = String::from_utf8_lossy(&data[data.len().saturating_sub(12)..]);
    let _ = sniff::contradiction(&name, found);

    let meta = exif::read(Cursor::new(data));
    if let Some(o) = meta.orientation {
        assert!((1..=8).contains(&o), "orientation {o} escaped the 1..=8 filter");
    }
    if let Some(gps) = &meta.gps {
        assert!(gps.lat.abs() <= 90.0 && gps.lon.abs() <= 180.0, "GPS out of range: {gps:?}");
    }

    let _ = preview::jpeg_is_complete(data);
    if data.len() <= DECODE_MAX
        && let Some(media_type @ ("image/jpeg" | "image/png" | "image/webp")) = found
    {
        let _ = preview::decode_upright(data, media_type, meta.orientation);
    }
}
