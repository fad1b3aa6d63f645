//! Disclosure copies (公开用副本): what a notice shows of a photo. A copy carries a visible
//! watermark burned into its pixels (time, place, inspector, finding) and, on request, no GPS.
//! It is stored as a blob of its own and recorded with the original it came from; the original
//! and its digest stay exactly as they were.

use std::io::Cursor;
use std::path::PathBuf;

use ab_glyph::{Font, FontVec, PxScale, ScaleFont, point};
use image::{DynamicImage, Rgb, RgbImage};
use mingcha_core::evidence::{EvidenceTarget, PhotoMeta, Sha256Hex};
use mingcha_store::evidence::BlobRecord;
use mingcha_store::{DataDir, Store};
use serde::Serialize;

use crate::import::blob_store;
use crate::preview::decode_upright;
use crate::sample::{SampleExif, encode_jpeg, with_exif};
use crate::{EvidenceError, exif};

/// Longest side of a disclosure copy: ample for a printed notice, small enough to send.
pub const MAX_SIDE: u32 = 2400;

/// Where Debian and common desktops keep a font with Chinese glyphs.
const FONT_CANDIDATES: &[&str] = &[
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "C:\\Windows\\Fonts\\msyh.ttc",
];

/// A made copy.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Disclosure {
    pub id: String,
    pub original: Sha256Hex,
    pub sha256: Sha256Hex,
    /// Where the copy is kept, sealed like every blob: read it with `BlobStore::read`.
    pub path: PathBuf,
    pub watermark: Vec<String>,
    pub gps_removed: bool,
}

/// Load the watermark font: `MINGCHA_FONT`, or the first Chinese font found on the system.
pub fn font() -> Result<FontVec, EvidenceError> {
    let candidates: Vec<PathBuf> = match std::env::var_os("MINGCHA_FONT") {
        Some(p) => vec![PathBuf::from(p)],
        None => FONT_CANDIDATES.iter().map(PathBuf::from).collect(),
    };
    for path in candidates {
        if let Ok(bytes) = std::fs::read(&path)
            && let Ok(font) = FontVec::try_from_vec_and_index(bytes, 0)
            && font.glyph_id('查').0 != 0
        {
            return Ok(font);
        }
    }
    Err(EvidenceError::NoFont)
}

/// Make a disclosure copy of the photo `evidence` (an id or unique prefix).
pub fn disclose(
    store: &mut Store,
    data: &DataDir,
    evidence: &str,
    strip_gps: bool,
) -> Result<Disclosure, EvidenceError> {
    let view = store.evidence(evidence)?;
    if !matches!(view.evidence.media_type.as_str(), "image/jpeg" | "image/png" | "image/webp") {
        return Err(EvidenceError::Image(format!(
            "{} is {}: only JPEG, PNG and WebP photos get disclosure copies",
            view.evidence.original_name, view.evidence.media_type
        )));
    }
    if let Some(reason) = &view.damaged {
        return Err(EvidenceError::Image(format!(
            "{} is damaged ({reason}); it cannot be copied",
            view.evidence.original_name
        )));
    }
    let blobs = blob_store(store, data);
    let original = blobs.read(&view.evidence.sha256)?;
    let font = font()?;

    let lines = watermark_lines(store, &view.evidence.target, &view.meta, view.evidence.imported_at)?;
    let img = full_upright(&original, &view.evidence.media_type, view.meta.orientation)?;
    let mut img = if img.width().max(img.height()) > MAX_SIDE {
        img.resize(MAX_SIDE, MAX_SIDE, image::imageops::FilterType::Triangle).to_rgb8()
    } else {
        img.to_rgb8()
    };
    burn(&mut img, &font, &lines);

    let meta = &view.meta;
    let exif = SampleExif {
        taken_at: meta.taken_at,
        offset: meta.taken_offset.clone(),
        gps: if strip_gps { None } else { meta.gps.map(|g| (g.lat, g.lon)) },
        make: meta.make.clone(),
        model: meta.model.clone(),
        orientation: None,
    };
    let bytes = with_exif(&encode_jpeg(&img, 90), &exif);
    let put = blobs.put_bytes(&bytes)?;
    let copy_meta = PhotoMeta {
        orientation: None,
        width: Some(img.width()),
        height: Some(img.height()),
        ..exif::read(Cursor::new(&bytes))
    };
    let record = BlobRecord {
        sha256: put.sha256.clone(),
        size: put.size,
        media_type: "image/jpeg".into(),
        meta: copy_meta,
        damaged: None,
    };
    let id = store.record_disclosure(&view, &record, &lines.join("\n"), strip_gps)?;
    Ok(Disclosure {
        id,
        original: view.evidence.sha256,
        path: blobs.path(&put.sha256),
        sha256: put.sha256,
        watermark: lines,
        gps_removed: strip_gps,
    })
}

fn full_upright(bytes: &[u8], media_type: &str, orientation: Option<u8>) -> Result<DynamicImage, EvidenceError> {
    if media_type == "image/jpeg" {
        let mut img = image::load_from_memory_with_format(bytes, image::ImageFormat::Jpeg)
            .map_err(|e| EvidenceError::Image(format!("cannot decode the original: {e}")))?;
        if let Some(o) = orientation.and_then(image::metadata::Orientation::from_exif) {
            img.apply_orientation(o);
        }
        return Ok(img);
    }
    Ok(decode_upright(bytes, media_type, orientation)?)
}

/// Time, place, inspector and finding, one per line.
fn watermark_lines(
    store: &Store,
    target: &EvidenceTarget,
    meta: &PhotoMeta,
    imported_at: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<String>, EvidenceError> {
    let time = match meta.taken_at {
        Some(t) => format!(
            "拍摄时间 {}{}",
            t.format("%Y-%m-%d %H:%M:%S"),
            meta.taken_offset.as_deref().map(|o| format!(" ({o})")).unwrap_or_default()
        ),
        None => format!("导入时间 {} (无拍摄时间)", imported_at.format("%Y-%m-%d %H:%M:%S UTC")),
    };
    let (place, reference) = match target {
        EvidenceTarget::Finding { finding_id } => {
            let f = store.finding(&finding_id.to_string())?;
            let place = format!("{}{}", f.unit_name, f.spot_name.map(|s| format!(" {s}")).unwrap_or_default());
            (place, format!("问题编号 {finding_id}"))
        }
        EvidenceTarget::Visit { visit_id } => {
            let v = store.visit(&visit_id.to_string())?;
            (store.unit(&v.unit_id.to_string())?.name, format!("检查记录 {visit_id}"))
        }
        EvidenceTarget::ChecklistItem { response_id, item_code } => {
            (String::new(), format!("检查项 {item_code} ({response_id})"))
        }
    };
    let mut lines = vec![time];
    if !place.is_empty() {
        lines.push(format!("地点 {place}"));
    }
    lines.push(format!("督查员 {}", store.identity().inspector_name));
    lines.push(reference);
    Ok(lines)
}

/// Draw `lines` in white on a dark band across the bottom of `img`.
fn burn(img: &mut RgbImage, font: &FontVec, lines: &[String]) {
    let (w, h) = img.dimensions();
    let size = (w.min(h) as f32 / 28.0).clamp(12.0, 64.0);
    let scaled = font.as_scaled(PxScale::from(size));
    let line_height = (scaled.height() + scaled.line_gap()).ceil();
    let band = ((line_height * lines.len() as f32) + size).min(h as f32) as u32;
    for y in h - band..h {
        for x in 0..w {
            let p = img.get_pixel_mut(x, y);
            *p = Rgb(p.0.map(|c| (u16::from(c) * 2 / 5) as u8));
        }
    }
    let mut baseline = (h - band) as f32 + size * 0.5 + scaled.ascent();
    for line in lines {
        let mut x = size * 0.6;
        for c in line.chars() {
            let id = scaled.glyph_id(c);
            let glyph = id.with_scale_and_position(PxScale::from(size), point(x, baseline));
            if let Some(outline) = font.outline_glyph(glyph) {
                let b = outline.px_bounds();
                outline.draw(|gx, gy, coverage| {
                    let (px, py) = (b.min.x as i64 + i64::from(gx), b.min.y as i64 + i64::from(gy));
                    if let (Ok(px), Ok(py)) = (u32::try_from(px), u32::try_from(py))
                        && px < w
                        && py < h
                    {
                        let p = img.get_pixel_mut(px, py);
                        *p = Rgb(p.0.map(|c| (f32::from(c) + (255.0 - f32::from(c)) * coverage.min(1.0)) as u8));
                    }
                });
            }
            x += scaled.h_advance(id);
        }
        baseline += line_height;
    }
}
