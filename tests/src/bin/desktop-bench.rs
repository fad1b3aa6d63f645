//! The desktop's startup benchmark: time from launch to the first screen (今日, drawn with
//! its data) on a store of 100,000 findings, and resident memory at idle, each beside a bare
//! Tauri window (same Tauri, one static page) started the same way on the same display.
//!
//! `cargo run --release -p mingcha-tests --bin desktop-bench -- [--findings N] [--runs N]`
//! (`cargo xtask bench` runs it). Needs Xvfb, and the UI built into the app.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use mingcha_tests::desktop::{Display, bare_window_binary, desktop_binary};

const PASSPHRASE: &str = "benchmark passphrase";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str, default: usize| -> usize {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (findings, runs) = (flag("--findings", 100_000), flag("--runs", 5));
    let app = desktop_binary();
    let bare = bare_window_binary();
    let tmp = tempfile::tempdir()?;
    let store = tmp.path().join("store");
    println!("desktop startup: a store of {findings} findings, {runs} runs each, on a private Xvfb display");
    let made = Command::new(mingcha_tests::mingcha_binary())
        .args(["bench", "store", "--findings", &findings.to_string(), "--evidence", "0", "--runs", "1", "--keep"])
        .arg(&store)
        .output()
        .context("making the store")?;
    if !made.status.success() {
        bail!("mingcha bench store: {}", String::from_utf8_lossy(&made.stderr));
    }
    let display = Display::start();
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        ours.push(launch(app, &["--data", store.to_str().context("path")?], &display.name)?);
        theirs.push(launch(&bare, &[], &display.name)?);
    }
    let median = |v: &[(Duration, u64)], f: fn(&(Duration, u64)) -> f64| {
        let mut xs: Vec<f64> = v.iter().map(f).collect();
        xs.sort_by(f64::total_cmp);
        xs[xs.len() / 2]
    };
    let ms = |x: &(Duration, u64)| x.0.as_secs_f64() * 1000.0;
    let mib = |x: &(Duration, u64)| x.1 as f64 / 1024.0;
    let (our_ms, bare_ms) = (median(&ours, ms), median(&theirs, ms));
    let (our_mib, bare_mib) = (median(&ours, mib), median(&theirs, mib));
    println!("                         mingcha-desktop   bare Tauri window   ratio");
    println!("start to first screen    {our_ms:>11.0} ms   {bare_ms:>14.0} ms   {:>5.2}", our_ms / bare_ms);
    println!("resident memory at idle  {our_mib:>10.1} MiB   {bare_mib:>13.1} MiB   {:>5.2}", our_mib / bare_mib);
    println!("(medians; memory sums the app and its WebKit processes, 3 s after the first screen)");
    println!("goals: first screen under 1000 ms; memory at most 1.5 × the bare window's");
    Ok(())
}

/// Start `bin`, wait for it to print `ready` (its first screen is drawn), let it idle, and
/// measure the resident memory of it and every process it started. Then stop it.
fn launch(bin: &Path, args: &[&str], display: &str) -> Result<(Duration, u64)> {
    let started = Instant::now();
    let mut child = Command::new(bin)
        .args(args)
        .env("DISPLAY", display)
        .env("MINGCHA_REPORT_READY", "1")
        .env("MINGCHA_PASSPHRASE", PASSPHRASE)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let out = child.stdout.take().context("stdout")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if line.starts_with("ready") {
                let _ = tx.send(());
            }
        }
    });
    let ready = rx.recv_timeout(Duration::from_secs(60));
    let elapsed = started.elapsed();
    // Idle: nothing is clicked for three seconds before memory is read.
    std::thread::sleep(Duration::from_secs(3));
    let rss = tree_rss_kib(child.id());
    let _ = child.kill();
    let _ = child.wait();
    ready.with_context(|| format!("{} never reached its first screen", bin.display()))?;
    Ok((elapsed, rss))
}

/// Resident memory (KiB) of `pid` and all its descendants, from /proc.
fn tree_rss_kib(pid: u32) -> u64 {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(p) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        // The fields after the command name (which may hold spaces) start after its `)`.
        let ppid = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse().ok());
        if let Some(ppid) = ppid {
            parents.push((p, ppid));
        }
    }
    let mut tree = vec![pid];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(parents.iter().filter(|(_, pp)| *pp == parent).map(|(p, _)| *p));
        i += 1;
    }
    tree.iter()
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/status")).ok())
        .filter_map(|s| s.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse::<u64>().ok())
        .sum()
}
