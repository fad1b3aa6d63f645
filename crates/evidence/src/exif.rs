//! What a photo says about itself: EXIF capture time and offset, GPS, camera, orientation.
//! A photo without EXIF is not an error; it simply says nothing (and gets flagged).

use std::io::{BufRead, Seek};

use chrono::NaiveDateTime;
use exif::{In, Reader, Tag, Value};
use mingcha_core::evidence::{Gps, PhotoMeta};

/// Read the EXIF of an image container (JPEG, PNG, WebP, HEIF, TIFF).
pub fn read(mut source: impl BufRead + Seek) -> PhotoMeta {
    let Ok(exif) = Reader::new().read_from_container(&mut source) else { return PhotoMeta::default() };
    let text = |tag: Tag| -> Option<String> {
        let field = exif.get_field(tag, In::PRIMARY)?;
        match &field.value {
            Value::Ascii(parts) => {
                let s: String =
                    parts.iter().map(|p| String::from_utf8_lossy(p).into_owned()).collect::<Vec<_>>().join(" ");
                let s = s.trim_matches(|c: char| c == '\0' || c.is_whitespace()).to_owned();
                (!s.is_empty()).then_some(s)
            }
            _ => None,
        }
    };
    let number = |tag: Tag| -> Option<u32> { exif.get_field(tag, In::PRIMARY)?.value.get_uint(0) };
    let taken_at = text(Tag::DateTimeOriginal)
        .or_else(|| text(Tag::DateTimeDigitized))
        .and_then(|s| NaiveDateTime::parse_from_str(&s, "%Y:%m:%d %H:%M:%S").ok());
    let taken_offset =
        text(Tag::OffsetTimeOriginal).filter(|s| s.len() == 6 && (s.starts_with('+') || s.starts_with('-')));
    let degrees = |tag: Tag, reference: Tag, negative: &str| -> Option<f64> {
        let Value::Rational(parts) = &exif.get_field(tag, In::PRIMARY)?.value else { return None };
        let [d, m, s] = parts.get(0..3)? else { return None };
        let value = d.to_f64() + m.to_f64() / 60.0 + s.to_f64() / 3600.0;
        let sign = if text(reference).is_some_and(|r| r.eq_ignore_ascii_case(negative)) { -1.0 } else { 1.0 };
        value.is_finite().then_some(sign * value)
    };
    let gps = match (
        degrees(Tag::GPSLatitude, Tag::GPSLatitudeRef, "S"),
        degrees(Tag::GPSLongitude, Tag::GPSLongitudeRef, "W"),
    ) {
        (Some(lat), Some(lon)) if lat.abs() <= 90.0 && lon.abs() <= 180.0 => {
            let alt = match &exif.get_field(Tag::GPSAltitude, In::PRIMARY).map(|f| &f.value) {
                Some(Value::Rational(r)) => r.first().map(|v| v.to_f64()).filter(|v| v.is_finite()),
                _ => None,
            };
            let below = number(Tag::GPSAltitudeRef) == Some(1);
            Some(Gps { lat, lon, alt: alt.map(|a| if below { -a } else { a }) })
        }
        _ => None,
    };
    PhotoMeta {
        taken_at,
        taken_offset,
        gps,
        make: text(Tag::Make),
        model: text(Tag::Model),
        orientation: number(Tag::Orientation).and_then(|o| u8::try_from(o).ok()).filter(|o| (1..=8).contains(o)),
        width: number(Tag::PixelXDimension),
        height: number(Tag::PixelYDimension),
    }
}
