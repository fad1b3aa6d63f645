//! Evidence import through the `mingcha` binary, including the crashes it must survive: a
//! process killed between storing a file and recording it, and kill -9 at random moments.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed; the panic says where

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use mingcha_evidence::sample::{SampleExif, camera_photo};
use sha2::{Digest, Sha256};

const PASS: &str = "photo test passphrase";

fn mingcha(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mingcha"));
    c.arg("--data").arg(data).env("MINGCHA_PASSPHRASE", PASS).env("TZ", "Asia/Shanghai");
    c
}

fn json(data: &Path, args: &[&str]) -> serde_json::Value {
    let out = mingcha(data).arg("--json").args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A store with one finding, and a camera card of `photos` photos; returns (finding, card).
fn setup(root: &Path, photos: u64) -> (String, PathBuf) {
    let data = root.join("data");
    json(&data, &["init", "--inspector", "孙督查", "--device", "t"]);
    json(&data, &["unit", "add", "滨江区税务服务厅"]);
    let v = json(&data, &["visit", "new", "--unit", "滨江区税务服务厅", "--kind", "明查", "--date", "2026-11-10"]);
    let v = v["id"].as_str().unwrap();
    let f = json(
        &data,
        &[
            "finding",
            "add",
            "--visit",
            v,
            "--category",
            "未一次性告知",
            "--text",
            "未一次性告知所需材料",
            "--at",
            "10:00",
        ],
    );
    let card = root.join("DCIM");
    std::fs::create_dir_all(&card).unwrap();
    for i in 0..photos {
        let exif = SampleExif {
            taken_at: chrono::NaiveDate::from_ymd_opt(2026, 11, 10).unwrap().and_hms_opt(10, i as u32 % 60, 0),
            ..Default::default()
        };
        std::fs::write(card.join(format!("IMG_{i:04}.JPG")), camera_photo(800, 600, i, &exif)).unwrap();
    }
    (f["id"].as_str().unwrap().to_owned(), card)
}

fn import(data: &Path, finding: &str, card: &Path) -> Output {
    mingcha(data).args(["--json", "photo", "import", "--finding", finding]).arg(card).output().unwrap()
}

/// Every evidence row has its original, whole, under its digest; returns how many rows.
fn check_rows_have_blobs(data: &Path, finding: &str) -> usize {
    let list = json(data, &["photo", "list", "--finding", finding]);
    let list = list.as_array().unwrap();
    let out = tempfile::tempdir().unwrap();
    for e in list {
        let h = e["sha256"].as_str().unwrap();
        let file = out.path().join(h);
        let id = e["id"].as_str().unwrap();
        let exported = mingcha(data).args(["photo", "export", id]).arg("--out").arg(&file).output().unwrap();
        assert!(exported.status.success(), "row without its file {h}: {}", String::from_utf8_lossy(&exported.stderr));
        let digest: String = Sha256::digest(std::fs::read(&file).unwrap()).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(digest, h, "the stored original decrypts to bytes with its digest");
    }
    let report = json(data, &["photo", "check"]);
    assert_eq!(report["intact"], list.len(), "{report}");
    list.len()
}

/// Sealed originals on disk (the layout's folder is `evidence/v1`).
fn blob_files(data: &Path) -> usize {
    walk(&data.join("evidence/v1"))
}

fn walk(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map_or(0, |rd| rd.filter_map(Result::ok).map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 }).sum())
}

#[test]
fn a_crash_between_storing_and_recording_leaves_an_orphan_the_next_import_reuses() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (finding, card) = setup(tmp.path(), 3);
    let crashed = mingcha(&data)
        .args(["photo", "import", "--finding", &finding])
        .arg(&card)
        .env("MINGCHA_FAULT", "abort-after-blob")
        .output()
        .unwrap();
    assert!(!crashed.status.success(), "the fault point kills the import");
    assert_eq!(check_rows_have_blobs(&data, &finding), 0, "no row was committed");
    let orphans = blob_files(&data);
    assert!(orphans >= 1, "the file was stored before the crash");

    let out = import(&data, &finding, &card);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["imported"], 3);
    assert_eq!(check_rows_have_blobs(&data, &finding), 3);
    assert_eq!(blob_files(&data), 3, "the orphan was reused, not stored again");
}

#[test]
fn kill_9_at_random_moments_never_leaves_a_row_without_its_file() {
    let seed: u64 = std::env::var("MINGCHA_TEST_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20261122);
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (finding, card) = setup(tmp.path(), 24);
    let mut rng = mingcha_evidence::sample::Rng(seed);
    let deadline = Instant::now() + Duration::from_secs(120);
    for round in 0..8 {
        assert!(Instant::now() < deadline, "round {round} (seed {seed}) ran out of time");
        let mut child = mingcha(&data)
            .args(["--json", "photo", "import", "--finding", &finding])
            .arg(&card)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Not synchronisation: a random moment to pull the plug, from the seed.
        std::thread::sleep(Duration::from_millis(rng.next_u64() % 700));
        let _ = child.kill();
        let _ = child.wait();
        let rows = check_rows_have_blobs(&data, &finding);
        assert!(rows <= 24, "round {round} (seed {seed}): {rows} rows");
    }
    let out = import(&data, &finding, &card);
    assert!(out.status.success(), "seed {seed}: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(check_rows_have_blobs(&data, &finding), 24, "seed {seed}: every photo exactly once");
    assert_eq!(blob_files(&data), 24, "seed {seed}: every original stored once");
    assert_eq!(walk(&data.join("evidence/tmp")), 0, "seed {seed}: no temporary file left");
}

#[test]
fn import_reports_per_file_and_exits_non_zero_when_some_failed() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let (finding, card) = setup(tmp.path(), 2);
    std::fs::write(card.join("readme.jpg"), "not a photo").unwrap();
    let out = mingcha(&data).args(["photo", "import", "--finding", &finding]).arg(&card).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(stdout.contains("readme.jpg") && stdout.contains("named as image/jpeg"), "{stdout}");
    assert!(stdout.contains("imported 2, already present 0, failed 1"), "{stdout}");
    let unknown = mingcha(&data).args(["photo", "import", "--finding", "ffffffff"]).arg(&card).output().unwrap();
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no finding `ffffffff`"));
    assert_eq!(check_rows_have_blobs(&data, &finding), 2);
}
