//! The project's task runner (`cargo xtask …`, see `.cargo/config.toml`): the README's two
//! commands, so a new machine needs nothing but Rust to build, run and test Mingcha.
//!
//! - `cargo xtask run`   — install system packages, build the UI and the desktop app, start it.
//! - `cargo xtask demo`  — the CLI's tour: a demo store, shown command by command, synced.
//! - `cargo xtask tidy`  — the architecture's invariants (docs/architecture.md), in seconds.
//! - `cargo xtask test`  — tidy, install system packages, lint, and run every test, timing each phase.
//! - `cargo xtask bench` — the benchmarks, in release mode, then the fuzz targets;
//!   `cargo xtask bench office [--quick] [--findings N]` the office console's alone.
//! - `cargo xtask postgres` — start the local PostgreSQL the server's tests use and print
//!   the `MINGCHA_TEST_PG` to export for running them by hand.
//! - `cargo xtask fuzz [TARGET] [SECONDS]` — the fuzz targets in `fuzz/`, longer than CI runs them.
//! - `cargo xtask schemathesis` — install schemathesis (for the API test) and print its path.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

mod demo;
mod root;
mod tidy;

/// Debian packages the build and the tests need: a C toolchain and perl/make for the vendored
/// OpenSSL inside SQLCipher, libheif for HEIC (iPhone) previews and its `heif-enc` to make
/// test photos, time zone data for the tests that pin China Standard Time, a Chinese font
/// for the watermarks burned into disclosure copies, and PostgreSQL for the office server's
/// tests on its second backend.
const APT_PACKAGES: &[&str] = &[
    "build-essential",
    "perl",
    "make",
    "pkg-config",
    "libheif-dev",
    "libheif-examples",
    "tzdata",
    "fonts-noto-cjk",
    "postgresql",
    // The desktop app (Tauri v2 on WebKitGTK), and its end-to-end tests in a real window:
    // a virtual display and Debian's WebKit WebDriver, which tauri-driver stands in front of.
    "libwebkit2gtk-4.1-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "libxdo-dev",
    "libssl-dev",
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    // The office console's browser tests (Debian's Chromium, driven by playwright-core), and
    // LibreOffice to open the notices and ledgers the office writes, with pdftotext to read
    // what it printed.
    "chromium",
    "libreoffice-writer-nogui",
    "libreoffice-calc-nogui",
    "poppler-utils",
    // schemathesis, from PyPI, goes into a virtual environment under the target directory.
    "python3-venv",
];

/// What the benchmarks add: vipsthumbnail, the reference for photo import.
const BENCH_PACKAGES: &[&str] = &["libvips-tools", "curl"];

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = root::workspace_root()?;
    std::env::set_current_dir(&root)?;
    match args.first().map(String::as_str) {
        Some("setup") => setup(APT_PACKAGES),
        Some("run") => {
            setup(APT_PACKAGES)?;
            desktop(args.get(1).map(PathBuf::from))
        }
        Some("office") => {
            setup(APT_PACKAGES)?;
            office(args.get(1).map(PathBuf::from))
        }
        Some("demo") => {
            setup(APT_PACKAGES)?;
            demo::run(args.get(1).map(PathBuf::from))
        }
        Some("test") => test(),
        Some("tidy") => tidy::tidy(&root),
        Some("postgres") => {
            setup(APT_PACKAGES)?;
            println!("MINGCHA_TEST_PG={}", start_postgres()?);
            Ok(())
        }
        Some("fuzz") => {
            setup(APT_PACKAGES)?;
            let seconds = match args.get(2) {
                Some(s) => s.parse().with_context(|| format!("SECONDS must be a whole number, not {s:?}"))?,
                None => FUZZ_MANUAL_SECS,
            };
            let targets: Vec<&str> = match args.get(1) {
                Some(t) if FUZZ_TARGETS.contains(&t.as_str()) => vec![t.as_str()],
                Some(t) => bail!("no fuzz target {t:?}; the targets are {FUZZ_TARGETS:?}"),
                None => FUZZ_TARGETS.to_vec(),
            };
            fuzz(&targets, seconds)
        }
        Some("schemathesis") => {
            setup(APT_PACKAGES)?;
            println!("MINGCHA_SCHEMATHESIS={}", install_schemathesis()?.display());
            Ok(())
        }
        Some("bench") => {
            setup(&[APT_PACKAGES, BENCH_PACKAGES].concat())?;
            bench(&args[1..])
        }
        _ => {
            eprintln!(
                "usage: cargo xtask <setup|run [DATA_DIR]|office [DATA_DIR]|demo [DATA_DIR]|tidy|test|bench [office] [--quick]|postgres|fuzz [TARGET] [SECONDS]|schemathesis>"
            );
            bail!("unknown task")
        }
    }
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    forget_package_env(&mut cmd);
    cmd
}

/// Drop what `cargo run` set for xtask as a package (`CARGO_MANIFEST_DIR`, `CARGO_PKG_NAME`, …)
/// from a cargo started here. Build scripts such as ring's declare `rerun-if-env-changed` on
/// those names, and cargo compares them with its own environment: started with xtask's values,
/// it rebuilt ring, rustls and everything above them whenever a test's build (which has the
/// test package's values) or a developer's plain `cargo build` (which has none) came between.
/// `tests/src/lib.rs` (`build_binary`) does the same, so all three agree on "unset".
fn forget_package_env(cmd: &mut Command) {
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        let set_for_a_package =
            ["CARGO_PKG_", "CARGO_MANIFEST_", "CARGO_CRATE_", "CARGO_BIN_", "CARGO_PRIMARY_PACKAGE"]
                .iter()
                .any(|p| name.starts_with(p));
        if set_for_a_package {
            cmd.env_remove(name);
        }
    }
}

fn status(cmd: &mut Command) -> Result<()> {
    eprintln!("+ {cmd:?}");
    let s = cmd.status().with_context(|| format!("starting {cmd:?}"))?;
    if !s.success() {
        bail!("{cmd:?} failed ({s})");
    }
    Ok(())
}

fn has_package(name: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", name])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
}

/// Install what is missing, and only that (so a warm machine starts at once).
fn setup(packages: &[&str]) -> Result<()> {
    if Command::new("dpkg-query").arg("--version").output().is_err() {
        eprintln!("not a Debian/Ubuntu system: make sure a C compiler, perl, make and pkg-config are installed");
        return Ok(());
    }
    let missing: Vec<&str> = packages.iter().copied().filter(|p| !has_package(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let sudo = if is_root() { None } else { Some("sudo") };
    let apt = |args: &[&str]| {
        let mut c = Command::new(sudo.unwrap_or("apt-get"));
        if sudo.is_some() {
            c.arg("apt-get");
        }
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    status(&mut apt(&["update", "-q"]))?;
    let mut install = apt(&["install", "-y", "-q", "--no-install-recommends"]);
    install.args(&missing);
    status(&mut install)
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Install the UI's packages (at the lock file's versions) and build it into `ui/dist`, which the
/// desktop binary embeds.
fn build_ui() -> Result<()> {
    let npm = |args: &[&str]| {
        let mut c = Command::new("npm");
        c.args(args).current_dir("ui");
        c
    };
    let modified = |p: &str| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let installed = modified("ui/node_modules/.package-lock.json");
    if installed.is_none() || installed < modified("ui/package-lock.json") {
        // `npm install`, not `npm ci`: the registry this is built against serves no metadata
        // for other platforms' optional packages (rollup's, esbuild's), so the lock file
        // lacks them and `npm ci` refuses it; install takes the locked versions it has.
        status(&mut npm(&["install", "--no-audit", "--no-fund"]))?;
    }
    status(&mut npm(&["run", "build"]))
}

/// tauri-driver (the WebDriver front of the desktop's end-to-end tests), from crates.io.
fn install_tauri_driver() -> Result<()> {
    if cargo_bin("tauri-driver")?.exists() {
        return Ok(());
    }
    status(cargo().args(["install", "tauri-driver", "--locked", "--version", "2.1.0"]))
}

/// Build the UI and the desktop app, and start it on DATA_DIR (default `mingcha-desktop-data`):
/// the first start asks for the inspector, the laptop and a passphrase, and offers the demo.
fn desktop(data: Option<PathBuf>) -> Result<()> {
    build_ui()?;
    status(cargo().args(["build", "--release", "--package", "mingcha-desktop", "--bin", "mingcha-desktop"]))?;
    let target = std::env::var("CARGO_TARGET_DIR").map_or_else(|_| PathBuf::from("target"), PathBuf::from);
    let data = data.unwrap_or_else(|| PathBuf::from("mingcha-desktop-data"));
    println!("Starting the desktop app on {}", data.display());
    if std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none() {
        println!("(no display here: run it under Xvfb, e.g. `xvfb-run cargo xtask run`)");
    }
    status(Command::new(target.join("release/mingcha-desktop")).arg("--data").arg(&data))
}

/// Build the console into the server and serve an office on `data` at https://127.0.0.1:8080/
/// (its self-signed certificate: the browser asks once to trust it).
/// On a new office, first make its 管理员 `admin` (password from MINGCHA_ACCOUNT_PASSWORD, or
/// asked for).
fn office(data: Option<PathBuf>) -> Result<()> {
    build_ui()?;
    status(cargo().args(["build", "--release", "--package", "mingcha-server"]))?;
    let target = std::env::var("CARGO_TARGET_DIR").map_or_else(|_| PathBuf::from("target"), PathBuf::from);
    let server = target.join("release/mingcha-server");
    let data = data.unwrap_or_else(|| PathBuf::from("mingcha-office-data"));
    if !data.join("office.db").exists() {
        println!("A new office on {}: its first account is `admin` (管理员).", data.display());
        status(Command::new(&server).arg("--data").arg(&data).args(["account", "add", "admin", "--name", "管理员"]))?;
    }
    println!(
        "The office console: https://127.0.0.1:8080/ (sign in as admin; the browser warns about the office's \
         self-signed certificate: compare the fingerprint the server prints, then accept it)"
    );
    status(Command::new(&server).arg("--data").arg(&data).args(["serve", "--listen", "127.0.0.1:8080"]))
}

/// Lint as CI does (warnings are errors), build the UI and run its unit tests (Vitest), then
/// every Rust test of the workspace (the desktop's window journey and the replay of every fuzz
/// input included), with a running PostgreSQL for the office server's tests. Prints how long
/// each phase took at the end, also when one fails.
fn test() -> Result<()> {
    let mut phases = Phases::new();
    let result = test_phases(&mut phases);
    phases.print(result.is_ok());
    result
}

fn test_phases(phases: &mut Phases) -> Result<()> {
    // First, because it takes seconds and compiles nothing: the architecture's invariants.
    phases.run("tidy", || tidy::tidy(&std::env::current_dir()?))?;
    phases.run("apt packages", || setup(APT_PACKAGES))?;
    phases.run("rustfmt", || status(cargo().args(["fmt", "--all", "--check"])))?;
    // The UI first: the desktop crate embeds ui/dist, so its build and tests need it.
    phases.run("UI install and build", build_ui)?;
    phases.run("UI unit tests", || status(Command::new("npm").args(["test"]).current_dir("ui")))?;
    phases.run("tauri-driver", install_tauri_driver)?;
    let pg = phases.run("PostgreSQL", || match std::env::var("MINGCHA_TEST_PG") {
        Ok(url) if !url.is_empty() => Ok(url),
        _ => start_postgres(),
    })?;
    // The API test (tests/tests/api_schema.rs) runs schemathesis against a real server.
    let schemathesis = phases.run("schemathesis", install_schemathesis)?;
    // Clippy lints while the test build compiles: the workspace's own crates go through
    // clippy-driver, which is rustc with clippy's lints added, so one compilation both lints
    // and builds. `cargo clippy` would instead check-build every dependency a second time
    // (metadata only, which the test build cannot reuse): ten minutes on a cold machine.
    // Dependencies are untouched by the wrapper, so they stay shared with ordinary builds.
    let lint = clippy_wrapper()?;
    // Every binary first (the journeys start the desktop app, the CLI and the server), built
    // over the whole workspace so the dependencies get the same features as in the test build
    // that follows: built per package, the GTK and WebKit stack compiled twice (5 min cold).
    phases.run("binaries (linted)", || status(lint(cargo()).args(["build", "--quiet", "--workspace", "--bins"])))?;
    let nextest = cargo().args(["nextest", "--version"]).output().is_ok_and(|o| o.status.success());
    if nextest {
        phases
            .run("test build (linted)", || status(lint(cargo()).args(["nextest", "run", "--workspace", "--no-run"])))?;
        phases.run("tests", || {
            status(
                lint(cargo())
                    .args(["nextest", "run", "--workspace", "--no-fail-fast"])
                    .env("MINGCHA_TEST_PG", &pg)
                    .env("MINGCHA_SCHEMATHESIS", &schemathesis),
            )
        })
    } else {
        phases.run("tests (linted)", || {
            status(
                lint(cargo())
                    .args(["test", "--workspace", "--no-fail-fast"])
                    .env("MINGCHA_TEST_PG", &pg)
                    .env("MINGCHA_SCHEMATHESIS", &schemathesis),
            )
        })
    }
}

/// A function that makes a cargo command compile the workspace's crates through clippy-driver
/// with warnings as errors (`cargo clippy -- -D warnings`, inside an ordinary build). The same
/// environment reaches the builds the journeys start themselves (`build_binary`), so they find
/// the artifacts up to date instead of compiling the crates again without it.
fn clippy_wrapper() -> Result<impl Fn(Command) -> Command> {
    let driver = Command::new("rustup").args(["which", "clippy-driver"]).output();
    let driver = match driver {
        Ok(o) if o.status.success() => PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()),
        _ => PathBuf::from("clippy-driver"),
    };
    let works = Command::new(&driver).arg("--version").output().is_ok_and(|o| o.status.success());
    if !works {
        bail!("clippy-driver not found ({}): `rustup component add clippy`", driver.display());
    }
    Ok(move |mut cmd: Command| {
        // clippy-driver reads its own arguments from CLIPPY_ARGS, separated as cargo-clippy does.
        cmd.env("RUSTC_WORKSPACE_WRAPPER", &driver)
            .env("CLIPPY_ARGS", "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__");
        cmd
    })
}

/// How long each phase of a run took, printed as a table at its end: every CI log shows where
/// the time went, so a phase that grows is seen in the submission that made it grow.
struct Phases {
    start: std::time::Instant,
    done: Vec<(&'static str, std::time::Duration, bool)>,
}

impl Phases {
    fn new() -> Self {
        Phases { start: std::time::Instant::now(), done: Vec::new() }
    }

    fn run<T>(&mut self, name: &'static str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        eprintln!("== {name}");
        let began = std::time::Instant::now();
        let out = f();
        self.done.push((name, began.elapsed(), out.is_ok()));
        out
    }

    fn print(&self, passed: bool) {
        let secs = |d: std::time::Duration| d.as_secs_f64();
        eprintln!("\nPhase                          seconds");
        for (name, took, ok) in &self.done {
            eprintln!("{name:<30} {:>7.0}{}", secs(*took), if *ok { "" } else { "  (failed)" });
        }
        let total = self.start.elapsed();
        eprintln!(
            "{:<30} {:>7.0}  ({}m {:02}s, {})",
            "total",
            secs(total),
            total.as_secs() / 60,
            total.as_secs() % 60,
            if passed { "passed" } else { "failed" }
        );
    }
}

/// The cargo-fuzz targets in `fuzz/fuzz_targets`.
const FUZZ_TARGETS: &[&str] = &["exif", "manifest", "upload"];
/// How long the quick benchmark run fuzzes each target; `cargo xtask fuzz` by default longer.
const FUZZ_QUICK_SECS: u64 = 20;
const FUZZ_MANUAL_SECS: u64 = 600;
/// The libFuzzer seed unless `MINGCHA_FUZZ_SEED` is set: fixed, so a CI failure replays.
const FUZZ_SEED: u64 = 7_2026;
const CARGO_FUZZ_VERSION: &str = "0.13.2";

fn target_dir() -> PathBuf {
    std::env::var("CARGO_TARGET_DIR").map_or_else(|_| PathBuf::from("target"), PathBuf::from)
}

fn cargo_bin(name: &str) -> Result<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .context("neither CARGO_HOME nor HOME is set")?;
    Ok(home.join("bin").join(name))
}

/// Run each of `targets` for `seconds` from its committed seed corpus (`fuzz/corpus/TARGET`),
/// failing on the first crash, panic, timeout or out-of-memory. New inputs go to a scratch
/// corpus under the target directory, crashes to `fuzz/artifacts/TARGET/`.
///
/// cargo-fuzz needs nightly compiler flags; `RUSTC_BOOTSTRAP=1` lets the stable toolchain
/// accept them. No sanitizer (`-s none`): the fuzzed code is safe Rust (the crates forbid
/// `unsafe`), where AddressSanitizer finds nothing more and halves the executions per second,
/// and it stops at start-up on the two copies of SQLite's tables the binary links; panics,
/// overflows (debug assertions are on) and hangs are what these targets look for.
fn fuzz(targets: &[&str], seconds: u64) -> Result<()> {
    if !cargo_bin("cargo-fuzz")?.exists() {
        status(cargo().args(["install", "cargo-fuzz", "--locked", "--version", CARGO_FUZZ_VERSION]))?;
    }
    let seed = std::env::var("MINGCHA_FUZZ_SEED").map_or(Ok(FUZZ_SEED), |s| {
        s.parse::<u64>().with_context(|| format!("MINGCHA_FUZZ_SEED must be a number, not {s:?}"))
    })?;
    // Its own target directory: libFuzzer's instrumentation rebuilds every dependency.
    // Absolute: cargo-fuzz may resolve a relative one from fuzz/, and the binaries are run from here.
    let build = std::path::absolute(
        std::env::var_os("MINGCHA_FUZZ_TARGET_DIR").map_or_else(|| target_dir().join("fuzz"), PathBuf::from),
    )?;
    let mut compile = cargo();
    compile.args(["fuzz", "build", "--sanitizer", "none", "--target-dir"]).arg(&build).env("RUSTC_BOOTSTRAP", "1");
    if let [one] = targets {
        compile.arg(one);
    }
    status(&mut compile)?;
    let host = Command::new("rustc").arg("-vV").output().context("running rustc -vV")?;
    let host = String::from_utf8_lossy(&host.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .context("rustc -vV names no host")?;
    for target in targets {
        let scratch = build.join("corpus").join(target);
        let artifacts = Path::new("fuzz/artifacts").join(target);
        std::fs::create_dir_all(&scratch)?;
        std::fs::create_dir_all(&artifacts)?;
        eprintln!("fuzzing {target} for {seconds} s with -seed={seed} (MINGCHA_FUZZ_SEED={seed} replays it)");
        status(
            Command::new(build.join(&host).join("release").join(target))
                .arg(format!("-artifact_prefix={}/", artifacts.display()))
                .arg(&scratch)
                .arg(Path::new("fuzz/corpus").join(target))
                .args([format!("-max_total_time={seconds}"), format!("-seed={seed}")])
                .args(["-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1"]),
        )
        .with_context(|| {
            format!("fuzz target {target} failed (seed {seed}); the input is in {}", artifacts.display())
        })?;
    }
    Ok(())
}

/// schemathesis pinned, from PyPI, in a virtual environment under the target directory (made
/// with Debian's python3-venv, so nothing touches the system's Python). Returns its `st`.
const SCHEMATHESIS_VERSION: &str = "4.32.5";

fn install_schemathesis() -> Result<PathBuf> {
    let venv = target_dir().join("tools/schemathesis");
    let st = venv.join("bin/st");
    let marker = venv.join(format!("installed-{SCHEMATHESIS_VERSION}"));
    if st.exists() && marker.exists() {
        return Ok(std::path::absolute(st)?);
    }
    status(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    status(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .arg(format!("schemathesis=={SCHEMATHESIS_VERSION}")),
    )?;
    std::fs::write(&marker, "")?;
    Ok(std::path::absolute(st)?)
}

/// A command run as another user: directly as root, else through sudo.
fn as_user(user: &str, program: &str) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", user, "--", program]);
        c
    } else {
        let mut c = Command::new("sudo");
        c.args(["-u", user, program]);
        c
    }
}

/// Start the Debian cluster `<newest version>/main` if it is down (pg_ctlcluster, which needs
/// no systemd, so it works in a container too), make the role `mingcha` (password `mingcha`,
/// may create databases) if it is missing, and give the admin URL the server's tests use: each
/// test makes its own database through it and drops it afterwards.
fn start_postgres() -> Result<String> {
    let version = std::fs::read_dir("/usr/lib/postgresql")
        .context("PostgreSQL is not installed (no /usr/lib/postgresql)")?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .max()
        .context("no PostgreSQL version under /usr/lib/postgresql")?
        .to_string();
    let clusters = Command::new("pg_lsclusters").arg("-h").output().context("running pg_lsclusters")?;
    let clusters = String::from_utf8_lossy(&clusters.stdout).into_owned();
    let main = clusters
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| f.len() >= 4 && f[0] == version && f[1] == "main");
    let root = |args: &[&str]| {
        let mut c = Command::new(if is_root() { args[0] } else { "sudo" });
        c.args(if is_root() { &args[1..] } else { args });
        c
    };
    let port = match main {
        None => {
            status(&mut root(&["pg_createcluster", &version, "main", "--start"]))?;
            "5432".to_owned()
        }
        Some(f) => {
            if f[3] != "online" {
                status(&mut root(&["pg_ctlcluster", &version, "main", "start"]))?;
            }
            f[2].to_owned()
        }
    };
    let exists = as_user("postgres", "psql")
        .args(["-p", &port, "-tAc", "SELECT 1 FROM pg_roles WHERE rolname = 'mingcha'"])
        .output()
        .context("asking PostgreSQL for the mingcha role")?;
    if String::from_utf8_lossy(&exists.stdout).trim() != "1" {
        status(as_user("postgres", "psql").args([
            "-p",
            &port,
            "-c",
            "CREATE ROLE mingcha LOGIN CREATEDB PASSWORD 'mingcha'",
        ]))?;
    }
    // The tests drop their databases WITH (FORCE), which also ends an autovacuum worker that
    // happens to be in one; PostgreSQL lets only members of pg_signal_backend end a process
    // with no role, so without this a drop fails now and then (CI run of stop 22).
    status(as_user("postgres", "psql").args(["-p", &port, "-qc", "GRANT pg_signal_backend TO mingcha"]))?;
    Ok(format!("postgres://mingcha:mingcha@127.0.0.1:{port}/postgres"))
}

/// The benchmarks in release mode: the desktop's first screen, the store (list and search
/// against raw SQL), photo import (against vipsthumbnail), sync (against curl), the office
/// console on SQLite and PostgreSQL (against curl on its health route and raw SQL), and then
/// coverage-guided fuzzing of every target (20 s each with `--quick`, else 600 s), which the
/// test run leaves to the replay of the committed corpus. `--quick` runs smaller sizes.
fn bench(args: &[String]) -> Result<()> {
    let quick = args.iter().any(|a| a == "--quick");
    status(cargo().args(["build", "--release", "--quiet", "--package", "mingcha-cli"]))?;
    let run = |extra: &[&str]| {
        let mut cmd = cargo();
        cmd.args(["run", "--release", "--quiet", "--package", "mingcha-cli", "--", "bench"]).args(extra);
        status(&mut cmd)
    };
    let sync = |extra: &[&str]| {
        let mut cmd = cargo();
        cmd.args(["run", "--release", "--quiet", "--package", "mingcha-tests", "--bin", "sync-bench", "--"])
            .args(extra);
        status(&mut cmd)
    };
    let desktop = |extra: &[&str]| {
        build_ui()?;
        status(cargo().args(["build", "--release", "--quiet", "--package", "mingcha-desktop"]))?;
        let mut cmd = cargo();
        cmd.args(["run", "--release", "--quiet", "--package", "mingcha-tests", "--bin", "desktop-bench", "--"])
            .args(extra);
        status(&mut cmd)
    };
    let office = |extra: &[&str], pg: &str| {
        let mut cmd = cargo();
        cmd.args(["run", "--release", "--quiet", "--package", "mingcha-tests", "--bin", "office-bench", "--"])
            .args(extra)
            .env("MINGCHA_TEST_PG", pg);
        status(&mut cmd)
    };
    let pg = start_postgres()?;
    if args.first().is_some_and(|a| a == "office") {
        // The office alone, on both backends: `--findings N` (10,000 with --quick, else 100,000).
        let findings = match args.iter().position(|a| a == "--findings").and_then(|i| args.get(i + 1)) {
            Some(n) => n.parse::<u64>().map_err(|_| anyhow::anyhow!("--findings takes a number, not `{n}`"))?,
            None if quick => 10_000,
            None => 100_000,
        };
        let n = findings.to_string();
        let accept = (findings / 5).clamp(1, 200_000).to_string();
        office(&["--findings", &n, "--accept", &accept], &pg)?;
        return office(&["--findings", &n, "--accept", &accept, "--postgres"], &pg);
    }
    if quick {
        desktop(&["--findings", "10000", "--runs", "3"])?;
        run(&["store", "--findings", "10000", "--evidence", "50000", "--runs", "50"])?;
        run(&["import", "--photos", "40", "--distinct", "10"])?;
        sync(&["day", "--photos", "40"])?;
        sync(&["fleet", "--devices", "20", "--database-url", &pg])?;
        office(&["--findings", "10000"], &pg)?;
        office(&["--findings", "10000", "--postgres"], &pg)?;
        fuzz(FUZZ_TARGETS, FUZZ_QUICK_SECS)
    } else {
        desktop(&[])?;
        run(&["store"])?;
        run(&["import", "--photos", "200", "--distinct", "20"])?;
        sync(&["day"])?;
        sync(&["fleet", "--database-url", &pg])?;
        office(&["--findings", "100000"], &pg)?;
        office(&["--findings", "100000", "--postgres"], &pg)?;
        fuzz(FUZZ_TARGETS, FUZZ_MANUAL_SECS)
    }
}
