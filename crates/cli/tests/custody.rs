//! `mingcha verify` on a laptop that synced with a real office: everything holds, and one bit
//! flipped in an original, a change log row, a chain link or a stored receipt is caught every
//! time, by a line that names what changed. The flips are seeded: `MINGCHA_FAULT_SEED=N`
//! replays a run.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed; the panic says where

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use mingcha_store::{DataDir, Store, SystemClock};
use mingcha_tests::Office;

const PASS: &str = "custody test passphrase";
const DAY: &str = "2026-11-10";
/// Flips of each kind: enough that a check that works "most of the time" fails here.
const FLIPS: usize = 12;

fn mingcha(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mingcha"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env("MINGCHA_PASSPHRASE", PASS)
        .env("TZ", "Asia/Shanghai")
        .output()
        .unwrap()
}

fn json(data: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = mingcha(data, &all);
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `mingcha verify ARGS`: whether it held, and the lines it printed.
fn verify(data: &Path, args: &[&str]) -> (bool, String) {
    let mut all = vec!["verify"];
    all.extend_from_slice(args);
    let out = mingcha(data, &all);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// A small seeded generator: the test needs repeatable positions, not strong randomness.
struct Rng(u64);

impl Rng {
    fn from_env() -> Self {
        let seed = std::env::var("MINGCHA_FAULT_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
        });
        eprintln!("custody flips: MINGCHA_FAULT_SEED={seed}");
        Rng(seed | 1)
    }
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Flip one random bit of `text` such that it stays UTF-8 (a STRICT text column holds only
/// text); answers the new text and the byte that changed.
fn flip_text(rng: &mut Rng, text: &str) -> (String, usize) {
    loop {
        let mut bytes = text.as_bytes().to_vec();
        let at = rng.below(bytes.len());
        bytes[at] ^= 1 << rng.below(8);
        if let Ok(s) = String::from_utf8(bytes) {
            return (s, at);
        }
    }
}

struct Laptop {
    _tmp: tempfile::TempDir,
    data: PathBuf,
    finding: String,
    evidence: Vec<String>,
}

/// A laptop with a finding, two photos and an edit, synced with `office`.
fn synced_laptop(office: &Office) -> Laptop {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("laptop");
    json(&data, &["init", "--inspector", "吴督查", "--device", "吴的笔记本"]);
    json(&data, &["unit", "add", "城关镇便民服务中心", "--spot", "社保窗口"]);
    let v = json(&data, &["visit", "new", "--unit", "城关镇", "--kind", "暗访", "--date", DAY, "--at", "09:00"]);
    let text = "社保窗口工作人员上班时间玩手机游戏";
    let args = [
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
    ];
    let finding = json(&data, &args)["id"].as_str().unwrap().to_owned();
    let camera = tmp.path().join("camera");
    json(&data, &["photo", "sample", camera.to_str().unwrap(), "--count", "2", "--date", DAY]);
    json(&data, &["photo", "import", "--finding", &finding, camera.to_str().unwrap()]);
    json(&data, &["finding", "edit", &finding, "--text", "社保窗口工作人员上班时间玩手机游戏二十分钟"]);
    json(&data, &["enroll", "--server", &office.url(), "--token", &office.enroll_token("吴督查")]);
    json(&data, &["sync"]);
    let photos = json(&data, &["photo", "list", "--finding", &finding]);
    let evidence = photos.as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect();
    Laptop { _tmp: tmp, data, finding, evidence }
}

fn store(data: &Path) -> Store {
    Store::unlock(&DataDir::new(data), PASS, Arc::new(SystemClock)).unwrap()
}

#[test]
fn a_synced_laptop_verifies_end_to_end_and_says_what_holds() {
    let office = Office::start();
    let laptop = synced_laptop(&office);
    let (ok, all) = verify(&laptop.data, &[]);
    assert!(ok, "{all}");
    assert!(all.contains("✓ custody chain:"), "{all}");
    assert!(all.contains("receipt signed by the office"), "{all}");
    assert_eq!(all.matches("✓ original ").count(), 2, "both photos read back whole: {all}");
    assert!(!all.contains('✗'), "{all}");

    let (ok, photo) = verify(&laptop.data, &["photo", &laptop.evidence[0]]);
    assert!(ok, "{photo}");
    assert!(photo.contains(&format!("create evidence {}", laptop.evidence[0])), "the record: {photo}");
    assert_eq!(photo.matches("✓ original ").count(), 1, "{photo}");
    assert!(photo.contains("in the office's log"), "{photo}");

    let (ok, finding) = verify(&laptop.data, &["finding", &laptop.finding[..8]]);
    assert!(ok, "{finding}");
    assert!(finding.contains(&format!("update finding {}", laptop.finding)), "the edit is in its chain: {finding}");

    // Work after the sync is linked, but no receipt covers it yet: a note, not a failure.
    json(&laptop.data, &["finding", "edit", &laptop.finding, "--text", "社保窗口工作人员玩手机游戏"]);
    let (ok, later) = verify(&laptop.data, &["finding", &laptop.finding]);
    assert!(ok && later.contains("no receipt from the office yet"), "{later}");
    assert!(!verify(&laptop.data, &["photo", "ffffffff"]).0, "an unknown photo is an error");
}

#[test]
fn one_flipped_bit_anywhere_is_caught_every_time_and_named() {
    let office = Office::start();
    let laptop = synced_laptop(&office);
    let mut rng = Rng::from_env();
    let s = store(&laptop.data);
    let conn = s.connection();
    conn.execute_batch(
        "DROP TRIGGER change_log_no_update; DROP TRIGGER custody_chain_no_update;", // the thief's first step
    )
    .unwrap();

    // A change log row (the record as the laptop wrote it), and a link of the custody chain.
    flip_rows(&laptop, &s, &mut rng, "change_log", "payload");
    flip_rows(&laptop, &s, &mut rng, "custody_chain", "hash");

    // The office's receipt, as the laptop keeps it.
    let (batch, receipt): (String, String) =
        conn.query_row("SELECT batch_id, receipt FROM sync_receipt", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    for _ in 0..FLIPS {
        let (flipped, at) = flip_text(&mut rng, &receipt);
        conn.execute("UPDATE sync_receipt SET receipt = ?1", [&flipped]).unwrap();
        let (ok, said) = verify(&laptop.data, &[]);
        assert!(!ok, "a bit flipped at byte {at} of the receipt went unnoticed: {said}");
        assert!(said.lines().any(|l| l.starts_with('✗') && l.contains(&format!("batch {batch}"))), "{said}");
        conn.execute("UPDATE sync_receipt SET receipt = ?1", [&receipt]).unwrap();
    }

    // An original: whatever the file on disk is, its bytes must come back as the photo taken.
    let files: Vec<PathBuf> = walk(&laptop.data.join("evidence"));
    assert!(!files.is_empty());
    for _ in 0..FLIPS {
        let file = &files[rng.below(files.len())];
        let bytes = std::fs::read(file).unwrap();
        let mut flipped = bytes.clone();
        let at = rng.below(bytes.len());
        flipped[at] ^= 1 << rng.below(8);
        std::fs::write(file, &flipped).unwrap();
        let (ok, said) = verify(&laptop.data, &[]);
        assert!(!ok, "a bit flipped at byte {at} of {} went unnoticed: {said}", file.display());
        assert!(said.lines().any(|l| l.starts_with("✗ original ")), "{said}");
        std::fs::write(file, &bytes).unwrap();
    }

    let (ok, said) = verify(&laptop.data, &[]);
    assert!(ok, "everything restored holds again: {said}");
}

/// Flip one bit of `column` in a random row of `table` (keyed by change seq), [`FLIPS`] times,
/// restoring each: every flip must fail `mingcha verify` with a ✗ line naming that change.
fn flip_rows(laptop: &Laptop, s: &Store, rng: &mut Rng, table: &str, column: &str) {
    let conn = s.connection();
    let rows: Vec<(u64, String)> = conn
        .prepare(&format!("SELECT seq, {column} FROM {table} ORDER BY seq"))
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let update = format!("UPDATE {table} SET {column} = ?1 WHERE seq = ?2");
    for _ in 0..FLIPS {
        let (seq, text) = &rows[rng.below(rows.len())];
        let (flipped, at) = flip_text(rng, text);
        conn.execute(&update, (&flipped, seq)).unwrap();
        let (ok, said) = verify(&laptop.data, &[]);
        assert!(!ok, "a bit flipped at byte {at} of {table}.{column} for change {seq} went unnoticed: {said}");
        assert!(said.lines().any(|l| l.starts_with('✗') && l.contains(&format!("change {seq} "))), "{said}");
        conn.execute(&update, (text, seq)).unwrap();
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "tmp") {
                    stack.push(p);
                }
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
