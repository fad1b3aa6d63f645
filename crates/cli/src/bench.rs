//! `mingcha bench store`: fill a store with a year's worth of field work and time what the
//! inspector waits on (recording, listing, searching), each beside the same work done as raw
//! SQL on the same connection. Not a test: the figures and their ratio are printed, and the
//! goals (p95 < 20 ms, overhead ≤ 1.2× raw) are read off the output.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use chrono::{Duration as Days, FixedOffset, NaiveDate, TimeZone};
use clap::Subcommand;
use mingcha_core::evidence::Sha256Hex;
use mingcha_core::finding::Severity;
use mingcha_core::inspection::InspectionKind;
use mingcha_core::unit::NewUnit;
use mingcha_evidence::sample::Rng;
use mingcha_store::evidence::NewEvidence;
use mingcha_store::findings::NewFinding;
use mingcha_store::visits::NewVisit;
use mingcha_store::{DataDir, FindingQuery, InitOptions, KdfParams, Store, SystemClock};

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Insert findings and evidence rows, then time list and search against raw SQL.
    Store {
        #[arg(long, default_value_t = 100_000)]
        findings: usize,
        #[arg(long, default_value_t = 500_000)]
        evidence: usize,
        /// Timed runs per query.
        #[arg(long, default_value_t = 200)]
        runs: usize,
        /// Seed for the generated data.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Print each query's plan.
        #[arg(long)]
        explain: bool,
        /// Keep the generated store in this (new) folder, passphrase `benchmark passphrase`,
        /// for other benchmarks to open (the desktop's startup with a full store).
        #[arg(long)]
        keep: Option<std::path::PathBuf>,
    },
    /// Import camera photos and compare with vipsthumbnail making the same previews.
    Import {
        /// How many photos to make (ignored with --folder).
        #[arg(long, default_value_t = 100)]
        photos: usize,
        /// How many different 12 MP frames among them (the rest differ in a comment only).
        #[arg(long, default_value_t = 20)]
        distinct: usize,
        /// Import the JPEGs of this folder instead of made ones.
        #[arg(long)]
        folder: Option<std::path::PathBuf>,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
}

const SEEDS: &str = include_str!("../../../tests/fixtures/seed-sentences.txt");

/// What inspectors write, in their words; each finding joins one to a place and a seed sentence.
const BEHAVIOURS: &[(&str, &str)] = &[
    ("工作人员上班时间脱岗，群众等候二十分钟无人办理", "脱岗离岗"),
    ("工作人员迟到十五分钟，窗口开门时无人", "迟到早退"),
    ("工作人员上班时间用手机玩游戏", "上班玩游戏"),
    ("工作人员上班时间观看短视频，对来办事群众不理不睬", "上班看视频"),
    ("对群众咨询态度生硬，门难进、脸难看、事难办", "门难进脸难看事难办"),
    ("未一次性告知所需材料，群众往返三次仍未办结", "未一次性告知"),
    ("未佩戴工作牌，桌面无岗位牌", "未亮牌上岗"),
    ("办理事项超过承诺时限五个工作日", "政务服务超时限"),
    ("“办不成事”反映窗口无人值守，登记台账空白", "反映窗口空转"),
    ("公务车辆工作日停放在餐饮场所门前", "公车私用"),
    ("两名工作人员串岗闲聊近半小时", "闲聊串岗"),
    ("推诿扯皮，让群众到其他科室咨询后又被退回", "推诿扯皮"),
];

const SPOTS: &[&str] = &["1号窗口", "3号窗口", "综合受理区", "二楼办公区", "咨询台", "自助服务区"];

/// One of `from`, chosen by the seeded generator.
fn pick<'a, T>(rng: &mut Rng, from: &'a [T]) -> &'a T {
    &from[(rng.next_u64() % from.len() as u64) as usize]
}

pub fn run(c: BenchCommand) -> Result<()> {
    match c {
        BenchCommand::Store { findings, evidence, runs, seed, explain, keep } => {
            store(findings, evidence, runs, seed, explain, keep)
        }
        BenchCommand::Import { photos, distinct, folder, seed } => {
            crate::bench_import::run(crate::bench_import::ImportBench { photos, distinct, folder, seed })
        }
    }
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn store(
    n_findings: usize,
    n_evidence: usize,
    runs: usize,
    seed: u64,
    explain: bool,
    keep: Option<std::path::PathBuf>,
) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let dir = DataDir::new(keep.unwrap_or_else(|| tmp.path().join("bench")));
    let opts =
        InitOptions { inspector_name: "基准测试".into(), device_name: "bench".into(), kdf: KdfParams::default() };
    let mut s = Store::init(&dir, "benchmark passphrase", &opts, Arc::new(SystemClock))?;
    let mut rng = Rng(seed);
    let seeds: Vec<&str> = SEEDS.lines().filter(|l| !l.trim().is_empty()).collect();
    let cst = FixedOffset::east_opt(8 * 3600).expect("offset");
    let first_day = NaiveDate::from_ymd_opt(2026, 1, 5).expect("date");

    println!(
        "mingcha bench store: {n_findings} findings, {n_evidence} evidence rows, {runs} runs per query, seed {seed}"
    );
    let units: Vec<String> = (0..50)
        .map(|i| {
            let name = format!(
                "第{}区{}",
                i + 1,
                ["政务服务中心", "市场监管局", "街道便民服务中心", "不动产登记中心", "社保服务大厅"][i % 5]
            );
            s.add_unit(NewUnit::parse(&name, None, &[])?).map(|u| u.unit.name).map_err(Into::into)
        })
        .collect::<Result<_>>()?;

    // Findings: 50 a visit, in batches of one visit (one transaction each), as a day's import.
    let per_visit = 50;
    let visits = n_findings.div_ceil(per_visit);
    let started = Instant::now();
    let mut ids = Vec::with_capacity(n_findings);
    for v in 0..visits {
        let date = first_day + Days::days((v * 300 / visits.max(1)) as i64);
        let visit = s.add_visit(NewVisit {
            unit: pick(&mut rng, &units).clone(),
            spot: None,
            plan: None,
            kind: if v % 3 == 0 { InspectionKind::Covert } else { InspectionKind::Open },
            date,
            arrived_at: None,
            inspectors: vec![],
            notes: None,
        })?;
        let batch = (0..per_visit.min(n_findings - v * per_visit))
            .map(|i| {
                let (behaviour, category) = *pick(&mut rng, BEHAVIOURS);
                let at = cst.from_local_datetime(&date.and_hms_opt(9, 0, 0).expect("time")).single().expect("time")
                    + Days::minutes(i as i64 * 5);
                NewFinding {
                    visit: visit.id.to_string(),
                    spot: Some((*pick(&mut rng, SPOTS)).to_owned()),
                    observed_at: at,
                    method: None,
                    category: Some(category.to_owned()),
                    severity: Severity::Minor,
                    description: format!("{behaviour}。{}", pick(&mut rng, &seeds)),
                    persons_involved: None,
                    checklist_item: None,
                }
            })
            .collect();
        ids.extend(s.add_findings(batch)?.into_iter().map(|f| f.finding.id.to_string()));
    }
    let findings_time = started.elapsed();

    let started = Instant::now();
    for chunk in (0..n_evidence).collect::<Vec<_>>().chunks(5_000) {
        let batch = chunk
            .iter()
            .map(|i| {
                let digest: String = (0..4).map(|_| format!("{:016x}", rng.next_u64())).collect();
                Ok(NewEvidence {
                    finding: ids[i % ids.len()].clone(),
                    sha256: Sha256Hex::parse(&digest)?,
                    size: 3_000_000 + rng.next_u64() % 2_000_000,
                    media_type: "image/jpeg".into(),
                    original_name: format!("IMG_{:04}.JPG", i % 10_000),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        s.add_evidence(batch)?;
    }
    let evidence_time = started.elapsed();

    // The reference for inserts: the same number of rows as plain INSERTs into a bare table
    // (no search index, no change log, no validation), in the same transaction sizes on the
    // same connection, so it pays the same fsyncs.
    let conn = s.connection();
    conn.execute_batch("CREATE TABLE bench_raw_finding (id TEXT, visit_id TEXT, description TEXT, observed_at TEXT)")?;
    let started = Instant::now();
    for chunk in (0..n_findings).collect::<Vec<_>>().chunks(per_visit) {
        conn.execute_batch("BEGIN")?;
        let mut stmt = conn.prepare_cached("INSERT INTO bench_raw_finding VALUES (?1, ?2, ?3, ?4)")?;
        for i in chunk {
            stmt.execute((&ids[*i], "v", pick(&mut rng, &seeds), "2026-01-05T09:00:00+08:00"))?;
        }
        conn.execute_batch("COMMIT")?;
    }
    let raw_insert = started.elapsed();
    conn.execute_batch("DROP TABLE bench_raw_finding")?;

    println!();
    println!("{:<34} {:>14} {:>14} {:>7}", "insert", "mingcha /s", "raw SQL /s", "ratio");
    println!(
        "{:<34} {:>14.0} {:>14.0} {:>6.1}×",
        "findings, 50 a transaction",
        rate(n_findings, findings_time),
        rate(n_findings, raw_insert),
        raw_insert.as_secs_f64().max(1e-9).recip() * findings_time.as_secs_f64()
    );
    println!(
        "{:<34} {:>14.0} {:>14} {:>7}",
        "evidence rows, 5000 a transaction",
        rate(n_evidence, evidence_time),
        "",
        ""
    );

    let unit = s.findings(&FindingQuery { limit: 1, ..Default::default() })?.remove(0).unit_name;
    // Each query beside the MATCH expression a developer would write for it by hand.
    let text = |t: &str| FindingQuery { text: Some(t.into()), ..Default::default() };
    let queries: Vec<(&str, FindingQuery, Option<&str>)> = vec![
        ("list newest 50", FindingQuery::default(), None),
        ("list one unit", FindingQuery { unit: Some(unit.clone()), ..Default::default() }, None),
        ("search 2 chars 脱岗", text("脱岗"), Some("\"脱岗\"")),
        ("search 2 chars 态度", text("态度"), Some("\"态度\"")),
        ("search 1 char 拖", text("拖"), Some("\"拖\"*")),
        ("search 5 chars 一次性告知", text("一次性告知"), Some("\"一次 次性 性告 告知\"")),
        ("search rare 马上就办", text("马上就办"), Some("\"马上 上就 就办\"")),
        ("search 2 words 窗口 玩游戏", text("窗口 玩游戏"), Some("\"窗口\" AND \"玩游 游戏\"")),
        (
            "group 散 + one month",
            FindingQuery {
                category: Some("散".into()),
                from: NaiveDate::from_ymd_opt(2026, 6, 1),
                to: NaiveDate::from_ymd_opt(2026, 6, 30),
                ..Default::default()
            },
            None,
        ),
    ];
    println!();
    println!(
        "{:<30} {:>6} {:>10} {:>10} {:>10} {:>10} {:>7}",
        "query (limit 50)", "rows", "p50 ms", "p95 ms", "raw p50", "raw p95", "p95 ×"
    );
    for (label, q, matching) in &queries {
        let rows = s.findings(q)?.len();
        let (sql, params) = raw_sql(&s, q, *matching)?;
        if explain {
            let mut stmt = s.connection().prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
            let plan: Vec<String> =
                stmt.query_map(rusqlite_params(&params), |r| r.get(3))?.collect::<Result<_, _>>()?;
            println!("  plan of {label}: {}", plan.join(" | "));
        }
        let raw_rows = raw_query(&s, &sql, &params)?;
        anyhow::ensure!(rows == raw_rows, "{label}: mingcha found {rows} rows, raw SQL {raw_rows}");
        let mut ours = Vec::with_capacity(runs);
        let mut raw = Vec::with_capacity(runs);
        for _ in 0..runs {
            // Interleaved, so a noisy neighbour slows both alike.
            let t = Instant::now();
            std::hint::black_box(s.findings(q)?);
            ours.push(t.elapsed());
            let t = Instant::now();
            std::hint::black_box(raw_query(&s, &sql, &params)?);
            raw.push(t.elapsed());
        }
        let (p50, p95) = percentiles(&mut ours);
        let (r50, r95) = percentiles(&mut raw);
        println!(
            "{label:<30} {rows:>6} {:>10.2} {:>10.2} {:>10.2} {:>10.2} {:>6.2}×",
            ms(p50),
            ms(p95),
            ms(r50),
            ms(r95),
            p95.as_secs_f64() / r95.as_secs_f64().max(1e-9)
        );
    }
    println!("\ngoal: p95 < 20 ms, and mingcha within 1.2× of raw SQL on the same connection");
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentiles(v: &mut [Duration]) -> (Duration, Duration) {
    v.sort();
    let at = |p: f64| v[((v.len() as f64 - 1.0) * p).round() as usize];
    (at(0.50), at(0.95))
}

/// The query a developer would write by hand for `q`: the same tables, joins and indexes,
/// with every reference already resolved to ids, read into plain tuples.
fn raw_sql(s: &Store, q: &FindingQuery, matching: Option<&str>) -> Result<(String, Vec<String>)> {
    let columns = "f.id, f.visit_id, f.unit_id, f.spot_id, f.observed_at, f.method, f.category_code, f.severity,
                f.description, f.persons_involved, f.status, f.created_at, f.updated_at, u.name, s.name,
                (SELECT count(*) FROM evidence e WHERE e.finding_id = f.id AND e.deleted_at IS NULL)";
    let joins = "JOIN unit u ON u.id = f.unit_id LEFT JOIN spot s ON s.id = f.spot_id";
    let mut params = Vec::new();
    let (mut sql, order) = match matching {
        Some(m) => {
            params.push(m.to_owned());
            (
                format!(
                    "SELECT {columns} FROM finding_search JOIN finding f ON f.seq = finding_search.rowid {joins}
                         WHERE finding_search MATCH ?1 AND f.deleted_at IS NULL"
                ),
                "finding_search.rowid DESC",
            )
        }
        None => (
            format!(
                "SELECT {columns} FROM finding f {joins} WHERE f.seq IN (SELECT f.seq FROM finding f WHERE f.deleted_at IS NULL"
            ),
            "f.seq DESC",
        ),
    };
    let mut add = |clause: &str, p: String| {
        params.push(p);
        sql.push_str(&clause.replace('?', &format!("?{}", params.len())));
    };
    if let Some(u) = &q.unit {
        add(" AND f.unit_id = ?", s.unit(u)?.id.to_string());
    }
    if let Some(c) = &q.category {
        let group = s.taxonomy().categories.iter().find(|g| &g.name == c).map(|g| g.code.clone()).unwrap_or_default();
        add(" AND f.category_code > ? || '.' AND f.category_code < ? || '/'", group);
    }
    if let Some(d) = q.from {
        add(" AND f.observed_on >= ?", d.to_string());
    }
    if let Some(d) = q.to {
        add(" AND f.observed_on <= ?", d.to_string());
    }
    match matching {
        Some(_) => sql.push_str(&format!(" ORDER BY {order} LIMIT 50")),
        None => sql.push_str(" ORDER BY f.seq DESC LIMIT 50) ORDER BY f.seq DESC"),
    }
    Ok((sql, params))
}

fn raw_query(s: &Store, sql: &str, params: &[String]) -> Result<usize> {
    let mut stmt = s.connection().prepare_cached(sql)?;
    type Row = (
        String,
        String,
        String,
        Option<String>,
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        String,
        String,
        String,
        String,
        Option<String>,
        i64,
    );
    let rows = stmt.query_map(rusqlite_params(params), |r| {
        Ok::<Row, _>((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
            r.get(6)?,
            r.get(7)?,
            r.get(8)?,
            r.get(9)?,
            r.get(10)?,
            r.get(11)?,
            r.get(12)?,
            r.get(13)?,
            r.get(14)?,
            r.get(15)?,
        ))
    })?;
    let mut n = 0;
    for row in rows {
        std::hint::black_box(row?);
        n += 1;
    }
    Ok(n)
}

fn rusqlite_params(p: &[String]) -> impl rusqlite::Params + '_ {
    rusqlite::params_from_iter(p.iter())
}
