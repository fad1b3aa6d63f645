//! The office console at scale: one laptop syncs N findings (no photos) to a fresh office,
//! a reviewer accepts a share of them into the ledger, and each console read is timed with
//! curl's own clock, beside two references from the same run: curl against the office's
//! health route (what any request costs: TLS, HTTP, the session) and the same first page read
//! with raw SQL from the office's SQLite file (what the rows cost).
//!
//! `office-bench [--findings N] [--accept N] [--runs R] [--postgres]`; `cargo xtask bench` runs
//! it. With `--postgres` the office keeps its tables in a new PostgreSQL database made through
//! `MINGCHA_TEST_PG` (as the tests do), and the raw-SQL reference is left out.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::{FixedOffset, NaiveDate, TimeZone};
use mingcha_core::finding::Severity;
use mingcha_core::unit::NewUnit;
use mingcha_store::findings::NewFinding;
use mingcha_store::{DataDir, Store};
use mingcha_tests::bench::{covert_visit, laptop as laptop_store};
use mingcha_tests::{Office, seed_sentences};

const PASSWORD: &str = "bench password 2026";
/// Findings of one visit (one day's inspection, from 08:00 a minute apart).
const PER_VISIT: usize = 500;

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> Result<T> {
    match args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)) {
        Some(v) => v.parse().map_err(|_| anyhow::anyhow!("{name} takes a number, not `{v}`")),
        None => Ok(default),
    }
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let findings: usize = arg(&args, "--findings", 50_000)?;
    let accept: usize = arg(&args, "--accept", 5_000)?;
    let runs: usize = arg(&args, "--runs", 15)?;
    let postgres = args.iter().any(|a| a == "--postgres");
    if findings == 0 || runs == 0 {
        bail!("usage: office-bench [--findings N>0] [--accept N] [--runs R>0] [--postgres]");
    }
    let tmp = tempfile::tempdir()?;
    let office = if postgres { Office::start_on_postgres() } else { Office::start() };
    let backend = if postgres { "PostgreSQL" } else { "SQLite" };

    eprintln!("adding {findings} findings to a laptop …");
    let dir = DataDir::new(tmp.path().join("laptop"));
    let mut store = laptop(&dir, findings)?;
    store.enroll(&office.url(), &office.enroll_token("李明"))?;
    eprintln!("syncing them to the {backend} office …");
    let started = Instant::now();
    let blobs = mingcha_evidence::import::blob_store(&store, &dir);
    let sync = store.sync(&blobs, &mut |_| {})?;
    let synced = started.elapsed();
    if let Some(f) = sync.failures.first() {
        bail!("the sync failed: {f:?}");
    }

    let out = office
        .command_with_env(&[("MINGCHA_ACCOUNT_PASSWORD", PASSWORD)])
        .args(["account", "add", "wang", "--name", "王审核", "--role", "reviewer"])
        .output()?;
    if !out.status.success() {
        bail!("account add: {}", String::from_utf8_lossy(&out.stderr));
    }
    let console = Console::sign_in(&office, tmp.path())?;

    // The open findings' ids, a page of 500 at a time, as many as will be accepted and timed.
    let first_page = "/api/console/findings?state=open&limit=500";
    let page: serde_json::Value = serde_json::from_slice(&console.get(first_page)?.1)?;
    if page["total"].as_u64() != Some(findings as u64) {
        bail!("the review list counts {} open findings, not {findings}", page["total"]);
    }
    let second = page["next"].as_str().map(|n| format!("{first_page}&after={}", enc(n)));
    let mut ids = Vec::new();
    let mut next = Some(page);
    while let Some(page) = next.take() {
        let rows = page["rows"].as_array().context("the review list's rows")?;
        ids.extend(rows.iter().filter_map(|r| r["id"].as_str().map(str::to_owned)));
        if let Some(after) = page["next"].as_str().filter(|_| ids.len() <= accept + runs) {
            next = Some(serde_json::from_slice(&console.get(&format!("{first_page}&after={}", enc(after)))?.1)?);
        }
    }
    let (accepted, to_time) = ids.split_at(accept.min(ids.len().saturating_sub(runs)));
    eprintln!("accepting {} findings into the ledger …", accepted.len());
    for id in accepted {
        console.post(&format!("/api/console/findings/{id}/accept"))?;
    }

    let health = console.median(runs, |_| "/api/health".to_owned())?;
    let raw = if postgres { None } else { Some(raw_sql_page(&office.data.join("office.db"), runs)?) };
    let one = ids[ids.len() / 2].clone();
    let mut reads: Vec<(&str, Duration)> = vec![
        ("review list, first page (50)", console.median(runs, |_| "/api/console/findings?state=open".into())?),
        ("one finding", console.median(runs, |_| format!("/api/console/findings/{one}"))?),
        ("ledger, first page (50)", console.median(runs, |_| "/api/console/problems".into())?),
        ("ledger, full text 窗口", console.median(runs, |_| format!("/api/console/problems?q={}", enc("窗口")))?),
        ("dashboard", console.median(runs, |_| "/api/console/dashboard".into())?),
        ("lights", console.median(runs, |_| "/api/console/lights".into())?),
        ("batches", console.median(runs, |_| "/api/console/batches".into())?),
    ];
    if let Some(path) = second {
        reads.insert(1, ("review list, second page (500)", console.median(runs, |_| path.clone())?));
    }
    let mut took = Vec::new();
    for id in to_time.iter().take(runs) {
        took.push(console.post(&format!("/api/console/findings/{id}/accept"))?);
    }
    took.sort();
    reads.push(("one 采纳 (accept)", took[took.len() / 2]));

    let rss = office_rss_mb(office.pid());
    println!(
        "\nOffice console on {backend}: {findings} findings, {} in the ledger; synced in {:.1} s ({:.0} findings/s)",
        accepted.len() + took.len(),
        synced.as_secs_f64(),
        findings as f64 / synced.as_secs_f64()
    );
    println!("reference: curl GET /api/health {:.2} ms (median of {runs})", ms(health));
    if let Some(raw) = raw {
        println!("reference: raw SQL, the first 50 finding records by id, {:.2} ms", ms(raw));
    }
    println!("{:<32} {:>10} {:>14}", "console read (median)", "ms", "× health");
    for (name, d) in &reads {
        println!("{name:<32} {:>10.2} {:>14.1}", ms(*d), d.as_secs_f64() / health.as_secs_f64().max(1e-6));
    }
    println!("server RSS after the reads: {rss}");
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect()
}

/// A laptop with one unit and `n` findings from the seed speeches: a visit a day from
/// 2021-01-01, [`PER_VISIT`] findings each, a minute apart.
fn laptop(dir: &DataDir, n: usize) -> Result<Store> {
    let mut store =
        laptop_store(dir, "李明", NewUnit { name: "城东区政务服务中心".into(), region: None, spots: vec![] })?;
    let first_day = NaiveDate::from_ymd_opt(2021, 1, 1).context("date")?;
    let tz = FixedOffset::east_opt(8 * 3600).context("offset")?;
    let seeds = seed_sentences();
    let categories = ["表面文章", "脱岗离岗", "推诿扯皮"];
    for first in (0..n).step_by(PER_VISIT) {
        let day = first_day + chrono::Days::new((first / PER_VISIT) as u64);
        let visit = covert_visit(&mut store, "城东区政务服务中心", day, "李明")?;
        let start = tz.from_local_datetime(&day.and_hms_opt(8, 0, 0).context("time")?).single().context("time")?;
        let news = (first..(first + PER_VISIT).min(n))
            .map(|i| NewFinding {
                visit: visit.id.to_string(),
                spot: None,
                observed_at: start + chrono::Duration::minutes(i64::try_from(i - first).unwrap_or(0)),
                method: None,
                category: Some(categories[i % categories.len()].into()),
                severity: Severity::Minor,
                description: seeds[i % seeds.len()].into(),
                persons_involved: None,
                checklist_item: None,
            })
            .collect();
        store.add_findings(news)?;
    }
    Ok(store)
}

/// The reference for the rows: the first 50 finding records by id, straight from the file.
fn raw_sql_page(db: &Path, runs: usize) -> Result<Duration> {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let mut stmt =
            conn.prepare("SELECT entity_id, payload FROM record WHERE entity = 'finding' ORDER BY entity_id LIMIT 50")?;
        let rows: Vec<(String, String)> =
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        if rows.is_empty() {
            bail!("the raw read found no findings");
        }
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

fn office_rss_mb(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).map(|l| l.trim_start_matches("VmRSS:").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// A reviewer's session, spoken through curl so every figure is curl's own `time_total`.
struct Console {
    base: String,
    jar: std::path::PathBuf,
}

impl Console {
    fn sign_in(office: &Office, dir: &Path) -> Result<Self> {
        let console = Self { base: office.url(), jar: dir.join("cookies.txt") };
        let body = serde_json::json!({"username": "wang", "password": PASSWORD}).to_string();
        let (status, answer, _) = console
            .curl(&["-X", "POST", "-c", path_str(&console.jar)?, "--data-binary", &body], "/api/console/login")?;
        if status != 200 {
            bail!("sign-in answered {status}: {}", String::from_utf8_lossy(&answer));
        }
        Ok(console)
    }

    /// One request: (status, body, curl's time_total).
    fn curl(&self, extra: &[&str], path: &str) -> Result<(u16, Vec<u8>, Duration)> {
        let out = Command::new("curl")
            .args([
                "-sk",
                "-b",
                path_str(&self.jar)?,
                "-H",
                "x-mingcha-console: 1",
                "-H",
                "content-type: application/json",
            ])
            .args(extra)
            .args(["-w", "\n%{http_code} %{time_total}", &format!("{}{path}", self.base)])
            .output()
            .context("run curl")?;
        let mut body = out.stdout;
        let tail_at = body.iter().rposition(|b| *b == b'\n').context("curl's figures")?;
        let tail = String::from_utf8_lossy(&body[tail_at + 1..]).into_owned();
        body.truncate(tail_at);
        let (code, secs) = tail.split_once(' ').context("curl's figures")?;
        Ok((code.parse()?, body, Duration::from_secs_f64(secs.trim().parse()?)))
    }

    fn get(&self, path: &str) -> Result<(Duration, Vec<u8>)> {
        let (status, body, took) = self.curl(&[], path)?;
        if status != 200 {
            bail!("GET {path} answered {status}: {}", String::from_utf8_lossy(&body));
        }
        Ok((took, body))
    }

    fn post(&self, path: &str) -> Result<Duration> {
        let (status, body, took) = self.curl(&["-X", "POST", "--data-binary", "{}"], path)?;
        if status != 200 {
            bail!("POST {path} answered {status}: {}", String::from_utf8_lossy(&body));
        }
        Ok(took)
    }

    /// The median of `runs` reads of the path `path(i)` makes.
    fn median(&self, runs: usize, path: impl Fn(usize) -> String) -> Result<Duration> {
        let mut times = (0..runs).map(|i| self.get(&path(i)).map(|r| r.0)).collect::<Result<Vec<_>>>()?;
        times.sort();
        Ok(times[times.len() / 2])
    }
}

fn path_str(p: &Path) -> Result<&str> {
    p.to_str().context("a temporary path that is not UTF-8")
}
