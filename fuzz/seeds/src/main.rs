//! The seed corpus of the fuzz targets: real camera photos (sample.rs), signed manifests and
//! signed upload requests, written to the folder named on the command line. The signing key
//! is 32 bytes of 7; the targets verify with its public half.

use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use ed25519_dalek::{Signer, SigningKey};
use mingcha_core::change::{ChangeOp, ChangeRecord, EntityKind};
use mingcha_core::custody::Hash;
use mingcha_core::id::{ChangeId, DeviceId};
use mingcha_core::sync::{Manifest, SignedManifest, request_message};
use mingcha_evidence::sample::{SampleExif, camera_photo, exif_segment};
use serde_json::json;
use sha2::Digest;
use uuid::Uuid;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
fn sha(b: &[u8]) -> String {
    hex(&sha2::Sha256::digest(b))
}
fn put(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}

fn main() {
    let root = Path::new(&std::env::args().nth(1).unwrap()).to_path_buf();
    let key = SigningKey::from_bytes(&[7u8; 32]);
    println!("DEVICE_KEY {}", hex(key.verifying_key().as_bytes()));

    // EXIF
    let ex = root.join("exif");
    let shot = NaiveDate::from_ymd_opt(2026, 11, 10).unwrap().and_hms_opt(9, 21, 4).unwrap();
    let full = SampleExif {
        taken_at: Some(shot),
        offset: Some("+08:00".into()),
        gps: Some((30.2741, 120.1551)),
        make: Some("Mingcha".into()),
        model: Some("Field 1".into()),
        orientation: Some(6),
    };
    let photo = camera_photo(64, 48, 1, &full);
    put(&ex, "camera-64x48-full-exif.jpg", &photo);
    put(&ex, "camera-header-only.jpg", &photo[..photo.len().min(600)]);
    let south_west = SampleExif { gps: Some((-33.8568, -70.6693)), orientation: Some(3), ..full.clone() };
    put(&ex, "camera-south-west.jpg", &camera_photo(32, 24, 2, &south_west));
    put(&ex, "camera-no-exif.jpg", &camera_photo(16, 16, 3, &SampleExif::default()));
    let time_only = SampleExif { taken_at: Some(shot), ..SampleExif::default() };
    put(&ex, "camera-time-only.jpg", &camera_photo(16, 16, 4, &time_only));
    // A bare TIFF (the EXIF block alone) and a PNG carrying it in an eXIf chunk.
    let seg = exif_segment(&full);
    let tiff = &seg[10..];
    put(&ex, "exif-block.tif", tiff);
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image_compat(&image::RgbImage::from_pixel(4, 4, image::Rgb([200, 10, 10])));
    let mut chunk = Vec::new();
    chunk.extend_from_slice(&(tiff.len() as u32).to_be_bytes());
    chunk.extend_from_slice(b"eXIf");
    chunk.extend_from_slice(tiff);
    let mut crc_in = b"eXIf".to_vec();
    crc_in.extend_from_slice(tiff);
    chunk.extend_from_slice(&crc32(&crc_in).to_be_bytes());
    let mut with = png[..33].to_vec(); // signature + IHDR
    with.extend_from_slice(&chunk);
    with.extend_from_slice(&png[33..]);
    put(&ex, "png-with-exif.png", &with);
    let mut webp = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut webp)
        .encode(image::RgbImage::from_pixel(4, 4, image::Rgb([1, 2, 3])).as_raw(), 4, 4, image::ExtendedColorType::Rgb8)
        .unwrap();
    put(&ex, "lossless.webp", &webp);
    put(&ex, "heic-ftyp-header.heic", b"\0\0\0\x18ftypheic\0\0\0\0mif1heic\0\0\0\x08meta");
    put(&ex, "text-named-jpg.jpg", "这不是照片 IMG_0001.JPG".as_bytes());

    // Manifests
    let mf = root.join("manifest");
    let device = DeviceId::from_uuid(Uuid::from_u128(0x0192_f4a0_0000_7000_8000_0000_0000_0001));
    let at = |seq: u64| -> DateTime<Utc> { DateTime::from_timestamp(1_795_000_000 + seq as i64 * 60, 0).unwrap() };
    let change = |seq: u64, entity: EntityKind, entity_id: &str, payload: serde_json::Value| ChangeRecord {
        id: ChangeId::from_uuid(Uuid::from_u128(0x0192_f4a0_0000_7000_9000_0000_0000_0000 + u128::from(seq))),
        seq,
        device_id: device,
        entity,
        entity_id: entity_id.to_owned(),
        op: ChangeOp::Create,
        payload,
        at: at(seq),
    };
    let finding = "0192f4a0-0000-7000-8000-0000000000f1";
    let evidence = "0192f4a0-0000-7000-8000-0000000000e1";
    let changes = vec![
        change(1, EntityKind::Unit, "u1", json!({"id": "u1", "name": "城南区政务服务中心", "region": "城南区"})),
        change(2, EntityKind::Finding, finding, json!({"id": finding, "text": "3号窗口工作人员上班时间脱岗二十分钟", "severity": "较重", "observed_at": "2026-11-10T09:20:00"})),
        change(3, EntityKind::Evidence, evidence, json!({
            "evidence": {"id": evidence, "target": {"kind": "finding", "finding_id": finding}, "sha256": sha(&photo),
                         "size": photo.len(), "media_type": "image/jpeg", "original_name": "IMG_0001.JPG"},
            "meta": {"taken_at": "2026-11-10T09:21:04", "taken_offset": "+08:00", "gps": {"lat": 30.274116666666668, "lon": 120.15508333333334, "alt": -3.5},
                     "make": "Mingcha", "model": "Field 1", "orientation": 6, "width": 64, "height": 48},
            "damaged": null, "sha256": sha(&photo), "size": photo.len()})),
    ];
    let sign = |m: Manifest| {
        let signature = hex(&key.sign(&m.signing_message()).to_bytes());
        SignedManifest { manifest: m, signature }
    };
    let day = sign(Manifest::new(Uuid::from_u128(0x0192_f4a0_0000_7000_8000_0000_0000_0b01), device, 0, Hash::GENESIS, changes.clone()));
    put(&mf, "signed-day.json", &serde_json::to_vec(&day).unwrap());
    put(&mf, "signed-day-pretty.json", &serde_json::to_vec_pretty(&day).unwrap());
    let empty = sign(Manifest::new(Uuid::from_u128(0x0192_f4a0_0000_7000_8000_0000_0000_0b02), device, 41, Hash([0x41; 32]), vec![]));
    put(&mf, "signed-empty.json", &serde_json::to_vec(&empty).unwrap());
    put(&mf, "bare-manifest.json", &day.manifest.canonical_bytes());
    let mut gap = day.clone();
    gap.manifest.after_seq = 7;
    put(&mf, "refused-gap.json", &serde_json::to_vec(&gap).unwrap());

    // Upload requests
    let up = root.join("upload");
    let time = 1_764_800_000i64;
    let req = |method: &str, target: &str, body: &[u8], nonce: &str| -> Vec<u8> {
        let digest = sha(body);
        let sig = hex(&key.sign(&request_message(method, target, time, nonce, &digest)).to_bytes());
        let mut out = format!(
            "{method} {target}\nx-mingcha-device: {device}\nx-mingcha-time: {time}\nx-mingcha-nonce: {nonce}\nx-mingcha-body-sha256: {digest}\nx-mingcha-signature: {sig}\ncontent-type: application/octet-stream\n\n"
        )
        .into_bytes();
        out.extend_from_slice(body);
        out
    };
    let digest = sha(&photo);
    put(&up, "put-whole.txt", &req("PUT", &format!("/api/v1/blobs/{digest}?offset=0"), &photo[..256], "0123456789abcdef0123456789abcdef"));
    put(&up, "put-resume.txt", &req("PUT", &format!("/api/v1/blobs/{digest}?offset=256"), &photo[256..400], "fedcba9876543210fedcba9876543210"));
    put(&up, "get-upload-state.txt", &req("GET", &format!("/api/v1/blobs/{digest}/upload"), b"", "00112233445566778899aabbccddeeff"));
    put(&up, "put-no-offset.txt", &req("PUT", &format!("/api/v1/blobs/{digest}"), b"x", "0123456789abcdef0123456789abcde0"));
    put(&up, "put-traversal.txt", &req("PUT", "/api/v1/blobs/..%2F..%2Fetc%2Fpasswd?offset=0", b"x", "0123456789abcdef0123456789abcde1"));
    // Found by review while writing the target: a time of i64::MIN overflowed the window check.
    let mut stale = req("PUT", &format!("/api/v1/blobs/{digest}?offset=0"), b"", "0123456789abcdef0123456789abcde2");
    let text = String::from_utf8(stale.clone()).unwrap().replace(&format!("x-mingcha-time: {time}"), "x-mingcha-time: -9223372036854775808");
    stale = text.into_bytes();
    put(&up, "regression-time-i64-min.txt", &stale);
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

trait Compat {
    fn write_image_compat(self, img: &image::RgbImage);
}
impl<W: std::io::Write> Compat for image::codecs::png::PngEncoder<W> {
    fn write_image_compat(self, img: &image::RgbImage) {
        use image::ImageEncoder;
        self.write_image(img.as_raw(), img.width(), img.height(), image::ExtendedColorType::Rgb8).unwrap();
    }
}
