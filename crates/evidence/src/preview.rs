//! Previews: derived and disposable, always upright. A thumbnail (256 px on the long side)
//! for grids and a screen preview (1600 px) for the large view.
//!
//! A JPEG is decoded at the smallest DCT scale (1/8, 1/4, 1/2) that still covers the screen
//! size, so a 12-megapixel photo is decoded at 2000×1500, never at full size.
//!
//! A preview shows the photo, so it is sealed at rest exactly like the original.

use std::fs::{self, File};
use std::io::{Cursor, Read};
use std::path::PathBuf;
use std::sync::Arc;

use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, GrayImage, Rgb, RgbImage};
use mingcha_core::evidence::Sha256Hex;
use mingcha_store::EvidenceKeys;

use crate::EvidenceError;
use crate::blobs::{digest_bytes, secret_name};
use crate::sealed::{SealedReader, seal_bytes};

/// Why an image cannot be decoded for previews. The photo is still kept (and flagged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Undecodable {
    #[error("truncated JPEG: the end-of-image marker is missing")]
    Truncated,
    #[error("cannot decode {format}: {detail}")]
    Corrupt { format: &'static str, detail: String },
    #[error("no preview for {0}")]
    NoDecoder(String),
}

impl Undecodable {
    /// A stable code for programs.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Truncated => "truncated",
            Self::Corrupt { .. } => "corrupt",
            Self::NoDecoder(_) => "no_decoder",
        }
    }

    fn corrupt(format: &'static str) -> impl Fn(String) -> Self {
        move |detail| Self::Corrupt { format, detail }
    }
}

pub const THUMBNAIL: u32 = 256;
pub const SCREEN: u32 = 1600;

/// Where previews live: `previews/v1/ab/<name>`, sealed like the originals, the name an HMAC
/// of the original's digest and the size, so a name says nothing about the photo.
#[derive(Debug, Clone)]
pub struct PreviewStore {
    root: PathBuf,
    keys: Arc<EvidenceKeys>,
}

/// The two preview files of an original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewPaths {
    pub thumbnail: PathBuf,
    pub screen: PathBuf,
}

/// What a preview's last chunk is bound to: that it is a preview, of which original, how big.
fn label(sha256: &Sha256Hex, side: u32) -> Vec<u8> {
    [b"preview:".as_slice(), &digest_bytes(sha256), &side.to_be_bytes()].concat()
}

impl PreviewStore {
    pub fn new(root: impl Into<PathBuf>, keys: Arc<EvidenceKeys>) -> Self {
        Self { root: root.into(), keys }
    }

    fn path(&self, sha256: &Sha256Hex, side: u32) -> PathBuf {
        let n = secret_name(&self.keys, &[b"preview:", &digest_bytes(sha256), &side.to_be_bytes()]);
        self.root.join("v1").join(&n[..2]).join(n)
    }

    pub fn paths(&self, sha256: &Sha256Hex) -> PreviewPaths {
        PreviewPaths { thumbnail: self.path(sha256, THUMBNAIL), screen: self.path(sha256, SCREEN) }
    }

    pub fn exist(&self, sha256: &Sha256Hex) -> bool {
        let p = self.paths(sha256);
        p.thumbnail.exists() && p.screen.exists()
    }

    /// The JPEG of a preview ([`THUMBNAIL`] or [`SCREEN`]), decrypted and checked.
    pub fn read(&self, sha256: &Sha256Hex, side: u32) -> Result<Vec<u8>, EvidenceError> {
        let path = self.path(sha256, side);
        let what = format!("{side} px preview of {}", sha256.as_str());
        let context = format!("reading the {what}");
        let open = || -> std::io::Result<Vec<u8>> {
            let mut r = SealedReader::open(File::open(&path)?, self.keys.sealing(), &label(sha256, side), None, what)?;
            let mut out = Vec::new();
            r.read_to_end(&mut out)?;
            Ok(out)
        };
        open().map_err(EvidenceError::io(context))
    }

    /// Write both previews of an upright image.
    pub fn write(&self, sha256: &Sha256Hex, upright: &DynamicImage) -> Result<PreviewPaths, EvidenceError> {
        let screen = if upright.width().max(upright.height()) > SCREEN {
            upright.resize(SCREEN, SCREEN, FilterType::Triangle)
        } else {
            upright.clone()
        };
        let thumbnail = if screen.width().max(screen.height()) > THUMBNAIL {
            screen.thumbnail(THUMBNAIL, THUMBNAIL)
        } else {
            screen.clone()
        };
        self.write_jpeg(sha256, SCREEN, &crate::sample::encode_jpeg(&screen.to_rgb8(), 82))?;
        self.write_jpeg(sha256, THUMBNAIL, &crate::sample::encode_jpeg(&thumbnail.to_rgb8(), 82))?;
        Ok(self.paths(sha256))
    }

    /// Write the placeholder previews of a file that cannot be shown (damaged).
    pub fn write_placeholder(&self, sha256: &Sha256Hex) -> Result<PreviewPaths, EvidenceError> {
        self.write(sha256, &DynamicImage::ImageRgb8(placeholder(800, 600)))
    }

    /// Seal one preview's JPEG into place. Also used to seal previews an older build left in
    /// plaintext ([`crate::upgrade`]).
    pub(crate) fn write_jpeg(&self, sha256: &Sha256Hex, side: u32, jpeg: &[u8]) -> Result<(), EvidenceError> {
        let path = self.path(sha256, side);
        let dir = path.parent().expect("preview paths have a parent");
        fs::create_dir_all(dir).map_err(EvidenceError::io(format!("creating {}", dir.display())))?;
        let sealed = seal_bytes(jpeg, self.keys.sealing(), &label(sha256, side))
            .map_err(EvidenceError::io("sealing a preview"))?;
        // Written whole then renamed, so a reader never sees half a preview.
        let tmp = path.with_extension("tmp");
        fs::write(&tmp, sealed).map_err(EvidenceError::io(format!("writing {}", tmp.display())))?;
        fs::rename(&tmp, &path).map_err(EvidenceError::io(format!("writing {}", path.display())))
    }
}

/// A grey card with a cross: "this file is kept, but cannot be shown".
pub fn placeholder(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let (u, v) = (x as f32 / width as f32, y as f32 / height as f32);
        let on_cross = (u - v).abs() < 0.01 || (u + v - 1.0).abs() < 0.01;
        if on_cross { Rgb([150, 150, 150]) } else { Rgb([225, 225, 225]) }
    })
}

/// Whether a JPEG ends with its end-of-image marker (cameras may pad with zeros after it).
pub fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let end = bytes.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
    end >= 2 && bytes[end - 2..end] == [0xFF, 0xD9]
}

/// Decode an image for previews, upright, no larger than needed for the screen preview.
pub fn decode_upright(bytes: &[u8], media_type: &str, orientation: Option<u8>) -> Result<DynamicImage, Undecodable> {
    let mut img = match media_type {
        "image/jpeg" => {
            if !jpeg_is_complete(bytes) {
                return Err(Undecodable::Truncated);
            }
            decode_jpeg_scaled(bytes)?
        }
        "image/png" | "image/webp" => {
            image::load_from_memory(bytes).map_err(|e| Undecodable::corrupt("image")(e.to_string()))?
        }
        // libheif applies the file's own rotation and mirroring (irot/imir) while decoding, so
        // the EXIF orientation must not be applied a second time.
        "image/heic" => return decode_heic(bytes),
        other => return Err(Undecodable::NoDecoder(other.to_owned())),
    };
    if let Some(o) = orientation.and_then(Orientation::from_exif) {
        img.apply_orientation(o);
    }
    Ok(img)
}

/// Decode a HEIC photo (iPhone) through the system libheif, already upright.
fn decode_heic(bytes: &[u8]) -> Result<DynamicImage, Undecodable> {
    use libheif_rs::{ColorSpace, HeifContext, LibHeif, RgbChroma};
    let corrupt = Undecodable::corrupt("HEIC");
    let fail = |e: libheif_rs::HeifError| corrupt(e.to_string());
    let ctx = HeifContext::read_from_bytes(bytes).map_err(fail)?;
    let handle = ctx.primary_image_handle().map_err(fail)?;
    let img = LibHeif::new().decode(&handle, ColorSpace::Rgb(RgbChroma::Rgb), None).map_err(fail)?;
    let planes = img.planes();
    let plane = planes.interleaved.ok_or_else(|| corrupt("no RGB plane".into()))?;
    let (w, h) = (plane.width, plane.height);
    let row = w as usize * 3;
    let mut rgb = Vec::with_capacity(row * h as usize);
    for y in 0..h as usize {
        let start = y * plane.stride;
        rgb.extend_from_slice(plane.data.get(start..start + row).ok_or_else(|| corrupt("short plane".into()))?);
    }
    Ok(DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, rgb).ok_or_else(|| corrupt("size mismatch".into()))?))
}

fn decode_jpeg_scaled(bytes: &[u8]) -> Result<DynamicImage, Undecodable> {
    let corrupt = Undecodable::corrupt("JPEG");
    let mut d = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    d.read_info().map_err(|e| corrupt(e.to_string()))?;
    let info = d.info().ok_or_else(|| corrupt("no header".into()))?;
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    // Every 8×8 block of a scan costs at least one bit, so a header that claims more blocks
    // than the file has bits describes pixels that are not there. The decoder would make them
    // up, row by row: a 1.3 KB file claiming 65358×65279 pixels held an import for minutes
    // (found by the `exif` fuzz target).
    let blocks = u64::from(w).div_ceil(8) * u64::from(h).div_ceil(8);
    if blocks > (bytes.len() as u64).saturating_mul(8) {
        return Err(corrupt(format!("the header claims {w}×{h} pixels, more than {} bytes can hold", bytes.len())));
    }
    let long = w.max(h).max(1);
    if long > SCREEN {
        let req = |side: u32| u16::try_from((side * SCREEN).div_ceil(long)).unwrap_or(u16::MAX);
        d.scale(req(w), req(h)).map_err(|e| corrupt(e.to_string()))?;
    }
    let pixels = d.decode().map_err(|e| corrupt(e.to_string()))?;
    let info = d.info().ok_or_else(|| corrupt("no header".into()))?;
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    let bad = || corrupt("pixel data does not match its size".into());
    Ok(match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, pixels).ok_or_else(bad)?),
        jpeg_decoder::PixelFormat::L8 => DynamicImage::ImageLuma8(GrayImage::from_raw(w, h, pixels).ok_or_else(bad)?),
        jpeg_decoder::PixelFormat::L16 => {
            let gray: Vec<u8> = pixels.chunks_exact(2).map(|p| p[0]).collect();
            DynamicImage::ImageLuma8(GrayImage::from_raw(w, h, gray).ok_or_else(bad)?)
        }
        jpeg_decoder::PixelFormat::CMYK32 => {
            let rgb: Vec<u8> = pixels
                .chunks_exact(4)
                .flat_map(|p| {
                    let k = u16::from(p[3]);
                    [p[0], p[1], p[2]].map(|c| (u16::from(c) * k / 255) as u8)
                })
                .collect();
            DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, rgb).ok_or_else(bad)?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::{SampleExif, camera_photo};

    /// `jpeg` with the size in its start-of-frame header replaced by `w`×`h`.
    fn claiming(mut jpeg: Vec<u8>, w: u16, h: u16) -> Vec<u8> {
        let sof = jpeg.windows(2).position(|m| m == [0xFF, 0xC0]).expect("a baseline JPEG has SOF0");
        jpeg[sof + 5..sof + 7].copy_from_slice(&h.to_be_bytes());
        jpeg[sof + 7..sof + 9].copy_from_slice(&w.to_be_bytes());
        jpeg
    }

    #[test]
    fn a_small_file_claiming_a_huge_frame_is_refused_not_decoded() {
        let photo = camera_photo(64, 48, 1, &SampleExif::default());
        assert_eq!(decode_upright(&photo, "image/jpeg", None).map(|i| (i.width(), i.height())), Ok((64, 48)));
        let forged = claiming(photo, 65358, 65279);
        let refused = decode_upright(&forged, "image/jpeg", None).expect_err("no pixels behind that header");
        assert_eq!(refused.code(), "corrupt");
        assert!(refused.to_string().contains("65358×65279"), "{refused}");
    }
}
