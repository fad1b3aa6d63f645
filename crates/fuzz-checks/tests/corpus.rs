//! Every input the fuzzers were ever given to start from or ever caught a bug with, replayed in
//! the ordinary test build: the seeds and `regression-*` files committed in
//! `fuzz/corpus/TARGET/`, and any crash cargo-fuzz left in `fuzz/artifacts/TARGET/` on this
//! machine. A bug that comes back fails here on every run, without libFuzzer.
//!
//! Each input runs on its own thread with the same 10-second bound the fuzz runs use
//! (`-timeout=10`): a hang is a finding too (one regression input is a JPEG header that once
//! made the decoder loop), and it must fail the test, not stall the run.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use mingcha_fuzz_checks::{Check, TARGETS};

const PER_INPUT: Duration = Duration::from_secs(10);

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

/// How an input failed its check.
#[derive(Debug)]
enum Failure {
    Panicked(String),
    Hung,
    NoThread(std::io::Error),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Panicked(m) => write!(f, "panicked: {m}"),
            Failure::Hung => write!(f, "did not finish within {PER_INPUT:?} (a hang)"),
            Failure::NoThread(e) => write!(f, "could not start a thread: {e}"),
        }
    }
}

/// Run `check` on `data` in a thread; a panic (with its message) or a hang is the failure.
fn replay(check: Check, data: Vec<u8>) -> Result<(), Failure> {
    let (done, finished) = mpsc::channel();
    std::thread::Builder::new()
        .name("replay".into())
        .spawn(move || {
            let outcome = std::panic::catch_unwind(|| check(&data));
            let _ = done.send(outcome.map_err(|p| {
                p.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_else(|| "a panic without a message".into())
            }));
        })
        .map_err(Failure::NoThread)?;
    match finished.recv_timeout(PER_INPUT) {
        Ok(outcome) => outcome.map_err(Failure::Panicked),
        Err(_) => Err(Failure::Hung),
    }
}

#[test]
fn every_committed_and_caught_input_replays_clean() {
    let fuzz = fuzz_dir();
    let mut failures = Vec::new();
    for (target, check) in TARGETS {
        let corpus = inputs(&fuzz.join("corpus").join(target));
        assert!(
            corpus.iter().any(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("regression-"))),
            "fuzz/corpus/{target}/ has no regression-* input: the replay would prove nothing about past bugs"
        );
        for input in corpus.iter().chain(&inputs(&fuzz.join("artifacts").join(target))) {
            let data = std::fs::read(input).unwrap_or_else(|e| panic!("reading {}: {e}", input.display()));
            if let Err(why) = replay(*check, data) {
                failures.push(format!("{target}: {} {why}", input.display()));
            }
        }
    }
    assert!(failures.is_empty(), "fuzz inputs that fail again:\n{}", failures.join("\n"));
}
