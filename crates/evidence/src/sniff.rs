//! What a file is, from its first bytes. A name can lie (a text file called IMG_0001.jpg);
//! the bytes cannot, and evidence must be what it says it is.

/// The media type the content shows, if we know it.
pub fn media_type(head: &[u8]) -> Option<&'static str> {
    let at = |offset: usize, magic: &[u8]| head.get(offset..offset + magic.len()) == Some(magic);
    if at(0, &[0xFF, 0xD8, 0xFF]) {
        return Some("image/jpeg");
    }
    if at(0, b"\x89PNG\r\n\x1a\n") {
        return Some("image/png");
    }
    if at(0, b"RIFF") && at(8, b"WEBP") {
        return Some("image/webp");
    }
    if at(0, b"RIFF") && at(8, b"WAVE") {
        return Some("audio/wav");
    }
    if at(0, b"%PDF-") {
        return Some("application/pdf");
    }
    if at(0, b"ID3") || at(0, &[0xFF, 0xFB]) || at(0, &[0xFF, 0xF3]) {
        return Some("audio/mpeg");
    }
    if at(0, b"GIF87a") || at(0, b"GIF89a") {
        return Some("image/gif");
    }
    if at(4, b"ftyp") {
        let brand = head.get(8..12).unwrap_or_default();
        return Some(match brand {
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"mif1" | b"msf1" => "image/heic",
            b"qt  " => "video/quicktime",
            b"M4A " => "audio/mp4",
            _ => "video/mp4",
        });
    }
    None
}

/// The media type a file name claims by its extension, for the kinds we check.
pub fn claimed_by_name(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "jpg" | "jpeg" | "jpe" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "heic" | "heif" => "image/heic",
        "pdf" => "application/pdf",
        _ => return None,
    })
}

/// Whether the content of a file contradicts its name: a `.jpg` that is not a JPEG. Only
/// names that claim a type we recognise are held to it.
pub fn contradiction(name: &str, found: Option<&str>) -> Option<String> {
    let claimed = claimed_by_name(name)?;
    match found {
        Some(f) if f == claimed => None,
        Some(f) => Some(format!("named as {claimed} but the content is {f}")),
        None => Some(format!("named as {claimed} but the content is not ({})", describe_unknown())),
    }
}

fn describe_unknown() -> &'static str {
    "unrecognised bytes, perhaps text"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_not_the_name() {
        assert_eq!(media_type(&[0xFF, 0xD8, 0xFF, 0xE1]), Some("image/jpeg"));
        assert_eq!(media_type(b"\0\0\0\x18ftypheic\0\0"), Some("image/heic"));
        assert_eq!(media_type(b"\0\0\0\x18ftypisom\0\0"), Some("video/mp4"));
        assert_eq!(media_type(b"hello"), None);
        assert!(contradiction("IMG_0001.JPG", None).unwrap().contains("image/jpeg"));
        assert!(contradiction("IMG_0001.jpg", Some("image/png")).is_some());
        assert!(contradiction("note.txt", None).is_none());
        assert!(contradiction("a.jpeg", Some("image/jpeg")).is_none());
    }
}
