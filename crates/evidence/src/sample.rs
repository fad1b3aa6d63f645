//! Synthetic camera photos for tests and benchmarks: textured, noisy JPEGs that compress like
//! real ones (a 12-megapixel frame comes to a few megabytes), with the EXIF a phone writes.

use chrono::NaiveDateTime;
use exif::experimental::Writer;
use exif::{Field, In, Rational, Tag, Value};
use image::{ImageEncoder, RgbImage};

/// The EXIF a sample photo carries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SampleExif {
    pub taken_at: Option<NaiveDateTime>,
    pub offset: Option<String>,
    /// (latitude, longitude) in degrees; negative is south or west.
    pub gps: Option<(f64, f64)>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub orientation: Option<u8>,
}

/// A small deterministic generator (splitmix64), so a seed always makes the same photo.
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Encode an image as a baseline JPEG.
pub fn encode_jpeg(img: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .write_image(img.as_raw(), img.width(), img.height(), image::ExtendedColorType::Rgb8)
        .expect("encoding to memory cannot fail");
    out
}

/// A camera-like frame: lighting gradients, a texture of shapes and sensor noise.
pub fn camera_frame(width: u32, height: u32, seed: u64) -> RgbImage {
    let mut rng = Rng(seed);
    let (fx, fy) = ((rng.next_u64() % 7 + 3) as f32, (rng.next_u64() % 5 + 2) as f32);
    let tint = [(rng.next_u64() % 60) as f32, (rng.next_u64() % 60) as f32, (rng.next_u64() % 60) as f32];
    let mut noise = rng.next_u64();
    RgbImage::from_fn(width, height, |x, y| {
        let (u, v) = (x as f32 / width as f32, y as f32 / height as f32);
        let base = 90.0 + 80.0 * u + 40.0 * (v * fy * 3.1).sin() * (u * fx * 3.1).cos();
        if x % 64 == 0 {
            noise = Rng(noise).next_u64();
        }
        noise = noise.rotate_left(7) ^ u64::from(x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503));
        let px = |c: usize| {
            let n = ((noise >> (c * 8)) % 24) as f32 - 12.0;
            (base + tint[c] + n).clamp(0.0, 255.0) as u8
        };
        image::Rgb([px(0), px(1), px(2)])
    })
}

/// A camera photo as JPEG bytes with `exif`.
pub fn camera_photo(width: u32, height: u32, seed: u64, exif: &SampleExif) -> Vec<u8> {
    with_exif(&encode_jpeg(&camera_frame(width, height, seed), 90), exif)
}

/// Write `count` camera photos to `out` (made if missing), as a phone's card would hold them:
/// `IMG_0001.JPG` …, 1600×1200, taken a minute apart from `first_shot` (wrapping after 50),
/// at the laptop offset `offset` (`+08:00`), in 杭州, by a "Mingcha `model`" camera.
pub fn camera_card(
    out: &std::path::Path,
    count: u64,
    first_shot: NaiveDateTime,
    offset: &str,
    model: &str,
) -> std::io::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(out)?;
    (0..count)
        .map(|i| {
            let exif = SampleExif {
                taken_at: Some(first_shot + chrono::Duration::minutes((i % 50) as i64)),
                offset: Some(offset.to_owned()),
                gps: Some((30.2741, 120.1551)),
                make: Some("Mingcha".into()),
                model: Some(model.to_owned()),
                orientation: None,
            };
            let path = out.join(format!("IMG_{:04}.JPG", i + 1));
            std::fs::write(&path, camera_photo(1600, 1200, i, &exif))?;
            Ok(path)
        })
        .collect()
}

fn ascii(tag: Tag, s: &str) -> Field {
    Field { tag, ifd_num: In::PRIMARY, value: Value::Ascii(vec![s.as_bytes().to_vec()]) }
}

fn dms(degrees: f64) -> Value {
    let d = degrees.abs();
    let whole = d.trunc();
    let minutes = (d - whole) * 60.0;
    let m = minutes.trunc();
    let s = ((minutes - m) * 60.0 * 1000.0).round();
    Value::Rational(vec![
        Rational { num: whole as u32, denom: 1 },
        Rational { num: m as u32, denom: 1 },
        Rational { num: s as u32, denom: 1000 },
    ])
}

/// The APP1 segment carrying `exif`.
pub fn exif_segment(exif: &SampleExif) -> Vec<u8> {
    let mut fields = Vec::new();
    if let Some(t) = exif.taken_at {
        fields.push(ascii(Tag::DateTimeOriginal, &t.format("%Y:%m:%d %H:%M:%S").to_string()));
    }
    if let Some(o) = &exif.offset {
        fields.push(ascii(Tag::OffsetTimeOriginal, o));
    }
    if let Some(m) = &exif.make {
        fields.push(ascii(Tag::Make, m));
    }
    if let Some(m) = &exif.model {
        fields.push(ascii(Tag::Model, m));
    }
    if let Some(o) = exif.orientation {
        fields.push(Field { tag: Tag::Orientation, ifd_num: In::PRIMARY, value: Value::Short(vec![u16::from(o)]) });
    }
    if let Some((lat, lon)) = exif.gps {
        fields.push(ascii(Tag::GPSLatitudeRef, if lat < 0.0 { "S" } else { "N" }));
        fields.push(Field { tag: Tag::GPSLatitude, ifd_num: In::PRIMARY, value: dms(lat) });
        fields.push(ascii(Tag::GPSLongitudeRef, if lon < 0.0 { "W" } else { "E" }));
        fields.push(Field { tag: Tag::GPSLongitude, ifd_num: In::PRIMARY, value: dms(lon) });
    }
    let mut writer = Writer::new();
    for f in &fields {
        writer.push_field(f);
    }
    let mut tiff = std::io::Cursor::new(Vec::new());
    writer.write(&mut tiff, false).expect("writing EXIF to memory");
    let tiff = tiff.into_inner();
    let len = u16::try_from(2 + 6 + tiff.len()).expect("EXIF fits a segment");
    let mut seg = vec![0xFF, 0xE1];
    seg.extend_from_slice(&len.to_be_bytes());
    seg.extend_from_slice(b"Exif\0\0");
    seg.extend_from_slice(&tiff);
    seg
}

/// `jpeg` with an EXIF segment right after its start-of-image marker.
pub fn with_exif(jpeg: &[u8], exif: &SampleExif) -> Vec<u8> {
    if *exif == SampleExif::default() {
        return jpeg.to_vec();
    }
    let mut out = Vec::with_capacity(jpeg.len() + 512);
    out.extend_from_slice(&jpeg[..2]);
    out.extend_from_slice(&exif_segment(exif));
    out.extend_from_slice(&jpeg[2..]);
    out
}
