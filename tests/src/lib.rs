//! Helpers for whole journeys through Mingcha: a fresh data directory, the real `mingcha`
//! binary, and realistic Chinese text from the seed speeches.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub mod bench;
pub mod desktop;
pub mod field;
pub mod office;
pub mod proxy;
pub mod webdriver;

pub use field::{DAY, FieldDay, kill9, wait_bounded};
pub use office::Office;
pub use proxy::{Chaos, ChaosProxy, Rng};

/// The seed sentences (from `../shared/seeds`, the speeches these inspections carry out).
pub const SEED_SENTENCES: &str = include_str!("../fixtures/seed-sentences.txt");

pub fn seed_sentences() -> Vec<&'static str> {
    SEED_SENTENCES.lines().map(str::trim).filter(|l| !l.is_empty()).collect()
}

/// The `mingcha` binary, built once per test process with the cargo that runs the tests.
pub fn mingcha_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| build_binary("mingcha"))
}

/// The `mingcha-server` binary, built the same way.
pub fn server_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| build_binary("mingcha-server"))
}

pub(crate) fn build_binary(bin: &str) -> PathBuf {
    let mut cmd = Command::new(env!("CARGO"));
    // What nextest set for this test's package (CARGO_MANIFEST_DIR, CARGO_PKG_NAME, …) must not
    // reach this cargo: ring's build script declares `rerun-if-env-changed` on those names, so
    // cargo would see them "changed" against `cargo xtask test`'s build (which has none) and
    // rebuild ring, rustls and every binary above them inside the test. xtask drops them too.
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        if ["CARGO_PKG_", "CARGO_MANIFEST_", "CARGO_CRATE_", "CARGO_BIN_", "CARGO_PRIMARY_PACKAGE"]
            .iter()
            .any(|p| name.starts_with(p))
        {
            cmd.env_remove(name);
        }
    }
    // `--workspace`: the features of the dependencies resolved over the whole workspace, as in
    // the test build and in `cargo xtask test`'s build of the binaries, so this finds them built
    // instead of compiling the GTK and WebKit stack again with another feature set.
    cmd.args(["build", "--quiet", "--workspace", "--bin", bin, "--message-format=json"]);
    if !cfg!(debug_assertions) {
        cmd.arg("--release");
    }
    let out = cmd.current_dir(env!("CARGO_MANIFEST_DIR")).output().expect("run cargo build");
    assert!(out.status.success(), "building {bin} failed: {}", String::from_utf8_lossy(&out.stderr));
    let built = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|m| m["executable"].as_str().map(PathBuf::from))
        .next_back()
        .unwrap_or_else(|| panic!("cargo reported no executable for {bin}"));
    // Hold on to this build: another checkout building into the same target directory (the
    // developers share one) would otherwise replace the file under a running test. A hard
    // link keeps this file's inode whatever cargo puts at the path later.
    let prefix = format!("{bin}.held-by-");
    if let Some(dir) = built.parent().and_then(|d| std::fs::read_dir(d).ok()) {
        // Links held by test processes that have ended.
        for entry in dir.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let ended = name.strip_prefix(&prefix).is_some_and(|pid| !Path::new("/proc").join(pid).exists());
            if ended {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    let held = built.with_file_name(format!("{prefix}{}", std::process::id()));
    let _ = std::fs::remove_file(&held);
    match std::fs::hard_link(&built, &held) {
        Ok(()) => held,
        Err(_) => built,
    }
}

/// One inspector's laptop: a data directory and a passphrase.
#[derive(Debug)]
pub struct Laptop {
    _tmp: tempfile::TempDir,
    pub data: PathBuf,
    pub passphrase: String,
}

impl Laptop {
    pub fn new() -> Self {
        let tmp = tempfile::tempdir().expect("temp dir");
        let data = tmp.path().join("mingcha-data");
        Self { _tmp: tmp, data, passphrase: "督查 passphrase 2026".into() }
    }

    /// Run `mingcha --data DIR ARGS…` in China Standard Time.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(mingcha_binary())
            .arg("--data")
            .arg(&self.data)
            .args(args)
            .env("MINGCHA_PASSPHRASE", &self.passphrase)
            .env("TZ", "Asia/Shanghai")
            .output()
            .expect("run mingcha")
    }

    /// Run with `--json`, require success, and parse the output.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.run(&all);
        assert!(out.status.success(), "mingcha {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("mingcha {args:?}: not JSON ({e})"))
    }
}

impl Default for Laptop {
    fn default() -> Self {
        Self::new()
    }
}
