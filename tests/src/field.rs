//! A day's work on a laptop, made through the CLI, and the checks that the office holds that
//! work exactly once: the shared ground of the sync journey and the sync fault tests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use mingcha_evidence::sample::{SampleExif, camera_photo};
use sha2::{Digest, Sha256};

use crate::{Laptop, Office, mingcha_binary, seed_sentences};

pub const DAY: &str = "2026-11-10";

/// What a field day produced.
#[derive(Debug, Clone)]
pub struct FieldDay {
    pub visit: String,
    pub findings: Vec<String>,
}

impl Laptop {
    /// Create the store for `inspector`, visit `unit`, and record `findings` findings from the
    /// seed speeches, each with `photos_each` camera photos (seeded by `seed`).
    pub fn field_day(&self, inspector: &str, unit: &str, findings: usize, photos_each: usize, seed: u32) -> FieldDay {
        self.json(&["init", "--inspector", inspector, "--device", &format!("{inspector}的笔记本")]);
        self.json(&["unit", "add", unit, "--spot", "综合受理区"]);
        let visit = self.json(&[
            "visit",
            "new",
            "--unit",
            unit,
            "--kind",
            "暗访",
            "--date",
            DAY,
            "--spot",
            "综合受理区",
            "--at",
            "09:05",
        ])["id"]
            .as_str()
            .expect("visit id")
            .to_owned();
        let mut day = FieldDay { visit, findings: Vec::new() };
        for i in 0..findings {
            self.add_finding(&mut day, photos_each, seed.wrapping_mul(1000).wrapping_add(i as u32 * 10));
        }
        day
    }

    /// One more finding on the day's visit, with `photos` new photos.
    pub fn add_finding(&self, day: &mut FieldDay, photos: usize, seed: u32) -> String {
        let seeds = seed_sentences();
        let n = day.findings.len();
        let text = seeds[(seed as usize * 7 + n) % seeds.len()];
        let at = format!("{:02}:{:02}", 9 + (n / 6) % 9, (n % 6) * 10);
        let finding = self.json(&[
            "finding",
            "add",
            "--visit",
            &day.visit,
            "--category",
            "表面文章",
            "--text",
            text,
            "--at",
            &at,
        ])["id"]
            .as_str()
            .expect("finding id")
            .to_owned();
        if photos > 0 {
            let dir = self.photo_dir(&finding);
            for p in 0..photos {
                let exif = SampleExif {
                    taken_at: chrono::NaiveDate::from_ymd_opt(2026, 11, 10).and_then(|d| d.and_hms_opt(9, 30, 0)),
                    offset: Some("+08:00".into()),
                    ..Default::default()
                };
                let bytes = camera_photo(1024, 768, u64::from(seed) * 100 + p as u64, &exif);
                std::fs::write(dir.join(format!("IMG_{p:04}.JPG")), bytes).expect("write photo");
            }
            let imported = self.json(&["photo", "import", "--finding", &finding, dir.to_str().expect("utf-8 path")]);
            assert_eq!(imported["imported"], photos, "{imported}");
        }
        day.findings.push(finding.clone());
        finding
    }

    fn photo_dir(&self, finding: &str) -> PathBuf {
        let dir = self.data.parent().expect("laptop dir").join("DCIM").join(finding);
        std::fs::create_dir_all(&dir).expect("photo dir");
        dir
    }

    /// `mingcha sync` as a child process (so a test can kill it).
    pub fn spawn_sync(&self) -> Child {
        Command::new(mingcha_binary())
            .arg("--data")
            .arg(&self.data)
            .args(["--json", "sync"])
            .env("MINGCHA_PASSPHRASE", &self.passphrase)
            .env("TZ", "Asia/Shanghai")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start mingcha sync")
    }

    /// Sync until it succeeds, at most `tries` times; the last summary.
    pub fn sync_until_done(&self, tries: usize) -> serde_json::Value {
        let mut last = String::new();
        for _ in 0..tries {
            let out = self.run(&["--json", "sync"]);
            if out.status.success() {
                return serde_json::from_slice(&out.stdout).expect("sync summary is JSON");
            }
            last = String::from_utf8_lossy(&out.stderr).into_owned();
        }
        panic!("sync did not succeed in {tries} tries; last error: {last}")
    }

    /// The ids of every change in the local log.
    pub fn change_ids(&self) -> BTreeSet<String> {
        let log = self.json(&["log"]);
        log.as_array().expect("log").iter().map(|c| c["id"].as_str().expect("change id").to_owned()).collect()
    }

    /// The sha256 of every original and disclosure copy the laptop recorded.
    pub fn blob_digests(&self) -> BTreeSet<String> {
        let log = self.json(&["log"]);
        log.as_array()
            .expect("log")
            .iter()
            .filter(|c| matches!(c["entity"].as_str(), Some("evidence" | "disclosure_copy")))
            .filter_map(|c| c["payload"]["sha256"].as_str().map(str::to_owned))
            .collect()
    }
}

/// Wait for `child`, killing it if it runs past `limit` (a bound on the test, not a sync point).
pub fn wait_bounded(mut child: Child, limit: Duration) -> ExitStatus {
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    let waiter = thread::spawn(move || {
        let status = child.wait();
        let _ = tx.send(());
        status
    });
    if rx.recv_timeout(limit).is_err() {
        kill9(pid);
        panic!("process {pid} ran past {limit:?}");
    }
    waiter.join().expect("waiter").expect("wait for child")
}

/// SIGKILL `pid`; gone already is fine.
pub fn kill9(pid: u32) {
    if let Ok(pid) = i32::try_from(pid) {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
    }
}

/// What the office holds, read from its database and blob folder.
#[derive(Debug)]
pub struct OfficeHoldings {
    /// change id → how many rows hold it.
    pub changes: BTreeMap<String, u64>,
    /// Blob file name → whether its bytes hash to that name.
    pub blobs: BTreeMap<String, bool>,
}

impl Office {
    pub fn holdings(&self) -> OfficeHoldings {
        let db = self.database();
        let mut stmt = db.prepare("SELECT id, count(*) FROM change GROUP BY id").expect("query changes");
        let changes = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?)))
            .expect("changes")
            .collect::<Result<_, _>>()
            .expect("read changes");
        OfficeHoldings { changes, blobs: self.holdings_on_disk() }
    }

    /// Each blob file under `blobs/`, and whether its bytes hash to its name.
    pub fn holdings_on_disk(&self) -> BTreeMap<String, bool> {
        self.blob_files()
            .into_iter()
            .map(|(name, bytes)| {
                let hex: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
                let ok = hex == name;
                (name, ok)
            })
            .collect()
    }

    /// Every committed batch has all its changes, and no change stands outside one.
    pub fn assert_no_half_batch(&self) {
        let db = self.database();
        let orphans: u64 = db
            .query_row(
                "SELECT count(*) FROM change c LEFT JOIN batch b ON b.id = c.batch_id
                 WHERE b.id IS NULL OR b.stage <> 'committed'",
                [],
                |r| r.get(0),
            )
            .expect("count changes outside committed batches");
        assert_eq!(orphans, 0, "changes stored outside a committed batch");
    }

    /// The office holds exactly the laptops' changes, each once, and each of their files,
    /// intact. On SQLite every change id is compared; on PostgreSQL the counts from
    /// `mingcha-server status` (change ids are its primary key, so a count is a set's size).
    pub fn assert_holds_exactly_once(&self, laptops: &[&Laptop]) {
        let mut expected_changes = BTreeSet::new();
        let mut expected_blobs = BTreeSet::new();
        for l in laptops {
            expected_changes.extend(l.change_ids());
            expected_blobs.extend(l.blob_digests());
        }
        let counts = self.counts();
        assert_eq!(counts["changes"], expected_changes.len(), "the office holds each change once: {counts}");
        assert_eq!(counts["blobs"], expected_blobs.len(), "the office holds each file once: {counts}");
        let files: BTreeMap<String, bool> = self.holdings_on_disk();
        let bad: Vec<_> = files.iter().filter(|(_, ok)| !**ok).collect();
        assert!(bad.is_empty(), "blob files whose bytes do not match their name: {bad:?}");
        let held_blobs: BTreeSet<String> = files.keys().cloned().collect();
        assert_eq!(held_blobs, expected_blobs, "the office holds exactly the laptops' blobs");
        if self.on_postgres() {
            return;
        }
        let held = self.holdings();
        let twice: Vec<_> = held.changes.iter().filter(|(_, n)| **n != 1).collect();
        assert!(twice.is_empty(), "changes held more than once: {twice:?}");
        let held_ids: BTreeSet<String> = held.changes.keys().cloned().collect();
        assert_eq!(held_ids, expected_changes, "the office holds exactly the laptops' changes");
        self.assert_no_half_batch();
    }
}
