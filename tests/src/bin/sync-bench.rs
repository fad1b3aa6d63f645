//! Sync benchmarks (not tests), each printed beside its reference from the same run.
//!
//! - `sync-bench day`: a day's batch (200 × ~3 MB photos and their findings) synced over
//!   loopback, against `curl` uploading the same bytes to the same kind of office (a twin
//!   office with the same device enrolled, so the blobs are missing there too), 4 at a time
//!   like our client, each request signed the way the office requires.
//! - `sync-bench fleet [--database-url URL]`: 100 devices syncing at once against one office:
//!   batches per second, MB/s, p95 commit latency and errors, on SQLite and (with the URL)
//!   PostgreSQL side by side.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::{FixedOffset, NaiveDate, TimeZone, Utc};
use mingcha_core::finding::Severity;
use mingcha_core::sync::{Manifest, SignedManifest, header, request_message};
use mingcha_core::unit::NewUnit;
use mingcha_evidence::sample::{SampleExif, camera_photo};
use mingcha_store::evidence::TargetRef;
use mingcha_store::findings::NewFinding;
use mingcha_store::sync::SyncEvent;
use mingcha_store::{DataDir, Store};
use mingcha_tests::bench::{PASS, WallClock, covert_visit, laptop};
use mingcha_tests::{Office, seed_sentences};
use sha2::{Digest, Sha256};

/// The sealed originals, decrypted as sync reads them (the cost of that is in the figures).
fn blobs_of(store: &Store, dir: &DataDir) -> mingcha_evidence::blobs::BlobStore {
    mingcha_evidence::import::blob_store(store, dir)
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("day") => {
            let photos = arg(&args, "--photos").map_or(Ok(200), |s| s.parse()).context("--photos")?;
            let mb = arg(&args, "--mb").map_or(Ok(3.0), |s| s.parse()).context("--mb")?;
            day(photos, mb)
        }
        Some("fleet") => {
            let devices = arg(&args, "--devices").map_or(Ok(100), |s| s.parse()).context("--devices")?;
            fleet(devices, arg(&args, "--database-url"))
        }
        _ => bail!("usage: sync-bench day [--photos N] [--mb MB] | fleet [--devices N] [--database-url URL]"),
    }
}

/// A store with one visit and `findings` findings, each with its share of `photos`.
fn field_store(dir: &DataDir, inspector: &str, findings: usize, photos: &[PathBuf]) -> Result<Store> {
    let unit =
        NewUnit { name: "城东区政务服务中心".into(), region: None, spots: vec!["综合受理区".into()] };
    let mut store = laptop(dir, inspector, unit)?;
    let day = NaiveDate::from_ymd_opt(2026, 11, 10).context("date")?;
    let visit = covert_visit(&mut store, "城东区政务服务中心", day, inspector)?;
    let tz = FixedOffset::east_opt(8 * 3600).context("offset")?;
    let seeds = seed_sentences();
    let news = (0..findings)
        .map(|i| NewFinding {
            visit: visit.id.to_string(),
            spot: None,
            observed_at: tz.from_local_datetime(&day.and_hms_opt(9, 0, 0).unwrap_or_default()).unwrap(),
            method: None,
            category: Some("表面文章".into()),
            severity: Severity::Minor,
            description: seeds[i % seeds.len()].into(),
            persons_involved: None,
            checklist_item: None,
        })
        .collect();
    let made = store.add_findings(news)?;
    let per = photos.len().div_ceil(findings.max(1));
    for (f, chunk) in made.iter().zip(photos.chunks(per.max(1))) {
        let target = TargetRef::Finding(f.finding.id.to_string());
        let s = mingcha_evidence::import::import(&mut store, dir, &target, chunk, None)?;
        if s.failed > 0 {
            bail!("{} photos failed to import", s.failed);
        }
    }
    Ok(store)
}

fn write_photos(dir: &Path, n: usize, mb: f64, seed: u64) -> Result<(Vec<PathBuf>, u64)> {
    std::fs::create_dir_all(dir)?;
    let exif = SampleExif {
        taken_at: NaiveDate::from_ymd_opt(2026, 11, 10).and_then(|d| d.and_hms_opt(9, 30, 0)),
        offset: Some("+08:00".into()),
        ..Default::default()
    };
    // About 0.41 bytes a pixel for these frames at quality 90: size the frame for `mb`.
    let pixels = mb * 1_000_000.0 / 0.41;
    let w = ((pixels * 4.0 / 3.0).sqrt() as u32).max(64);
    let h = w * 3 / 4;
    let mut paths = Vec::new();
    let mut total = 0;
    for i in 0..n {
        let bytes = camera_photo(w, h, seed + i as u64, &exif);
        total += bytes.len() as u64;
        let p = dir.join(format!("IMG_{i:04}.JPG"));
        std::fs::write(&p, bytes)?;
        paths.push(p);
    }
    Ok((paths, total))
}

fn enroll(store: &mut Store, office: &Office, inspector: &str) -> Result<()> {
    let token = office.enroll_token(inspector);
    store.enroll(&office.url(), &token)?;
    Ok(())
}

fn mbps(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / 1e6 / d.as_secs_f64()
}

fn day(photos: usize, mb: f64) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    eprintln!("making {photos} photos of about {mb} MB …");
    let (paths, photo_bytes) = write_photos(&tmp.path().join("DCIM"), photos, mb, 1)?;
    let ours_dir = DataDir::new(tmp.path().join("ours"));
    let findings = (photos / 5).max(1);
    eprintln!("recording {findings} findings with the photos …");
    let mut ours = field_store(&ours_dir, "陈督查", findings, &paths)?;
    drop(ours);
    let twin_dir = DataDir::new(tmp.path().join("twin"));
    copy_dir(ours_dir.root(), twin_dir.root())?;
    ours = Store::unlock(&ours_dir, PASS, Arc::new(WallClock))?;
    let mut twin = Store::unlock(&twin_dir, PASS, Arc::new(WallClock))?;

    let office = Office::start();
    let twin_office = Office::start();
    enroll(&mut ours, &office, "陈督查")?;
    enroll(&mut twin, &twin_office, "陈督查")?;

    eprintln!("syncing with mingcha …");
    let started = Instant::now();
    let blobs = blobs_of(&ours, &ours_dir);
    let summary = ours.sync(&blobs, &mut |_| {})?;
    let ours_time = started.elapsed();
    if summary.blobs_uploaded as usize != photos || !summary.failures.is_empty() {
        bail!("mingcha sync uploaded {} of {photos} photos: {:?}", summary.blobs_uploaded, summary.failures);
    }

    eprintln!("uploading the same bytes with curl …");
    let curl_time = curl_upload(&twin, &twin_dir, &twin_office)?;

    let ours_rate = mbps(photo_bytes, ours_time);
    let curl_rate = mbps(photo_bytes, curl_time);
    println!("\nDay batch: {photos} photos, {:.1} MB, {findings} findings, loopback", photo_bytes as f64 / 1e6);
    println!("{:<44} {:>9} {:>10}", "", "seconds", "MB/s");
    println!(
        "{:<44} {:>9.2} {:>10.1}",
        "mingcha sync (manifest, photos, commit, pull)",
        ours_time.as_secs_f64(),
        ours_rate
    );
    println!("{:<44} {:>9.2} {:>10.1}", "curl, the photos alone, 4 at a time", curl_time.as_secs_f64(), curl_rate);
    println!("ratio mingcha / curl throughput: {:.2} (goal ≥ 0.9)", ours_rate / curl_rate);
    Ok(())
}

/// The reference: post the same manifest (untimed), then time curl putting every photo.
fn curl_upload(store: &Store, dir: &DataDir, office: &Office) -> Result<Duration> {
    let device = store.identity().device_id;
    let manifest =
        Manifest::new(uuid::Uuid::now_v7(), device, 0, mingcha_core::custody::Hash::GENESIS, store.changes_after(0)?);
    let signature = store.sign(&manifest.signing_message())?;
    let body = serde_json::to_vec(&SignedManifest { manifest: manifest.clone(), signature })?;
    let body_path = dir.root().join("manifest.json");
    std::fs::write(&body_path, &body)?;
    let mut config = String::new();
    write_transfer(&mut config, store, office, "POST", "/api/v1/batches", &body, &body_path)?;
    run_curl(&config, 1, "posting the manifest")?;

    // curl sends plain files: the originals are decrypted to a staging folder first, untimed.
    let blobs = blobs_of(store, dir);
    let staging = tempfile::tempdir()?;
    let mut config = String::new();
    for (i, b) in manifest.blobs.iter().enumerate() {
        if i > 0 {
            config.push_str("next\n");
        }
        let bytes = blobs.read(&b.sha256)?; // the digest is part of the signed request
        let path = staging.path().join(b.sha256.as_str());
        std::fs::write(&path, &bytes)?;
        write_transfer(
            &mut config,
            store,
            office,
            "PUT",
            &format!("/api/v1/blobs/{}?offset=0", b.sha256.as_str()),
            &bytes,
            &path,
        )?;
    }
    let started = Instant::now();
    run_curl(&config, manifest.blobs.len(), "uploading the photos")?;
    let took = started.elapsed();

    let commit = format!("/api/v1/batches/{}/commit", manifest.batch_id);
    let empty = dir.root().join("empty");
    std::fs::write(&empty, b"")?;
    let mut config = String::new();
    write_transfer(&mut config, store, office, "POST", &commit, b"", &empty)?;
    run_curl(&config, 1, "committing")?;
    Ok(took)
}

fn write_transfer(
    config: &mut String,
    store: &Store,
    office: &Office,
    method: &str,
    path: &str,
    body: &[u8],
    file: &Path,
) -> Result<()> {
    let time = Utc::now().timestamp();
    let nonce: String = uuid::Uuid::new_v4().simple().to_string();
    let digest: String = Sha256::digest(body).iter().map(|b| format!("{b:02x}")).collect();
    let signature = store.sign(&request_message(method, path, time, &nonce, &digest))?;
    let device = store.identity().device_id;
    writeln!(config, "url = \"{}{path}\"", office.url())?;
    // The same TLS as our client: curl trusts the office's self-signed certificate.
    writeln!(config, "cacert = \"{}\"", office.cert_pem().display())?;
    writeln!(config, "request = \"{method}\"")?;
    // A photo streams from its file, as our client sends it; JSON bodies are small.
    let body_option = if method == "PUT" { "upload-file = \"{}\"" } else { "data-binary = \"@{}\"" };
    writeln!(config, "{}", body_option.replace("{}", &file.display().to_string()))?;
    writeln!(config, "header = \"Expect:\"")?; // no 100-continue round trip before each photo
    writeln!(
        config,
        "header = \"content-type: application/{}\"",
        if method == "PUT" { "octet-stream" } else { "json" }
    )?;
    for (h, v) in [
        (header::DEVICE, device.to_string()),
        (header::TIME, time.to_string()),
        (header::NONCE, nonce),
        (header::BODY_SHA256, digest),
        (header::SIGNATURE, signature),
    ] {
        writeln!(config, "header = \"{h}: {v}\"")?;
    }
    writeln!(config, "output = \"/dev/null\"")?;
    writeln!(config, "write-out = \"%{{http_code}}\\n\"")?;
    Ok(())
}

fn run_curl(config: &str, transfers: usize, what: &str) -> Result<()> {
    let file = tempfile::NamedTempFile::new()?;
    std::fs::write(file.path(), config)?;
    let out = Command::new("curl")
        .args(["--silent", "--show-error", "--parallel", "--parallel-max", "4", "--config"])
        .arg(file.path())
        .output()
        .context("running curl (apt-get install curl)")?;
    let codes: Vec<String> = String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect();
    let ok = codes.iter().filter(|c| c.starts_with('2')).count();
    if !out.status.success() || ok != transfers {
        bail!("curl {what}: {ok} of {transfers} succeeded ({codes:?}) {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let target = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_dir(&e.path(), &target)?;
        } else {
            std::fs::copy(e.path(), target)?;
        }
    }
    Ok(())
}

/// What one device's sync took.
#[derive(Debug, Default)]
struct DeviceRun {
    batches: u64,
    bytes: u64,
    commit_latencies: Vec<Duration>,
    error: Option<String>,
}

/// What one fleet run measured.
#[derive(Debug)]
struct FleetResult {
    took: Duration,
    batches: u64,
    bytes: u64,
    p95: Duration,
    errors: BTreeMap<String, usize>,
}

/// The fleet against the embedded SQLite office and, given an admin URL, against PostgreSQL
/// in the same run, side by side.
fn fleet(devices: usize, postgres_admin: Option<String>) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let (paths, _) = write_photos(&tmp.path().join("DCIM"), 3 * devices, 0.3, 7)?;
    let sqlite = fleet_run(devices, None, &paths, &tmp.path().join("sqlite"))?;
    let postgres = match &postgres_admin {
        Some(admin) => {
            let (url, name) = fresh_database(admin)?;
            let run = fleet_run(devices, Some(url), &paths, &tmp.path().join("pg"));
            // The office is stopped by now; the database goes whatever the run's outcome.
            let _ =
                Command::new("psql").arg(admin).args(["-c", &format!("DROP DATABASE {name} WITH (FORCE)")]).output();
            Some(run?)
        }
        None => None,
    };
    println!("\nFleet: {devices} devices syncing at once (5 findings and 3 photos of 0.3 MB each)");
    println!("{:<22} {:>12} {:>12} {:>10}", "", "SQLite", "PostgreSQL", "PG/SQLite");
    let row = |name: &str, f: &dyn Fn(&FleetResult) -> f64, digits: usize| {
        let a = f(&sqlite);
        match &postgres {
            Some(p) => {
                let b = f(p);
                let ratio = if a > 0.0 { format!("{:.2}", b / a) } else { "-".into() };
                println!("{name:<22} {a:>12.digits$} {b:>12.digits$} {ratio:>10}");
            }
            None => println!("{name:<22} {a:>12.digits$} {:>12} {:>10}", "-", "-"),
        }
    };
    row("wall time (s)", &|r| r.took.as_secs_f64(), 2);
    row("batches per second", &|r| r.batches as f64 / r.took.as_secs_f64(), 1);
    row("MB/s", &|r| mbps(r.bytes, r.took), 1);
    row("p95 commit latency ms", &|r| r.p95.as_secs_f64() * 1000.0, 1);
    row("errors (goal 0)", &|r| r.errors.values().sum::<usize>() as f64, 0);
    for (backend, r) in std::iter::once(("SQLite", &sqlite)).chain(postgres.iter().map(|p| ("PostgreSQL", p))) {
        for (e, n) in &r.errors {
            println!("  {backend}: {n} × {e}");
        }
    }
    Ok(())
}

fn fleet_run(devices: usize, database_url: Option<String>, photos: &[PathBuf], root: &Path) -> Result<FleetResult> {
    let backend = if database_url.is_some() { "PostgreSQL" } else { "SQLite" };
    let office = Office::start_on(database_url);
    eprintln!("preparing {devices} devices for the {backend} office …");
    let dirs: Vec<DataDir> = (0..devices).map(|i| DataDir::new(root.join(format!("d{i}")))).collect();
    for (i, dir) in dirs.iter().enumerate() {
        let name = format!("督查员{i:03}");
        let mut store = field_store(dir, &name, 5, &photos[3 * i..3 * i + 3])?;
        enroll(&mut store, &office, &name)?;
    }

    eprintln!("syncing {devices} devices at once against {backend} …");
    let barrier = Arc::new(Barrier::new(devices + 1));
    let runs = Arc::new(Mutex::new(Vec::new()));
    let mut handles = Vec::new();
    for dir in dirs {
        let (barrier, runs) = (Arc::clone(&barrier), Arc::clone(&runs));
        handles.push(std::thread::spawn(move || {
            let run = device_sync(&dir, &barrier);
            runs.lock().map(|mut r| r.push(run)).ok();
        }));
    }
    barrier.wait();
    let started = Instant::now();
    for h in handles {
        let _ = h.join();
    }
    let took = started.elapsed();
    let runs = std::mem::take(&mut *runs.lock().map_err(|_| anyhow::anyhow!("a device thread panicked"))?);
    let mut lat: Vec<Duration> = runs.iter().flat_map(|r| r.commit_latencies.iter().copied()).collect();
    lat.sort();
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    for e in runs.iter().filter_map(|r| r.error.clone()) {
        *errors.entry(e).or_default() += 1;
    }
    if runs.len() != devices {
        *errors.entry("a device thread panicked".into()).or_default() += devices - runs.len();
    }
    Ok(FleetResult {
        took,
        batches: runs.iter().map(|r| r.batches).sum(),
        bytes: runs.iter().map(|r| r.bytes).sum(),
        p95: lat.get((lat.len() * 95).div_ceil(100).saturating_sub(1)).copied().unwrap_or_default(),
        errors,
    })
}

/// One device: unlock, wait for the start, sync; the commit latency is the time from the
/// last upload (or the batch's start) to the stored receipt.
fn device_sync(dir: &DataDir, barrier: &Barrier) -> DeviceRun {
    let mut run = DeviceRun::default();
    let store = Store::unlock(dir, PASS, Arc::new(WallClock));
    barrier.wait();
    let mut store = match store {
        Ok(s) => s,
        Err(e) => {
            run.error = Some(e.to_string());
            return run;
        }
    };
    let mut last = Instant::now();
    let mut latencies = Vec::new();
    let blobs = blobs_of(&store, dir);
    let result = store.sync(&blobs, &mut |e| match e {
        SyncEvent::Committed { .. } => latencies.push(last.elapsed()),
        SyncEvent::Batch { .. } | SyncEvent::BlobDone { .. } | SyncEvent::Uploading { .. } => last = Instant::now(),
        _ => {}
    });
    run.commit_latencies = latencies;
    match result {
        Ok(s) => {
            run.batches = s.batches;
            run.bytes = s.bytes_sent;
            run.error = s.failures.first().map(|f| format!("{f:?}"));
        }
        Err(e) => run.error = Some(e.to_string()),
    }
    run
}

/// A new, empty database next to the admin URL's, for one run: its URL and name.
fn fresh_database(admin: &str) -> Result<(String, String)> {
    let name = format!("mingcha_bench_{}", uuid::Uuid::new_v4().simple());
    let out = Command::new("psql").arg(admin).args(["-c", &format!("CREATE DATABASE {name}")]).output()?;
    if !out.status.success() {
        bail!("creating {name}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
    Ok((format!("{base}/{name}"), name))
}
