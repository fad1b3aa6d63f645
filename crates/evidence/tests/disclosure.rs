//! Disclosure copies: the notice gets a watermarked copy, the original never changes.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed; the panic says where

use std::io::Cursor;

use chrono::NaiveDate;
use mingcha_evidence::disclosure::disclose;
use mingcha_evidence::import::{Outcome, blob_store, import};
use mingcha_evidence::sample::{SampleExif, camera_photo};
use mingcha_store::evidence::TargetRef;
use mingcha_store::{DataDir, Store};

mod common;

fn store_with_photo(tmp: &std::path::Path, bytes: &[u8], name: &str) -> (Store, DataDir, String) {
    let (mut store, data, finding) =
        common::store_with_finding(tmp, "西湖区民政局", "婚姻登记处", "上班看视频", "工作人员上班时间用手机看短视频");
    let file = tmp.join(name);
    std::fs::write(&file, bytes).unwrap();
    let summary = import(&mut store, &data, &TargetRef::Finding(finding), &[file], None).unwrap();
    let id = match &summary.files[0].outcome {
        Outcome::Imported { evidence_id, .. } => evidence_id.to_string(),
        other => panic!("{other:?}"),
    };
    (store, data, id)
}

fn photo() -> Vec<u8> {
    let exif = SampleExif {
        taken_at: NaiveDate::from_ymd_opt(2026, 11, 10).unwrap().and_hms_opt(14, 5, 0),
        offset: Some("+08:00".into()),
        gps: Some((30.2590, 120.1300)),
        make: Some("Xiaomi".into()),
        model: Some("14".into()),
        orientation: Some(6),
    };
    camera_photo(1200, 900, 11, &exif)
}

#[test]
fn a_copy_is_watermarked_and_gps_free_while_the_original_stays_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let bytes = photo();
    let (mut store, data, evidence) = store_with_photo(tmp.path(), &bytes, "IMG_2001.JPG");
    let original = store.evidence(&evidence).unwrap();

    let d = disclose(&mut store, &data, &evidence, true).unwrap();
    assert_eq!(d.original, original.evidence.sha256);
    assert_ne!(d.sha256, d.original);
    assert!(d.watermark.iter().any(|l| l.contains("2026-11-10 14:05:00")), "{:?}", d.watermark);
    assert!(d.watermark.iter().any(|l| l.contains("西湖区民政局 婚姻登记处")));
    assert!(d.watermark.iter().any(|l| l.contains("吴督查")));
    let mingcha_core::evidence::EvidenceTarget::Finding { finding_id } = &original.evidence.target else { panic!() };
    assert!(d.watermark.iter().any(|l| l.contains(&finding_id.to_string())), "{:?}", d.watermark);

    let copy = blob_store(&store, &data).read(&d.sha256).unwrap();
    let meta = mingcha_evidence::exif::read(Cursor::new(&copy));
    assert!(meta.gps.is_none(), "GPS removed");
    assert_eq!(meta.taken_at, original.meta.taken_at, "the capture time is kept");
    let img = image::load_from_memory(&copy).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (900, 1200), "upright: the orientation-6 photo stands portrait");
    let (w, h) = img.dimensions();
    let band: Vec<_> =
        (0..w).flat_map(|x| (h - 40..h).map(move |y| (x, y))).map(|(x, y)| *img.get_pixel(x, y)).collect();
    let bright = band.iter().filter(|p| p.0.iter().all(|c| *c > 200)).count();
    let dark = band.iter().filter(|p| p.0.iter().all(|c| *c < 110)).count();
    assert!(bright > 50 && dark > band.len() / 2, "white text on a dark band: {bright} bright, {dark} dark");

    assert_eq!(blob_store(&store, &data).read(&original.evidence.sha256).unwrap(), bytes, "the original is untouched");
    let with_gps = disclose(&mut store, &data, &evidence, false).unwrap();
    assert!(
        mingcha_evidence::exif::read(Cursor::new(blob_store(&store, &data).read(&with_gps.sha256).unwrap()))
            .gps
            .is_some()
    );
    let changes = store.changes_after(0).unwrap();
    assert_eq!(changes.iter().filter(|c| c.entity.as_str() == "disclosure_copy").count(), 2);
    // What the end-of-day sync will upload: the original and both copies, once each.
    let blobs: Vec<_> = mingcha_core::sync::blobs_of(&changes).into_iter().map(|b| b.sha256).collect();
    assert_eq!(blobs.len(), 3);
    for sha in [&original.evidence.sha256, &d.sha256, &with_gps.sha256] {
        assert!(blobs.contains(sha), "{} is not in the batch", sha.as_str());
    }
}

#[test]
fn only_intact_photos_get_copies() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut store, data, pdf) = store_with_photo(tmp.path(), b"%PDF-1.4\n1 0 obj\n", "通报草稿.pdf");
    let err = disclose(&mut store, &data, &pdf, true).unwrap_err();
    assert!(err.to_string().contains("only JPEG, PNG and WebP"), "{err}");
    let good = photo();
    let tmp2 = tempfile::tempdir().unwrap();
    let (mut store, data, broken) = store_with_photo(tmp2.path(), &good[..good.len() / 3], "IMG_2002.JPG");
    let err = disclose(&mut store, &data, &broken, true).unwrap_err();
    assert!(err.to_string().contains("damaged"), "{err}");
}
