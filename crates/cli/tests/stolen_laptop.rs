//! The stolen laptop: everything an inspector recorded (findings that name units and people,
//! covert-visit photos, their previews, a disclosure copy, the sync state) is on disk, and
//! someone has the disk but not the passphrase. Every file in the data folder is read and
//! searched for what was recorded: not one hit. And a wrong passphrase opens nothing.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed; the panic says where

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mingcha_evidence::sample::{SampleExif, camera_photo};
use mingcha_tests::Office;
use sha2::{Digest, Sha256};

const PASS: &str = "stolen laptop passphrase";
const DAY: &str = "2026-11-10";

/// What was written, in Chinese and ASCII. None of it may be readable on the disk.
const MARKERS: &[&str] = &[
    "暗访标记甲乙丙丁窗口玩手机",
    "城西区不动产登记中心",
    "涉事人员王某某工号七七三一",
    "MARKER-finding-Zq7xK2",
    "MARKER-person-Vb9wP4",
    "MARKER-unit-Hs3Lm8",
];
/// Written into the photos' EXIF (ASCII, as EXIF keeps it).
const EXIF_MARKERS: &[&str] = &["MKRCAM-Wq4Ty7", "MKRMODEL-Jd2Np5"];

fn mingcha(data: &Path, pass: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mingcha"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env("MINGCHA_PASSPHRASE", pass)
        .env("TZ", "Asia/Shanghai")
        .output()
        .unwrap()
}

fn json(data: &Path, args: &[&str]) -> serde_json::Value {
    let all: Vec<&str> = ["--json"].iter().chain(args).copied().collect();
    let out = mingcha(data, PASS, &all);
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() { out.extend(files_under(&path)) } else { out.push(path) }
    }
    out
}

/// Every file of the data folder and its bytes (the database's -wal and -shm, key.json,
/// temporary folders and previews included).
fn disk(data: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    files_under(data).into_iter().map(|p| (p.clone(), std::fs::read(&p).unwrap())).collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Hundreds of needles searched for in every file at once: each is looked up by its first
/// eight bytes, so the data folder is scanned once, not once per needle.
struct Needles<'a> {
    by_head: std::collections::HashMap<[u8; 8], Vec<&'a (String, Vec<u8>)>>,
}

impl<'a> Needles<'a> {
    fn new(needles: &'a [(String, Vec<u8>)]) -> Self {
        let mut by_head: std::collections::HashMap<[u8; 8], Vec<_>> = Default::default();
        for n in needles {
            by_head.entry(n.1[..8].try_into().unwrap()).or_default().push(n);
        }
        Self { by_head }
    }

    fn first_in(&self, haystack: &[u8]) -> Option<&'a str> {
        for at in 0..haystack.len().saturating_sub(7) {
            let head: [u8; 8] = haystack[at..at + 8].try_into().unwrap();
            if let Some(found) = self.by_head.get(&head) {
                for (what, needle) in found {
                    if haystack[at..].starts_with(needle) {
                        return Some(what);
                    }
                }
            }
        }
        None
    }
}

/// The photos a camera wrote on the covert visit: known pixels (a seeded frame) and EXIF
/// holding the markers.
fn photos() -> Vec<Vec<u8>> {
    (0..3)
        .map(|i| {
            let exif = SampleExif {
                taken_at: chrono::NaiveDate::from_ymd_opt(2026, 11, 10).unwrap().and_hms_opt(9, 40 + i, 0),
                offset: Some("+08:00".into()),
                gps: Some((30.2741, 120.1551)),
                make: Some(EXIF_MARKERS[0].into()),
                model: Some(EXIF_MARKERS[1].into()),
                orientation: None,
            };
            camera_photo(1200, 900, 700 + u64::from(i), &exif)
        })
        .collect()
}

#[test]
fn a_stolen_data_folder_shows_nothing_that_was_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("laptop");
    json(&data, &["init", "--inspector", "郑督查", "--device", "郑的笔记本"]);
    let unit = format!("{} {}", MARKERS[1], MARKERS[5]);
    json(&data, &["unit", "add", &unit, "--spot", "3号窗口"]);
    let v = json(&data, &["visit", "new", "--unit", MARKERS[1], "--kind", "暗访", "--date", DAY, "--at", "09:00"]);
    let visit = v["id"].as_str().unwrap();
    let text = format!("{}，{}", MARKERS[0], MARKERS[3]);
    let persons = format!("{} {}", MARKERS[2], MARKERS[4]);
    let f = json(
        &data,
        &[
            "finding",
            "add",
            "--visit",
            visit,
            "--category",
            "脱岗离岗",
            "--text",
            &text,
            "--persons",
            &persons,
            "--at",
            "09:30",
        ],
    );
    let finding = f["id"].as_str().unwrap().to_owned();

    let camera = tmp.path().join("camera");
    std::fs::create_dir_all(&camera).unwrap();
    let originals = photos();
    for (i, bytes) in originals.iter().enumerate() {
        assert!(contains(bytes, EXIF_MARKERS[0].as_bytes()), "the marker is in the photo's bytes");
        std::fs::write(camera.join(format!("IMG_{i:04}.JPG")), bytes).unwrap();
    }
    let imported = json(&data, &["photo", "import", "--finding", &finding, camera.to_str().unwrap()]);
    assert_eq!(imported["imported"], 3, "{imported}");
    let listed = json(&data, &["photo", "list", "--finding", &finding]);
    let first = listed[0]["id"].as_str().unwrap().to_owned();
    let copy = json(&data, &["photo", "disclose", &first]);
    let digests: Vec<String> =
        listed.as_array().unwrap().iter().map(|e| e["sha256"].as_str().unwrap().into()).collect();

    // The end of the day: enroll and sync, so the sync state (batch, receipts) is on disk too,
    // and the office receives the photos exactly as the camera wrote them.
    let office = Office::start();
    json(&data, &["enroll", "--server", &office.url(), "--token", &office.enroll_token("郑督查")]);
    let synced = json(&data, &["sync"]);
    assert_eq!(synced["failures"].as_array().map(Vec::len), Some(0), "{synced}");
    let received: Vec<Vec<u8>> = office.blob_files().into_iter().map(|(_, b)| b).collect();
    for original in &originals {
        assert!(received.contains(original), "the office holds each original byte for byte");
    }
    // A search while the store is open, so the WAL holds recent pages.
    let found = json(&data, &["search", "玩手机"]);
    assert_eq!(found.as_array().map(Vec::len), Some(1), "the store itself still finds the text: {found}");

    let disk = disk(&data);
    assert!(disk.len() >= 8, "the database, key file, originals and previews: {:?}", disk.keys());
    // Each needle is at least eight bytes long (the search keys on that).
    let mut needles: Vec<(String, Vec<u8>)> =
        MARKERS.iter().chain(EXIF_MARKERS).map(|m| (format!("marker {m}"), m.as_bytes().to_vec())).collect();
    // Windows of each original (pixels and EXIF alike), every 4 KiB, 48 bytes long.
    for (i, bytes) in originals.iter().enumerate() {
        for at in (0..bytes.len() - 48).step_by(4096) {
            needles.push((format!("photo {i} bytes at {at}"), bytes[at..at + 48].to_vec()));
        }
    }
    let copy_sha = copy["sha256"].as_str().unwrap().to_owned();
    for d in digests.iter().chain(std::iter::once(&copy_sha)) {
        needles.push((format!("digest {d} (hex)"), d.as_bytes().to_vec()));
    }
    let jpeg_or_png = |b: &[u8]| b.starts_with(&[0xFF, 0xD8, 0xFF]) || b.starts_with(b"\x89PNG");
    let search = Needles::new(&needles);
    // The search finds what it looks for: in a photo as the camera wrote it, in the text typed.
    assert!(search.first_in(&originals[2][8192..]).is_some_and(|w| w == "photo 2 bytes at 8192"));
    assert!(search.first_in(persons.as_bytes()).is_some_and(|w| w.contains(MARKERS[2])));
    for (path, bytes) in &disk {
        assert!(!jpeg_or_png(bytes), "{} starts like a JPEG or PNG", path.display());
        if let Some(what) = search.first_in(bytes) {
            panic!("{what} found in {}", path.display());
        }
        let name = path.strip_prefix(&data).unwrap().to_string_lossy().into_owned();
        for d in &digests {
            assert!(!name.contains(&d[..16]), "the file name {name} gives away a photo's digest");
        }
    }
    assert!(
        disk.keys().any(|p| p.to_string_lossy().ends_with("-wal")) || disk.keys().any(|p| p.ends_with("mingcha.db")),
        "the database was searched"
    );
    assert!(disk.keys().any(|p| p.starts_with(data.join("previews"))), "the previews were searched");
}

#[test]
fn a_wrong_passphrase_opens_nothing_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("laptop");
    json(&data, &["init", "--inspector", "郑督查", "--device", "t"]);
    json(&data, &["unit", "add", MARKERS[1]]);
    let v = json(&data, &["visit", "new", "--unit", MARKERS[1], "--kind", "暗访", "--date", DAY, "--at", "09:00"]);
    let text = MARKERS[0];
    let f = json(
        &data,
        &[
            "finding",
            "add",
            "--visit",
            v["id"].as_str().unwrap(),
            "--category",
            "脱岗离岗",
            "--text",
            text,
            "--at",
            "09:30",
        ],
    );
    let camera = tmp.path().join("camera");
    std::fs::create_dir_all(&camera).unwrap();
    std::fs::write(camera.join("IMG_0001.JPG"), &photos()[0]).unwrap();
    json(&data, &["photo", "import", "--finding", f["id"].as_str().unwrap(), camera.to_str().unwrap()]);
    let evidence = json(&data, &["photo", "list", "--finding", f["id"].as_str().unwrap()])[0]["id"].clone();
    let evidence = evidence.as_str().unwrap();

    let before = disk(&data);
    let out_file = tmp.path().join("exported.jpg");
    let attempts: [&[&str]; 6] = [
        &["finding", "list"],
        &["search", "玩手机"],
        &["status"],
        &["photo", "check"],
        &["photo", "export", evidence, "--out", out_file.to_str().unwrap()],
        &["--json", "finding", "list"],
    ];
    for args in attempts {
        let out = mingcha(&data, "not the passphrase", args);
        assert!(!out.status.success(), "{args:?} must fail");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stdout.trim().is_empty(), "{args:?} printed: {stdout}");
        assert_eq!(stderr.trim().lines().count(), 1, "{args:?}: one line, got: {stderr}");
        assert!(stderr.to_lowercase().contains("passphrase"), "{args:?}: says why: {stderr}");
        assert!(!stderr.contains(text), "{args:?} shows no finding text");
    }
    assert!(!out_file.exists(), "no photo was written");
    assert!(before == disk(&data), "a wrong passphrase changed no file of the store");
    let hash = |b: &[u8]| Sha256::digest(b);
    assert_eq!(json(&data, &["finding", "list"]).as_array().map(Vec::len), Some(1), "the right one still opens it");
    let exported = mingcha(&data, PASS, &["photo", "export", evidence, "--out", out_file.to_str().unwrap()]);
    assert!(exported.status.success(), "{}", String::from_utf8_lossy(&exported.stderr));
    assert_eq!(hash(&std::fs::read(&out_file).unwrap()), hash(&photos()[0]), "and gives the photo back whole");
}
