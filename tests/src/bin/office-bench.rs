//! The office console at scale: one laptop syncs N findings (no photos) across a few thousand
//! units to a fresh office, a reviewer accepts a share of them into the ledger, and each console
//! read is timed with curl's own clock (p50 and p95 of R runs) beside curl against the office's
//! health route (what any request costs: TLS, HTTP, the session) and beside the same query
//! written by hand in SQL and run on the same database in the same run. The ratio `× SQL` is
//! what the read costs beyond a health check (p50 − health p50) over the SQL's p50. One
//! 采纳 (accept) and one 交办 (assign) are timed the same way, and the server's RSS is read last.
//!
//! `office-bench [--findings N] [--accept N] [--units N] [--runs R] [--postgres]`; `cargo xtask
//! bench` runs it. With `--postgres` the office keeps its tables in a new PostgreSQL database
//! made through `MINGCHA_TEST_PG` (as the tests do), and the hand-written SQL runs there.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::{Datelike, FixedOffset, NaiveDate, TimeZone};
use mingcha_core::finding::Severity;
use mingcha_core::unit::NewUnit;
use mingcha_evidence::sample::{SampleExif, camera_photo};
use mingcha_store::evidence::{NewEvidence, TargetRef};
use mingcha_store::findings::NewFinding;
use mingcha_store::{DataDir, Store};
use mingcha_tests::bench::{covert_visit, laptop as laptop_store};
use mingcha_tests::{Office, seed_sentences};

const PASSWORD: &str = "bench password 2026";
/// Findings of one visit (one day's inspection, from 08:00 a minute apart).
const PER_VISIT: usize = 500;
/// Evidence rows of each finding (the 3,000,000 at 1,000,000 findings).
const EVIDENCE_PER_FINDING: usize = 3;
/// Accepts sent through one curl process (on connections kept alive).
const ACCEPTS_PER_CURL: usize = 500;

fn arg<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> Result<T> {
    match args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)) {
        Some(v) => v.parse().map_err(|_| anyhow::anyhow!("{name} takes a number, not `{v}`")),
        None => Ok(default),
    }
}

/// One console read: its route, and the SQL a person would write for the same rows.
struct Read {
    name: &'static str,
    path: String,
    sql: Vec<String>,
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let findings: usize = arg(&args, "--findings", 50_000)?;
    let accept: usize = arg(&args, "--accept", 5_000)?;
    let units: usize = arg(&args, "--units", 2_000)?;
    let runs: usize = arg(&args, "--runs", 15)?;
    let postgres = args.iter().any(|a| a == "--postgres");
    if findings == 0 || runs == 0 || units == 0 {
        bail!("usage: office-bench [--findings N>0] [--accept N] [--units N>0] [--runs R>0] [--postgres]");
    }
    // One visit a unit at least: with 500 findings a visit, 1M findings reach 2,000 units.
    let units = units.min(findings.div_ceil(PER_VISIT));
    let tmp = tempfile::tempdir()?;
    let office = if postgres { Office::start_on_postgres() } else { Office::start() };
    let backend = if postgres { "PostgreSQL" } else { "SQLite" };

    eprintln!("adding {findings} findings at {units} units to a laptop …");
    let dir = DataDir::new(tmp.path().join("laptop"));
    let mut store = laptop(&dir, findings, units)?;
    store.enroll(&office.url(), &office.enroll_token("李明"))?;
    eprintln!("syncing them to the {backend} office …");
    let started = Instant::now();
    let blobs = mingcha_evidence::import::blob_store(&store, &dir);
    let sync = store.sync(&blobs, &mut |_| {})?;
    let synced = started.elapsed();
    if let Some(f) = sync.failures.first() {
        bail!("the sync failed: {f:?}");
    }

    for (user, name, role) in [("wang", "王审核", "reviewer"), ("zhao", "赵管理", "admin")] {
        let out = office
            .command_with_env(&[("MINGCHA_ACCOUNT_PASSWORD", PASSWORD)])
            .args(["account", "add", user, "--name", name, "--role", role])
            .output()?;
        if !out.status.success() {
            bail!("account add {user}: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
    let console = Console::sign_in(&office, tmp.path(), "wang")?;
    let admin = Console::sign_in(&office, tmp.path(), "zhao")?;

    // The open findings' ids, a page of 500 at a time, as many as will be accepted and timed.
    let first_page = "/api/console/findings?state=open&limit=500";
    let page: serde_json::Value = serde_json::from_slice(&console.get(first_page)?.1)?;
    if page["total"].as_u64() != Some(findings as u64) {
        bail!("the review list counts {} open findings, not {findings}", page["total"]);
    }
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
    let started = Instant::now();
    for chunk in accepted.chunks(ACCEPTS_PER_CURL) {
        let paths: Vec<String> = chunk.iter().map(|id| format!("/api/console/findings/{id}/accept")).collect();
        console.post_many(&paths, "{}").map_err(|e| {
            let log = office.log();
            let tail: String = log.chars().rev().take(2_000).collect::<Vec<_>>().into_iter().rev().collect();
            e.context(format!("the office's log ends with:\n{tail}"))
        })?;
    }
    let accepting = started.elapsed();

    let mut db = RawDb::open(&office)?;
    let reads = reads(&mut db, &ids[ids.len() / 2])?;
    let health = console.times(runs, "/api/health")?;
    let mut rows: Vec<(String, Vec<Duration>, Option<Vec<Duration>>)> = Vec::new();
    for read in &reads {
        let by = if read.path.starts_with("/api/console/audit") { &admin } else { &console };
        let http = by.times(runs, &read.path)?;
        let raw = (0..runs).map(|_| db.time(&read.sql)).collect::<Result<Vec<_>>>()?;
        rows.push((read.name.to_owned(), http, Some(raw)));
    }
    let mut took = Vec::new();
    for id in to_time.iter().take(runs) {
        took.push(console.post(&format!("/api/console/findings/{id}/accept"), "{}")?);
    }
    rows.push(("one 采纳 (accept)".to_owned(), took, None));
    let deadline = chrono::Local::now().date_naive() + chrono::Days::new(30);
    let assign =
        serde_json::json!({"unit": "城东区政务服务中心1", "deadline": deadline, "measures": "限期整改"}).to_string();
    let to_assign =
        db.column("SELECT problem_id FROM ledger_row WHERE stage = 'pending' ORDER BY found_at LIMIT 100")?;
    let mut took = Vec::new();
    for id in to_assign.iter().take(runs) {
        took.push(console.post(&format!("/api/console/problems/{id}/assign"), &assign)?);
    }
    rows.push(("one 交办 (assign)".to_owned(), took, None));

    let rss = office_rss_mb(office.pid());
    let mut count = |table: &str| -> Result<String> {
        let n = db.column(&format!("SELECT CAST(count(*) AS TEXT) FROM {table}"))?;
        Ok(n.into_iter().next().unwrap_or_else(|| "?".into()))
    };
    let (problems, evidence) = (count("ledger_row")?, count("record WHERE entity = 'evidence'")?);
    println!(
        "\nOffice console on {backend}: {findings} findings with {evidence} evidence rows at {units} units, {problems} \
         problems in the ledger; synced in {:.1} s ({:.0} findings/s), accepted in {:.1} s",
        synced.as_secs_f64(),
        findings as f64 / synced.as_secs_f64(),
        accepting.as_secs_f64()
    );
    let floor = ms(p(&health, 50));
    println!("reference: curl GET /api/health p50 {floor:.2} ms (of {runs} runs): what any request costs");
    println!(
        "{:<34} {:>8} {:>8} {:>11} {:>11} {:>7}",
        "console read", "p50 ms", "p95 ms", "− health", "SQL p50 ms", "× SQL"
    );
    for (name, http, raw) in &rows {
        let (p50, p95) = (ms(p(http, 50)), ms(p(http, 95)));
        let beyond = (p50 - floor).max(0.0);
        match raw {
            Some(raw) => {
                let sql = ms(p(raw, 50));
                println!("{name:<34} {p50:>8.2} {p95:>8.2} {beyond:>11.2} {sql:>11.2} {:>7.1}", beyond / sql.max(1e-3));
            }
            None => println!("{name:<34} {p50:>8.2} {p95:>8.2} {beyond:>11.2} {:>11} {:>7}", "—", "—"),
        }
    }
    println!("server RSS after the reads: {rss}");
    Ok(())
}

/// The reads timed, each with its hand-written SQL; `one` is the finding read alone.
fn reads(db: &mut RawDb, one: &str) -> Result<Vec<Read>> {
    // The oldest problem's unit, category and day: filters that select something.
    let mut oldest = |column: &str| -> Result<String> {
        let sql = format!("SELECT {column} FROM ledger_row ORDER BY found_at, problem_id LIMIT 1");
        db.column(&sql)?.into_iter().next().context("the ledger is empty; accept some findings (--accept)")
    };
    let (unit, category, found) = (oldest("unit_id")?, oldest("category")?, oldest("found_on")?);
    let group = category.split('.').next().unwrap_or(&category);
    let day = NaiveDate::parse_from_str(&found, "%Y-%m-%d").context("a ledger row's day")?;
    let (from, to) = month_of(day).context("a month")?;
    let open = "deleted = FALSE AND state IN ('new', 'resent')";
    let page = |w: &str| {
        vec![
            format!("SELECT count(*) FROM ledger_row {w}"),
            format!("SELECT row_json FROM ledger_row {w} ORDER BY found_at, problem_id LIMIT 51"),
        ]
    };
    let words = "WHERE problem_id IN (SELECT problem_id FROM ledger_gram WHERE gram = '窗口')";
    Ok(vec![
        Read {
            name: "review list, first page (50)",
            path: "/api/console/findings?state=open".into(),
            sql: vec![
                format!("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM finding_count WHERE {open}"),
                format!(
                    "SELECT f.finding_id, r.payload FROM finding_row f JOIN record r ON r.entity = 'finding' \
                     AND r.entity_id = f.finding_id WHERE f.deleted = FALSE AND f.is_open = TRUE \
                     ORDER BY f.observed_at, f.finding_id LIMIT 51"
                ),
            ],
        },
        Read {
            name: "one finding",
            path: format!("/api/console/findings/{one}"),
            sql: vec![
                format!("SELECT payload FROM record WHERE entity = 'finding' AND entity_id = '{one}'"),
                format!("SELECT payload FROM record WHERE entity = 'evidence' AND parent_id = '{one}'"),
                format!("SELECT body FROM office_doc WHERE kind = 'review' AND id = '{one}'"),
            ],
        },
        Read { name: "ledger, first page (50)", path: "/api/console/problems".into(), sql: page("") },
        Read {
            name: "ledger, one unit",
            path: format!("/api/console/problems?unit={unit}"),
            sql: page(&format!("WHERE unit_id = '{unit}'")),
        },
        Read {
            name: "ledger, category group and month",
            path: format!("/api/console/problems?category={group}&from={from}&to={to}"),
            sql: page(&format!("WHERE category LIKE '{group}.%' AND found_on BETWEEN '{from}' AND '{to}'")),
        },
        Read {
            name: "ledger, full text 窗口",
            path: format!("/api/console/problems?q={}", enc("窗口")),
            sql: page(words),
        },
        Read {
            name: "dashboard",
            path: "/api/console/dashboard".into(),
            // The sums the dashboard reads from the ledger's counters (migration 8).
            sql: vec![
                "SELECT unit_name, SUM(n), SUM(CASE WHEN stage = 'closed' THEN n ELSE 0 END) FROM ledger_tally \
                 GROUP BY unit_name"
                    .into(),
                "SELECT category_group, SUM(n) FROM ledger_tally GROUP BY category_group".into(),
                "SELECT substr(found_on, 1, 7), SUM(n) FROM ledger_tally GROUP BY substr(found_on, 1, 7)".into(),
                "SELECT unit_name, category, found_on, SUM(n) FROM ledger_tally GROUP BY unit_name, category, found_on"
                    .into(),
            ],
        },
        Read {
            name: "lights",
            path: "/api/console/lights".into(),
            sql: vec![
                "SELECT row_json FROM ledger_row WHERE stage IN ('assigned', 'reported') ORDER BY deadline".into(),
            ],
        },
        Read {
            name: "batches (newest 100)",
            path: "/api/console/batches".into(),
            sql: vec![
                "SELECT b.id, CAST(SUM(c.n) AS BIGINT) FROM batch b LEFT JOIN finding_count c \
                 ON c.batch_id = CAST(b.id AS TEXT) \
                 WHERE b.id IN (SELECT id FROM batch WHERE stage = 'committed' ORDER BY committed_at DESC LIMIT 100) \
                 GROUP BY b.id"
                    .into(),
            ],
        },
        Read {
            name: "audit log, first page (50)",
            path: "/api/console/audit".into(),
            sql: vec![
                "SELECT count(*) FROM audit_log".into(),
                "SELECT * FROM audit_log ORDER BY seq DESC LIMIT 50".into(),
            ],
        },
    ])
}

/// The first and last day of `day`'s month.
fn month_of(day: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let from = day.with_day(1)?;
    let next = if from.month() == 12 {
        NaiveDate::from_ymd_opt(from.year() + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(from.year(), from.month() + 1, 1)?
    };
    Some((from, next.pred_opt()?))
}

/// The `pct` percentile of `times` (nearest rank).
fn p(times: &[Duration], pct: usize) -> Duration {
    let mut t = times.to_vec();
    t.sort();
    let rank = (pct * t.len()).div_ceil(100).clamp(1, t.len().max(1));
    t.get(rank - 1).copied().unwrap_or_default()
}

/// The office's own database, read with hand-written SQL: the reference for each read.
enum RawDb {
    Sqlite(rusqlite::Connection),
    Postgres(tokio::runtime::Runtime, tokio_postgres::Client),
}

impl RawDb {
    fn open(office: &Office) -> Result<Self> {
        match office.database_url() {
            None => Ok(Self::Sqlite(rusqlite::Connection::open_with_flags(
                office.data.join("office.db"),
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            )?)),
            Some(url) => {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
                let client = rt.block_on(async {
                    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
                    tokio::spawn(conn);
                    Ok::<_, tokio_postgres::Error>(client)
                })?;
                Ok(Self::Postgres(rt, client))
            }
        }
    }

    /// Run `sql` in order, reading every row, and say how long it took.
    fn time(&mut self, sql: &[String]) -> Result<Duration> {
        let started = Instant::now();
        for q in sql {
            match self {
                Self::Sqlite(c) => {
                    let mut stmt = c.prepare(q).with_context(|| q.clone())?;
                    let n = stmt.column_count();
                    let mut rows = stmt.query([])?;
                    while let Some(row) = rows.next()? {
                        for i in 0..n {
                            std::hint::black_box(row.get_ref(i)?);
                        }
                    }
                }
                Self::Postgres(rt, c) => {
                    std::hint::black_box(rt.block_on(c.query(q.as_str(), &[])).with_context(|| q.clone())?);
                }
            }
        }
        Ok(started.elapsed())
    }

    /// The first column of `sql`'s rows, as text.
    fn column(&mut self, sql: &str) -> Result<Vec<String>> {
        match self {
            Self::Sqlite(c) => {
                let mut stmt = c.prepare(sql)?;
                Ok(stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<_>>()?)
            }
            Self::Postgres(rt, c) => {
                let rows = rt.block_on(c.query(sql, &[]))?;
                rows.iter().map(|r| Ok(r.try_get::<_, String>(0)?)).collect()
            }
        }
    }
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

/// A laptop with `units` units and `n` findings from the seed speeches: a visit a day from
/// 2021-01-01, [`PER_VISIT`] findings each, a minute apart, the units in turn.
fn laptop(dir: &DataDir, n: usize, units: usize) -> Result<Store> {
    let name = |i: usize| format!("城东区政务服务中心{}", i + 1);
    let mut store = laptop_store(dir, "李明", NewUnit { name: name(0), region: None, spots: vec![] })?;
    for i in 1..units {
        store.add_unit(NewUnit { name: name(i), region: None, spots: vec![] })?;
    }
    let first_day = NaiveDate::from_ymd_opt(2021, 1, 1).context("date")?;
    let tz = FixedOffset::east_opt(8 * 3600).context("offset")?;
    let seeds = seed_sentences();
    let categories = ["表面文章", "脱岗离岗", "推诿扯皮"];
    let mut ids = Vec::with_capacity(n);
    for first in (0..n).step_by(PER_VISIT) {
        let visit_no = first / PER_VISIT;
        let day = first_day + chrono::Days::new(visit_no as u64);
        let visit = covert_visit(&mut store, &name(visit_no % units), day, "李明")?;
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
        ids.extend(store.add_findings(news)?.into_iter().map(|f| f.finding.id.to_string()));
    }
    add_evidence(&mut store, dir, &ids)?;
    Ok(store)
}

/// [`EVIDENCE_PER_FINDING`] evidence rows on every finding: three small photos imported for
/// real onto the first finding (sealed, so the sync uploads them once), then named by every
/// other finding's rows in bulk, as a laptop holding the same shots in many findings would.
fn add_evidence(store: &mut Store, dir: &DataDir, ids: &[String]) -> Result<()> {
    let Some(first) = ids.first() else { return Ok(()) };
    let photos_dir = dir.root().join("bench-photos");
    std::fs::create_dir_all(&photos_dir)?;
    let exif = SampleExif::default();
    let mut photos = Vec::new();
    for i in 0..EVIDENCE_PER_FINDING {
        let path = photos_dir.join(format!("IMG_{i:04}.JPG"));
        std::fs::write(&path, camera_photo(320, 240, i as u64, &exif))?;
        photos.push(path);
    }
    let target = TargetRef::Finding(first.clone());
    let summary = mingcha_evidence::import::import(store, dir, &target, &photos, None)?;
    if summary.failed > 0 {
        bail!("{} bench photos failed to import", summary.failed);
    }
    let held = store.evidence_of(first)?;
    for chunk in ids[1..].chunks(5_000) {
        let rows = chunk
            .iter()
            .flat_map(|f| {
                held.iter().map(|e| NewEvidence {
                    finding: f.clone(),
                    sha256: e.evidence.sha256.clone(),
                    size: e.evidence.size,
                    media_type: e.evidence.media_type.clone(),
                    original_name: e.evidence.original_name.clone(),
                })
            })
            .collect();
        store.add_evidence(rows)?;
    }
    Ok(())
}

fn office_rss_mb(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).map(|l| l.trim_start_matches("VmRSS:").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// A staff member's session, spoken through curl so every figure is curl's own `time_total`.
struct Console {
    base: String,
    jar: std::path::PathBuf,
}

impl Console {
    fn sign_in(office: &Office, dir: &Path, username: &str) -> Result<Self> {
        let console = Self { base: office.url(), jar: dir.join(format!("cookies-{username}.txt")) };
        let body = serde_json::json!({"username": username, "password": PASSWORD}).to_string();
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

    fn post(&self, path: &str, body: &str) -> Result<Duration> {
        let (status, body, took) = self.curl(&["-X", "POST", "--data-binary", body], path)?;
        if status != 200 {
            bail!("POST {path} answered {status}: {}", String::from_utf8_lossy(&body));
        }
        Ok(took)
    }

    /// POST `body` to every one of `paths` through one curl on kept-alive connections, four at a
    /// time (the bulk of the set-up; nothing timed), failing if any answer is not 200.
    fn post_many(&self, paths: &[String], body: &str) -> Result<()> {
        let mut cmd = Command::new("curl");
        // Four at a time: PostgreSQL commits them side by side; SQLite takes them in turn.
        cmd.args(["--no-progress-meter", "--parallel", "--parallel-max", "4"]);
        for (i, path) in paths.iter().enumerate() {
            // `--next` starts the options anew for the next URL; the connection stays open.
            if i > 0 {
                cmd.arg("--next");
            }
            cmd.args(["-sk", "-b", path_str(&self.jar)?, "-H", "x-mingcha-console: 1"]);
            cmd.args(["-H", "content-type: application/json", "-w", "%{stderr}%{http_code}\n", "-o", "/dev/null"]);
            cmd.args(["-X", "POST", "--data-binary", body, &format!("{}{path}", self.base)]);
        }
        let out = cmd.output().context("run curl")?;
        let codes = String::from_utf8_lossy(&out.stderr);
        let ok = codes.lines().filter(|c| *c == "200").count();
        if ok != paths.len() {
            bail!(
                "{} of {} POSTs answered 200: {}",
                ok,
                paths.len(),
                codes.lines().find(|c| *c != "200").unwrap_or("none")
            );
        }
        Ok(())
    }

    /// `runs` reads of `path`, each as long as curl says it took.
    fn times(&self, runs: usize, path: &str) -> Result<Vec<Duration>> {
        (0..runs).map(|_| self.get(path).map(|r| r.0)).collect()
    }
}

fn path_str(p: &Path) -> Result<&str> {
    p.to_str().context("a temporary path that is not UTF-8")
}
