//! Importing evidence as an inspector does at the end of a day: real files on disk, a real
//! store, every awkward file a camera card or a colleague's folder can hold.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed; the panic says where

use std::fs;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use image::{Rgb, RgbImage};
use mingcha_core::evidence::EvidenceFlag;
use mingcha_evidence::import::{Outcome, Summary, blob_store, import, preview_store};
use mingcha_evidence::preview::{SCREEN, THUMBNAIL};
use mingcha_evidence::sample::{SampleExif, camera_photo, encode_jpeg, with_exif};
use mingcha_store::evidence::TargetRef;
use mingcha_store::{DataDir, Store};

mod common;

fn day() -> NaiveDate {
    common::visit_day()
}

fn taken(d: u32, h: u32) -> SampleExif {
    SampleExif {
        taken_at: NaiveDate::from_ymd_opt(2026, 11, d).unwrap().and_hms_opt(h, 15, 0),
        offset: Some("+08:00".into()),
        gps: Some((30.2741, 120.1551)),
        make: Some("HUAWEI".into()),
        model: Some("P60".into()),
        orientation: None,
    }
}

struct Field {
    _tmp: tempfile::TempDir,
    data: DataDir,
    store: Store,
    finding: String,
    card: PathBuf,
}

fn field() -> Field {
    let tmp = tempfile::tempdir().unwrap();
    let (store, data, finding) = common::store_with_finding(
        tmp.path(),
        "高新区行政服务中心",
        "5号窗口",
        "未亮牌上岗",
        "5号窗口工作人员未佩戴工作牌",
    );
    let card = tmp.path().join("DCIM");
    fs::create_dir_all(&card).unwrap();
    Field { data, store, finding, card, _tmp: tmp }
}

impl Field {
    fn import(&mut self, paths: &[PathBuf]) -> Summary {
        import(&mut self.store, &self.data, &TargetRef::Finding(self.finding.clone()), paths, None).unwrap()
    }
    fn outcome(summary: &Summary, name: &str) -> Outcome {
        summary
            .files
            .iter()
            .find(|f| f.path.file_name().is_some_and(|n| n.to_string_lossy() == name))
            .unwrap_or_else(|| panic!("{name} not in summary: {summary:#?}"))
            .outcome
            .clone()
    }
    fn stored_blobs(&self) -> usize {
        blob_store(&self.store, &self.data).stored_names().len()
    }
}

fn write(path: &Path, bytes: &[u8]) {
    fs::write(path, bytes).unwrap();
}

/// An upright 64×48 picture in four colours: red top-left, green top-right, blue bottom-left,
/// white bottom-right.
fn quadrants() -> RgbImage {
    RgbImage::from_fn(64, 48, |x, y| match (x < 32, y < 24) {
        (true, true) => Rgb([230, 20, 20]),
        (false, true) => Rgb([20, 200, 20]),
        (true, false) => Rgb([20, 20, 230]),
        (false, false) => Rgb([250, 250, 250]),
    })
}

/// How a camera stores the upright picture `u` when it writes EXIF orientation `o`
/// (the TIFF definition: where row 0 and column 0 of the stored picture are seen).
fn stored_as(u: &RgbImage, o: u8) -> RgbImage {
    let (w, h) = u.dimensions();
    let swap = o >= 5;
    let (sw, sh) = if swap { (h, w) } else { (w, h) };
    let mut s = RgbImage::new(sw, sh);
    for y in 0..h {
        for x in 0..w {
            let (sx, sy) = match o {
                1 => (x, y),
                2 => (w - 1 - x, y),
                3 => (w - 1 - x, h - 1 - y),
                4 => (x, h - 1 - y),
                5 => (y, x),
                6 => (y, w - 1 - x),
                7 => (h - 1 - y, w - 1 - x),
                8 => (h - 1 - y, x),
                _ => unreachable!(),
            };
            s.put_pixel(sx, sy, *u.get_pixel(x, y));
        }
    }
    s
}

#[test]
fn every_exif_orientation_gives_an_upright_preview() {
    let mut f = field();
    let paths: Vec<PathBuf> = (1..=8)
        .map(|o| {
            let jpeg = encode_jpeg(&stored_as(&quadrants(), o), 95);
            let exif = SampleExif { orientation: Some(o), ..taken(10, 9) };
            let p = f.card.join(format!("orientation-{o}.jpg"));
            write(&p, &with_exif(&jpeg, &exif));
            p
        })
        .collect();
    let summary = f.import(&paths);
    assert_eq!(summary.imported, 8, "{summary:#?}");
    for (o, p) in (1..=8).zip(&paths) {
        let Outcome::Imported { sha256, .. } = Field::outcome(&summary, p.file_name().unwrap().to_str().unwrap())
        else {
            panic!("orientation {o} not imported")
        };
        let preview = image::load_from_memory(&preview_store(&f.store, &f.data).read(&sha256, THUMBNAIL).unwrap())
            .unwrap()
            .to_rgb8();
        assert_eq!(preview.dimensions(), (64, 48), "orientation {o}: preview is landscape like the scene");
        let at = |x, y| *preview.get_pixel(x, y);
        let near = |p: Rgb<u8>, q: [u8; 3]| p.0.iter().zip(q).all(|(a, b)| a.abs_diff(b) < 60);
        assert!(near(at(8, 6), [230, 20, 20]), "orientation {o}: top-left should be red, is {:?}", at(8, 6));
        assert!(near(at(56, 6), [20, 200, 20]), "orientation {o}: top-right should be green, is {:?}", at(56, 6));
        assert!(near(at(8, 42), [20, 20, 230]), "orientation {o}: bottom-left should be blue, is {:?}", at(8, 42));
        assert!(near(at(56, 42), [250, 250, 250]), "orientation {o}: bottom-right should be white");
    }
}

#[test]
fn a_reimport_stores_nothing_twice() {
    let mut f = field();
    for i in 0..3 {
        write(&f.card.join(format!("IMG_000{i}.JPG")), &camera_photo(320, 240, i, &taken(10, 9)));
    }
    let first = f.import(std::slice::from_ref(&f.card.clone()));
    assert_eq!((first.imported, first.already_present, first.failed), (3, 0, 0));
    let second = f.import(std::slice::from_ref(&f.card.clone()));
    assert_eq!((second.imported, second.already_present, second.failed), (0, 3, 0));
    assert_eq!(f.stored_blobs(), 3);
    assert_eq!(f.store.evidence_of(&f.finding).unwrap().len(), 3);
    // The original bytes are exactly what was on the card.
    for e in f.store.evidence_of(&f.finding).unwrap() {
        let stored = blob_store(&f.store, &f.data).read(&e.evidence.sha256).unwrap();
        assert_eq!(stored, fs::read(f.card.join(&e.evidence.original_name)).unwrap());
        assert!(blob_store(&f.store, &f.data).verify(&e.evidence.sha256).unwrap());
    }
}

#[test]
fn exif_is_read_and_suspicious_capture_times_are_flagged() {
    let mut f = field();
    write(&f.card.join("today.jpg"), &camera_photo(320, 240, 1, &taken(10, 9)));
    write(&f.card.join("last-week.jpg"), &camera_photo(320, 240, 2, &taken(3, 9)));
    write(&f.card.join("no-exif.jpg"), &camera_photo(320, 240, 3, &SampleExif::default()));
    let summary = f.import(std::slice::from_ref(&f.card.clone()));
    assert_eq!(summary.imported, 3);
    let listed = f.store.evidence_of(&f.finding).unwrap();
    let by_name = |n: &str| listed.iter().find(|e| e.evidence.original_name == n).unwrap();
    let today = by_name("today.jpg");
    assert!(today.flags.is_empty(), "{:?}", today.flags);
    assert_eq!(today.meta.make.as_deref(), Some("HUAWEI"));
    assert_eq!(today.meta.taken_offset.as_deref(), Some("+08:00"));
    let gps = today.meta.gps.unwrap();
    assert!((gps.lat - 30.2741).abs() < 1e-4 && (gps.lon - 120.1551).abs() < 1e-4, "{gps:?}");
    assert_eq!(
        by_name("last-week.jpg").flags,
        [EvidenceFlag::TakenOutsideVisitDay {
            taken_on: NaiveDate::from_ymd_opt(2026, 11, 3).unwrap(),
            visit_on: day()
        }]
    );
    assert_eq!(by_name("no-exif.jpg").flags, [EvidenceFlag::NoCaptureTime]);
}

#[test]
fn bad_files_each_get_a_reason_and_the_rest_is_imported() {
    let mut f = field();
    let card = f.card.clone();
    let good = camera_photo(640, 480, 7, &taken(10, 10));
    write(&card.join("IMG_0001.JPG"), &good);
    write(&card.join("空文件.jpg"), b"");
    write(&card.join("截断 照片.jpg"), &good[..good.len() / 2]);
    write(&card.join("not-a-photo.jpg"), "这是一段文字，不是照片。".as_bytes());
    write(&card.join("录音 📢 ..m4a"), b"\0\0\0\x1cftypM4A \0\0\0\0voice memo bytes");
    write(&card.join("..hidden-looking but fine.pdf".trim_start_matches('.')), b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n");
    // A 500 MB video: sparse on disk, streamed through a small buffer, no preview.
    let video = fs::File::create(card.join("VID_0001.MP4")).unwrap();
    use std::io::Write;
    (&video).write_all(b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2").unwrap();
    video.set_len(500 * 1024 * 1024).unwrap();
    // A folder that loops back on itself, and a link to nowhere.
    std::os::unix::fs::symlink(&card, card.join("loop")).unwrap();
    std::os::unix::fs::symlink(card.join("gone.jpg"), card.join("dangling.jpg")).unwrap();
    let again = card.join("IMG_0001.JPG");
    let summary = f.import(&[card.clone(), again, card.join("missing.jpg")]);

    let failed = |name: &str| match Field::outcome(&summary, name) {
        Outcome::Failed { reason, .. } => reason,
        other => panic!("{name}: expected a failure, got {other:?}"),
    };
    assert!(failed("空文件.jpg").contains("empty file"));
    assert!(failed("not-a-photo.jpg").contains("named as image/jpeg but the content is not"));
    assert!(failed("loop").contains("loops back"));
    assert!(failed("dangling.jpg").contains("cannot read"));
    assert!(failed("missing.jpg").contains("cannot read"));
    assert!(matches!(Field::outcome(&summary, "IMG_0001.JPG"), Outcome::Imported { .. }));
    assert!(
        summary
            .files
            .iter()
            .any(|r| matches!(&r.outcome, Outcome::AlreadyPresent { note, .. } if note.contains("named twice")))
    );

    let Outcome::Imported { flags, sha256, .. } = Field::outcome(&summary, "截断 照片.jpg") else {
        panic!("truncated photo is kept")
    };
    assert!(matches!(&flags[0], EvidenceFlag::Damaged { reason } if reason.contains("truncated")), "{flags:?}");
    assert!(preview_store(&f.store, &f.data).exist(&sha256), "a damaged photo shows a placeholder preview");
    let Outcome::Imported { media_type, sha256, .. } = Field::outcome(&summary, "VID_0001.MP4") else {
        panic!("video")
    };
    assert_eq!(media_type, "video/mp4");
    assert!(!preview_store(&f.store, &f.data).exist(&sha256));
    let mut video = blob_store(&f.store, &f.data).open(&sha256).unwrap();
    assert_eq!(video.size(), 500 * 1024 * 1024);
    // The tail reads back (a whole read is the blob store's own test, on a smaller stream).
    use std::io::{Read, Seek};
    video.seek(std::io::SeekFrom::End(-(1 << 20))).unwrap();
    assert_eq!(std::io::copy(&mut video.by_ref().take(2 << 20), &mut std::io::sink()).unwrap(), 1 << 20);
    assert!(
        matches!(Field::outcome(&summary, "录音 📢 ..m4a"), Outcome::Imported { media_type, .. } if media_type == "audio/mp4")
    );

    assert_eq!((summary.imported, summary.failed), (5, 5), "{summary:#?}");
    let names: Vec<String> =
        f.store.evidence_of(&f.finding).unwrap().into_iter().map(|e| e.evidence.original_name).collect();
    assert!(names.contains(&"录音 📢 ..m4a".to_owned()), "{names:?}");
    assert_eq!(f.stored_blobs(), 5);
}

#[test]
fn a_check_names_altered_missing_and_orphan_files() {
    let mut f = field();
    for i in 0..3 {
        write(&f.card.join(format!("IMG_10{i}.JPG")), &camera_photo(320, 240, 40 + i, &taken(10, 9)));
    }
    f.import(std::slice::from_ref(&f.card.clone()));
    let report = mingcha_evidence::check::check(&f.store, &f.data).unwrap();
    assert_eq!((report.intact, report.holds()), (3, true));

    let listed = f.store.evidence_of(&f.finding).unwrap();
    let blobs = blob_store(&f.store, &f.data);
    let altered = &listed[0].evidence.sha256;
    let mut bytes = fs::read(blobs.path(altered)).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    fs::write(blobs.path(altered), bytes).unwrap();
    let missing = &listed[1].evidence.sha256;
    fs::remove_file(blobs.path(missing)).unwrap();
    let orphan = blobs.put_bytes(b"stored by an import killed before it recorded this").unwrap();

    let report = mingcha_evidence::check::check(&f.store, &f.data).unwrap();
    assert_eq!(report.altered, std::slice::from_ref(altered));
    assert_eq!(report.missing, std::slice::from_ref(missing));
    assert_eq!(report.orphans, [blobs.name(&orphan.sha256)]);
    assert_eq!(report.intact, 1);
    assert!(!report.holds());
}

/// HEIC (what iPhones write) is made here with libheif's own `heif-enc` from a JPEG, as a phone
/// would have written it; the import decodes it through the same libheif.
#[test]
fn an_iphone_heic_gets_an_upright_preview_and_its_exif_read() {
    let mut f = field();
    let jpeg = f.card.join("source.jpg");
    write(&jpeg, &with_exif(&encode_jpeg(&quadrants(), 95), &taken(10, 11)));
    let heic = f.card.join("IMG_4001.HEIC");
    let made = std::process::Command::new("heif-enc").args(["-q", "90", "-o"]).arg(&heic).arg(&jpeg).output();
    let made =
        made.expect("heif-enc (Debian package libheif-examples) must be installed; `cargo xtask test` installs it");
    assert!(made.status.success(), "heif-enc failed: {}", String::from_utf8_lossy(&made.stderr));
    let summary = f.import(std::slice::from_ref(&heic));
    let Outcome::Imported { sha256, media_type, flags, .. } = Field::outcome(&summary, "IMG_4001.HEIC") else {
        panic!("{summary:#?}")
    };
    assert_eq!(media_type, "image/heic");
    assert!(flags.is_empty(), "the capture time came through: {flags:?}");
    let preview =
        image::load_from_memory(&preview_store(&f.store, &f.data).read(&sha256, THUMBNAIL).unwrap()).unwrap().to_rgb8();
    assert_eq!(preview.dimensions(), (64, 48));
    let near = |p: Rgb<u8>, q: [u8; 3]| p.0.iter().zip(q).all(|(a, b)| a.abs_diff(b) < 60);
    assert!(near(*preview.get_pixel(8, 6), [230, 20, 20]), "top-left red, is {:?}", preview.get_pixel(8, 6));
    assert!(near(*preview.get_pixel(56, 42), [250, 250, 250]), "bottom-right white");
}

/// A data folder as an older build left it: originals in plaintext at `evidence/sha256/ab/cd/<hex>`,
/// previews at `previews/ab/<hex>-256.jpg`, and leftovers of a killed write. Opening it seals
/// every one, loses none, and leaves no plaintext.
#[test]
fn plaintext_an_older_build_left_is_sealed_at_open_and_removed() {
    let mut f = field();
    for i in 0..2 {
        write(&f.card.join(format!("IMG_30{i}.JPG")), &camera_photo(320, 240, 60 + i, &taken(10, 9)));
    }
    f.import(std::slice::from_ref(&f.card.clone()));
    let (blobs, previews) = (blob_store(&f.store, &f.data), preview_store(&f.store, &f.data));
    let root = f.data.root().to_owned();
    let mut plaintext = Vec::new();
    for e in f.store.evidence_of(&f.finding).unwrap() {
        let (sha, h) = (&e.evidence.sha256, e.evidence.sha256.as_str().to_owned());
        let bytes = blobs.read(sha).unwrap();
        let legacy = root.join("evidence/sha256").join(&h[..2]).join(&h[2..4]).join(&h);
        fs::create_dir_all(legacy.parent().unwrap()).unwrap();
        write(&legacy, &bytes);
        fs::remove_file(blobs.path(sha)).unwrap();
        for (side, new) in [(THUMBNAIL, previews.paths(sha).thumbnail), (SCREEN, previews.paths(sha).screen)] {
            let old = root.join("previews").join(&h[..2]).join(format!("{h}-{side}.jpg"));
            fs::create_dir_all(old.parent().unwrap()).unwrap();
            write(&old, &previews.read(sha, side).unwrap());
            fs::remove_file(new).unwrap();
        }
        plaintext.push((sha.clone(), bytes));
    }
    // A file whose bytes no longer match its name, a half-written original and a half-written
    // preview.
    let wrong = root.join("evidence/sha256/aa/bb").join("aabb".repeat(16));
    fs::create_dir_all(wrong.parent().unwrap()).unwrap();
    write(&wrong, b"bytes that are not what the name says");
    fs::create_dir_all(root.join("evidence/tmp")).unwrap();
    write(&root.join("evidence/tmp/.tmpOLD"), b"\xFF\xD8\xFF half a plaintext photo");
    fs::create_dir_all(root.join("previews/aa")).unwrap();
    write(&root.join("previews/aa/half.jpg.tmp"), b"\xFF\xD8\xFF half a preview");
    let before = mingcha_evidence::check::check(&f.store, &f.data).unwrap();
    assert_eq!(before.missing.len(), 2, "the sealed files were taken away");

    let upgrade = mingcha_evidence::upgrade::seal_plaintext(&f.store, &f.data).unwrap();
    assert_eq!((upgrade.originals, upgrade.previews), (3, 4), "{upgrade:?}");
    assert_eq!(upgrade.altered.len(), 1, "the mismatched file is named: {upgrade:?}");
    assert!(upgrade.altered[0].starts_with(&"aabb".repeat(16)));

    let report = mingcha_evidence::check::check(&f.store, &f.data).unwrap();
    assert_eq!((report.intact, report.holds()), (2, true), "{report:?}");
    assert_eq!(report.orphans.len(), 1, "the mismatched file is kept, as an orphan");
    for (sha, bytes) in &plaintext {
        assert_eq!(&blobs.read(sha).unwrap(), bytes, "every original comes back byte for byte");
        let thumb = image::load_from_memory(&previews.read(sha, THUMBNAIL).unwrap()).unwrap();
        assert_eq!(thumb.width(), 256, "and its previews with it");
    }
    assert!(!root.join("evidence/sha256").exists());
    let left: Vec<String> =
        fs::read_dir(root.join("previews")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
    assert_eq!(left, ["v1"], "only the sealed layout remains");
    for entry in walkdir::WalkDir::new(&root).into_iter().filter_map(Result::ok).filter(|e| e.file_type().is_file()) {
        let bytes = fs::read(entry.path()).unwrap();
        assert!(!bytes.starts_with(&[0xFF, 0xD8]), "{} is still plaintext", entry.path().display());
        assert!(!plaintext.iter().any(|(_, p)| bytes.windows(64).any(|w| w == &p[1000..1064])));
    }
    assert!(mingcha_evidence::upgrade::seal_plaintext(&f.store, &f.data).unwrap().is_empty(), "once is enough");
}
