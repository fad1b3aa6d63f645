//! Sync under real faults: the client killed with SIGKILL at random points hundreds of times,
//! the office killed mid-upload and mid-commit, and a network that cuts, truncates and lags.
//! After each, a clean sync converges: every record and blob is at the office exactly once,
//! no partial blob is ever visible, no half batch is ever stored, and the laptop lost nothing.
//!
//! Every fault is drawn from a seed (printed, and settable with `MINGCHA_FAULT_SEED`) so a
//! failure can be replayed; every process wait is bounded.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed; the panic says where

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mingcha_tests::{Chaos, ChaosProxy, FieldDay, Laptop, Office, Rng, kill9, wait_bounded};

const BOUND: Duration = Duration::from_secs(120);

fn seed(default: u64) -> u64 {
    let seed = std::env::var("MINGCHA_FAULT_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(default);
    eprintln!("fault seed {seed} (replay with MINGCHA_FAULT_SEED={seed})");
    seed
}

fn kill_count(default: u32) -> u32 {
    std::env::var("MINGCHA_FAULT_KILLS").ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

fn enrolled_laptop(office: &Office, url: &str, inspector: &str, findings: usize, photos: usize) -> (Laptop, FieldDay) {
    let laptop = Laptop::new();
    let day = laptop.field_day(inspector, "城东区政务服务中心", findings, photos, 7);
    let token = office.enroll_token(inspector);
    laptop.json(&["enroll", "--server", url, "--token", &token]);
    (laptop, day)
}

/// The laptop's own view is intact: every photo readable and matching its digest, every
/// finding there, and nothing left unsynced.
fn assert_laptop_intact(laptop: &Laptop, findings: usize) {
    let check = laptop.json(&["photo", "check"]);
    assert_eq!(check["missing"], serde_json::json!([]), "{check}");
    assert_eq!(check["altered"], serde_json::json!([]), "{check}");
    let listed = laptop.json(&["finding", "list", "--limit", "100000"]);
    assert_eq!(listed.as_array().unwrap().len(), findings);
    let status = laptop.json(&["status"]);
    assert_eq!(status["sync"]["unsynced_changes"], 0, "{status}");
}

#[test]
fn a_client_killed_hundreds_of_times_mid_sync_then_synced_cleanly_leaves_everything_once() {
    let mut rng = Rng::new(seed(20261122));
    let office = Office::start();
    let proxy = ChaosProxy::start(office.addr(), Chaos::none());
    let (laptop, mut day) = enrolled_laptop(&office, &proxy.url(), "陈督查", 3, 3);

    // Kill until `kills` syncs have died mid-way (a round that finishes first does not count).
    let kills = kill_count(200);
    let (mut killed, mut finished) = (0, 0);
    while killed < kills {
        assert!(killed + finished < 3 * kills, "too few kills landed: {killed} in {finished} rounds");
        let child = laptop.spawn_sync();
        let pid = child.id();
        if rng.chance(0.6) {
            // Kill at a byte of the upload: inside a manifest, a photo, or the commit.
            proxy.after_up_bytes(rng.below(200_000), move || kill9(pid));
        } else {
            // Kill at an instant: unlock, receipt storage, pull, or anywhere between.
            let delay = Duration::from_millis(rng.below(700));
            std::thread::spawn(move || {
                std::thread::sleep(delay); // the fault's timing, not a synchronisation
                kill9(pid);
            });
        }
        let status = wait_bounded(child, BOUND);
        proxy.disarm();
        if status.success() {
            finished += 1;
            // New work keeps arriving, so there is always something in flight to be cut.
            laptop.add_finding(&mut day, 1, 100 + finished);
        } else {
            killed += 1;
        }
    }
    eprintln!("{killed} syncs killed mid-way, {finished} finished before their kill");

    laptop.sync_until_done(3);
    office.assert_holds_exactly_once(&[&laptop]);
    assert_laptop_intact(&laptop, day.findings.len());
    let again = laptop.sync_until_done(1);
    assert_eq!((again["changes_stored"].as_u64(), again["blobs_uploaded"].as_u64()), (Some(0), Some(0)), "{again}");
}

#[test]
fn the_office_killed_mid_upload_or_mid_commit_never_shows_a_partial_blob_or_a_half_batch() {
    let mut rng = Rng::new(seed(9704));
    let office = Arc::new(Mutex::new(Office::start()));
    let proxy = ChaosProxy::start(office.lock().unwrap().addr(), Chaos::none());
    let (laptop, mut day) = enrolled_laptop(&office.lock().unwrap(), &proxy.url(), "周督查", 2, 2);

    let mut restarts = 0;
    for round in 0..12 {
        laptop.add_finding(&mut day, 2, 500 + round);
        // By pid, not through the lock: the kill must land while the upload is in flight.
        let pid = office.lock().unwrap().pid();
        proxy.after_up_bytes(rng.below(600_000), move || kill9(pid));
        let child = laptop.spawn_sync();
        let _ = wait_bounded(child, BOUND);
        let fired = !proxy.disarm();
        let mut o = office.lock().unwrap();
        // Whatever the instant, the office on disk holds only whole things.
        let held = o.holdings();
        assert!(held.blobs.values().all(|ok| *ok), "round {round}: a blob file does not match its name");
        o.assert_no_half_batch();
        if fired || !o.is_running() {
            restarts += 1;
            o.restart();
            proxy.retarget(o.addr());
        }
    }

    assert!(restarts >= 6, "the office was killed in most rounds ({restarts} of 12)");

    // Killed inside the commit transaction itself (after the inserts, before COMMIT).
    {
        let mut o = office.lock().unwrap();
        o.restart_with_env(&[("MINGCHA_SERVER_FAULT", "abort-mid-commit")]);
        proxy.retarget(o.addr());
    }
    laptop.add_finding(&mut day, 1, 900);
    let before = office.lock().unwrap().holdings().changes.len();
    let out = laptop.run(&["sync"]);
    assert!(!out.status.success(), "the office died in the commit");
    {
        let mut o = office.lock().unwrap();
        assert_eq!(o.holdings().changes.len(), before, "a commit cut short stores nothing");
        o.assert_no_half_batch();
        o.restart();
        proxy.retarget(o.addr());
    }

    laptop.sync_until_done(3);
    office.lock().unwrap().assert_holds_exactly_once(&[&laptop]);
    assert_laptop_intact(&laptop, day.findings.len());
}

#[test]
fn a_network_that_cuts_truncates_and_lags_still_converges() {
    for s in [seed(3356), 7793, 389] {
        let office = Office::start();
        let chaos = Chaos { seed: s, cut: 0.35, cut_within: 300_000, max_latency: Duration::from_millis(15) };
        let proxy = ChaosProxy::start(office.addr(), Chaos::none());
        let (laptop, _) = enrolled_laptop(&office, &proxy.url(), "陈督查", 4, 3);
        proxy.set_chaos(chaos);
        laptop.sync_until_done(40);
        assert!(proxy.cuts() > 0, "seed {s}: the network did cut connections");
        proxy.set_chaos(Chaos::none());
        let again = laptop.sync_until_done(1);
        assert_eq!(again["changes_stored"], 0, "seed {s}: {again}");
        office.assert_holds_exactly_once(&[&laptop]);
        assert_laptop_intact(&laptop, 4);
    }
}
