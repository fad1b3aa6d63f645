//! The lists a province cannot read whole: pages by cursor, the ledger's numbering across them,
//! the full text kept in step with the office's rewording, and the read model built for an
//! office that predates it.

use serde_json::{Value, json};

use super::support::{App, http};
use super::{Console, Role, accept_all, encode, field_day};

on_both_backends!(
    the_review_list_and_the_ledger_come_in_pages_numbered_on,
    the_full_text_follows_a_rewording_and_takes_like_characters_literally,
    an_office_made_before_the_read_model_builds_it_once_and_answers_the_same,
);

const TEXTS: [(&str, &str); 5] = [
    ("san.absent", "3号窗口工作人员上班时间脱岗二十分钟"),
    ("san.absent", "综合窗口人员离岗未放置暂离牌"),
    ("lan.slow", "不动产登记窗口办件超时未办结"),
    ("san.gaming", "5号窗口工作人员上班时间玩手机游戏"),
    ("lan.slow", "企业开办窗口一次性告知不到位，群众多次往返"),
];

/// Every page of `path`, `limit` rows at a time: the rows and each page's (total, row count).
async fn all_pages(office: &Console<'_>, path: &str, limit: u32) -> (Vec<Value>, Vec<(u64, usize)>) {
    let (mut rows, mut pages) = (Vec::new(), Vec::new());
    let mut after: Option<String> = None;
    loop {
        let cursor = after.as_deref().map(|a| format!("&after={}", encode(a))).unwrap_or_default();
        let sep = if path.contains('?') { '&' } else { '?' };
        let page = office.read(&format!("{path}{sep}limit={limit}{cursor}")).await;
        let got = page["rows"].as_array().unwrap();
        pages.push((page["total"].as_u64().unwrap(), got.len()));
        rows.extend(got.iter().cloned());
        match page["next"].as_str() {
            Some(next) => after = Some(next.to_owned()),
            None => break,
        }
        assert!(pages.len() <= 10, "the pages never end: {pages:?}");
    }
    (rows, pages)
}

fn ids(rows: &[Value]) -> Vec<String> {
    rows.iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect()
}

async fn the_review_list_and_the_ledger_come_in_pages_numbered_on(app: App) {
    let day = field_day(&app, "城南区政务服务中心", &TEXTS).await;
    let office = Console::sign_in(&app, "wang", Role::Reviewer, None).await;

    let (rows, pages) = all_pages(&office, "/api/console/findings?state=open", 2).await;
    assert_eq!(pages, [(5, 2), (5, 2), (5, 1)]);
    assert_eq!(ids(&rows), day.findings, "every finding once, in the order observed");
    for (bad, why) in [("limit=0", "an empty page"), ("limit=501", "a page too long"), ("after=nonsense", "a cursor")] {
        let r = office.get(&format!("/api/console/findings?{bad}")).await;
        assert_eq!(r.error(400).code, "invalid_input", "{why}");
    }

    let problems = accept_all(&office, &day).await;
    let (open, pages) = all_pages(&office, "/api/console/findings?state=open", 2).await;
    assert!(open.is_empty(), "accepted findings leave the queue: {open:?}");
    assert_eq!(pages, [(0, 0)], "and its total");
    let (all, pages) = all_pages(&office, "/api/console/findings?state=accepted", 5).await;
    assert_eq!((all.len(), pages), (5, vec![(5, 5)]));
    let (rows, pages) = all_pages(&office, "/api/console/problems", 2).await;
    assert_eq!(pages, [(5, 2), (5, 2), (5, 1)]);
    assert_eq!(ids(&rows), problems, "in order of discovery");
    let seqs: Vec<u64> = rows.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5], "the second page numbers on from the first");

    // A problem's own page carries its number in the whole ledger.
    assert_eq!(office.read(&format!("/api/console/problems/{}", problems[3])).await["row"]["seq"], 4);

    // A filtered ledger pages the same way, numbered among what it selects.
    let (slow, pages) = all_pages(&office, "/api/console/problems?category=lan", 1).await;
    assert_eq!(pages, [(2, 1), (2, 1)]);
    assert_eq!(ids(&slow), [problems[2].clone(), problems[4].clone()]);
    assert_eq!(slow.iter().map(|r| r["seq"].as_u64().unwrap()).collect::<Vec<_>>(), [1, 2]);
}

async fn the_full_text_follows_a_rewording_and_takes_like_characters_literally(app: App) {
    let day = field_day(&app, "城南区政务服务中心", &TEXTS[..2]).await;
    let office = Console::sign_in(&app, "wang", Role::Reviewer, None).await;
    let problems = accept_all(&office, &day).await;
    let total = |r: Value| r["total"].as_u64().unwrap();
    let q = |s: &str| format!("/api/console/problems?q={}", encode(s));

    assert_eq!(total(office.read(&q("上班时间")).await), 1);
    office
        .ok(
            &format!("/api/console/findings/{}/wording", day.findings[0]),
            json!({"text": "3号窗口工作人员擅离岗位二十分钟"}),
        )
        .await;
    assert_eq!(total(office.read(&q("上班时间")).await), 0, "the ledger no longer says what the office reworded");
    let found = office.read(&q("擅离岗位")).await;
    assert_eq!(ids(found["rows"].as_array().unwrap()), [problems[0].clone()]);

    for literal in ["%", "_", "\\", "窗口%"] {
        assert_eq!(total(office.read(&q(literal)).await), 0, "`{literal}` is a character to find, not a pattern");
    }
    assert_eq!(total(office.read(&q("岗")).await), 2, "one character is found too");
}

/// Undo migrations 5 to 7 (the read model, its counters and indexes) as if this office had been
/// made by the version before them.
async fn forget_the_read_model(app: &App) {
    let statements = [
        "DROP TABLE finding_count",
        "DROP TABLE ledger_tally",
        "DROP TABLE ledger_gram",
        "DROP TABLE ledger_row",
        "DROP TABLE finding_row",
        "DROP TABLE read_model",
        "DROP INDEX record_parent",
        "ALTER TABLE record DROP COLUMN parent_id",
        "DROP INDEX batch_committed",
        "DELETE FROM schema_migration WHERE version IN (5, 6, 7, 8)",
    ];
    forget(app, &statements).await;
}

/// Run `statements` on the office's database behind its back.
pub(super) async fn forget(app: &App, statements: &[&str]) {
    let config = &app.server.office.config;
    // Counting triggers go with their counters (migrations 6 and 8 make them again).
    let counters: [(&str, &str, [&str; 3]); 2] = [
        (
            "finding_count",
            "finding_row_count()",
            ["finding_row_counted_insert", "finding_row_counted_update", "finding_row_counted_delete"],
        ),
        (
            "ledger_tally",
            "ledger_row_tally()",
            ["ledger_row_tallied_insert", "ledger_row_tallied_update", "ledger_row_tallied_delete"],
        ),
    ];
    let mut drops = Vec::new();
    for (table, function, triggers) in counters {
        if statements.iter().any(|s| *s == format!("DROP TABLE {table}")) {
            match config.database_url {
                Some(_) => drops.push(format!("DROP FUNCTION {function} CASCADE")),
                None => drops.extend(triggers.iter().map(|t| format!("DROP TRIGGER {t}"))),
            }
        }
    }
    let statements: Vec<&str> = drops.iter().map(String::as_str).chain(statements.iter().copied()).collect();
    match &config.database_url {
        None => {
            let db = rusqlite::Connection::open(config.sqlite_path()).unwrap();
            db.execute_batch(&statements.join(";\n")).unwrap();
        }
        Some(url) => {
            let (db, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(conn);
            db.batch_execute(&statements.join(";\n")).await.unwrap();
        }
    }
}

async fn an_office_made_before_the_read_model_builds_it_once_and_answers_the_same(app: App) {
    let day = field_day(&app, "城南区政务服务中心", &TEXTS).await;
    let office = Console::sign_in(&app, "wang", Role::Reviewer, None).await;
    office.ok(&format!("/api/console/findings/{}/return", day.findings[4]), json!({"comment": "写明往返次数"})).await;
    for f in &day.findings[..3] {
        office.ok(&format!("/api/console/findings/{f}/accept"), json!({})).await;
    }
    // 3 accepted, 1 returned, 1 waiting: what the counters say, before and after the rebuild.
    let batches = office.read("/api/console/batches").await;
    assert_eq!((batches[0]["findings"].as_u64(), batches[0]["undecided"].as_u64()), (Some(5), Some(1)));
    let total = |v: Value| v["total"].as_u64().unwrap();
    assert_eq!(total(office.read("/api/console/findings?state=open").await), 1);
    assert_eq!(total(office.read("/api/console/findings?state=returned").await), 1);
    let batch = batches[0]["batch_id"].as_str().unwrap();
    assert_eq!(total(office.read(&format!("/api/console/findings?batch={batch}&state=open")).await), 1);
    let reads = [
        "/api/console/findings?limit=500",
        "/api/console/findings?state=open",
        "/api/console/problems?limit=500",
        "/api/console/batches",
        "/api/console/dashboard",
    ];
    let mut before = Vec::new();
    for path in reads {
        before.push(office.read(path).await);
    }

    // An office made at migration 5 counts its rows once when migration 6 comes.
    forget(&app, &["DROP TABLE finding_count", "DELETE FROM schema_migration WHERE version = 6"]).await;
    let counted = mingcha_server::spawn(app.server.office.config.clone(), "127.0.0.1:0").await.unwrap();
    for (path, was) in reads.iter().zip(&before) {
        let r = http(counted.addr, "GET", path, &office.headers(), b"").await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert_eq!(&r.json::<Value>(), was, "{path} answers as before the counters were made");
    }

    forget_the_read_model(&app).await;
    let reopened = mingcha_server::spawn(app.server.office.config.clone(), "127.0.0.1:0").await.unwrap();
    for (path, was) in reads.iter().zip(&before) {
        let r = http(reopened.addr, "GET", path, &office.headers(), b"").await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert_eq!(&r.json::<Value>(), was, "{path} answers as before the read model was rebuilt");
    }
    let built = app.repo().sql().rows("SELECT name FROM read_model".into(), vec![]).await.unwrap();
    assert_eq!(built.len(), 1, "built once, and marked so: {built:?}");
}
