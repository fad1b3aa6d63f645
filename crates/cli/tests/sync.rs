//! `mingcha enroll` and `mingcha sync` against a real `mingcha-server` process on port 0, with
//! its own data directory: photos arrive whole and once, a second sync sends nothing, a sync cut
//! off before it reached the office resumes the same batch, a finding the office returns
//! comes back with its comment, and a plan the office assigns shows in `mingcha plan list`.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed; the panic says where

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use mingcha_tests::Office;

const PASS: &str = "sync test passphrase";
const DAY: &str = "2026-11-10";

fn mingcha(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mingcha"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env("MINGCHA_PASSPHRASE", PASS)
        .env("TZ", "Asia/Shanghai")
        .output()
        .unwrap()
}

fn json(data: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = mingcha(data, &all);
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A laptop with one finding and `photos` sample photos attached; returns the finding id.
fn field_day(root: &Path, photos: u64) -> String {
    let data = root.join("laptop");
    json(&data, &["init", "--inspector", "吴督查", "--device", "吴的笔记本"]);
    json(&data, &["unit", "add", "城关镇便民服务中心", "--spot", "社保窗口"]);
    let v = json(&data, &["visit", "new", "--unit", "城关镇", "--kind", "暗访", "--date", DAY, "--at", "09:00"]);
    let visit = v["id"].as_str().unwrap();
    let text = "社保窗口工作人员上班时间玩手机游戏";
    let f =
        json(&data, &["finding", "add", "--visit", visit, "--category", "脱岗离岗", "--text", text, "--at", "09:30"]);
    let finding = f["id"].as_str().unwrap().to_owned();
    if photos > 0 {
        let camera = root.join("camera");
        let count = photos.to_string();
        json(&data, &["photo", "sample", camera.to_str().unwrap(), "--count", &count, "--date", DAY]);
        let imported = json(&data, &["photo", "import", "--finding", &finding, camera.to_str().unwrap()]);
        assert_eq!(imported["imported"], photos, "{imported}");
    }
    finding
}

fn log_len(data: &Path) -> u64 {
    json(data, &["log"]).as_array().unwrap().len() as u64
}

fn digests(data: &Path) -> BTreeSet<String> {
    let log = json(data, &["log"]);
    log.as_array().unwrap().iter().filter_map(|c| c["payload"]["sha256"].as_str().map(str::to_owned)).collect()
}

#[test]
fn photos_go_up_once_and_a_second_sync_sends_nothing() {
    let office = Office::start();
    let tmp = tempfile::tempdir().unwrap();
    field_day(tmp.path(), 3);
    let data = tmp.path().join("laptop");
    let before = json(&data, &["status"]);
    assert!(before["sync"]["server"].is_null() && before["sync"]["unsynced_changes"].as_u64() > Some(0));

    let enrolled = json(&data, &["enroll", "--server", &office.url(), "--token", &office.enroll_token("吴督查")]);
    assert_eq!(enrolled["inspector_name"], "吴督查", "{enrolled}");
    assert_eq!(enrolled["server_url"], office.url().as_str());

    let first = json(&data, &["sync"]);
    assert_eq!(first["changes_stored"], log_len(&data), "{first}");
    assert_eq!(first["blobs_uploaded"], 3, "{first}");
    assert!(first["bytes_sent"].as_u64() > Some(3 * 10_000), "{first}");
    assert_eq!(first["failures"], serde_json::json!([]));
    let held = office.holdings_on_disk();
    assert_eq!(held.keys().cloned().collect::<BTreeSet<_>>(), digests(&data), "every photo, once");
    assert!(held.iter().all(|(_, whole)| *whole), "{held:?}");

    let status = json(&data, &["status"]);
    assert_eq!(status["sync"]["unsynced_changes"], 0, "{status}");
    assert_eq!(status["sync"]["server"], office.url().as_str());
    assert!(status["sync"]["last_sync_at"].is_string(), "{status}");

    let again = json(&data, &["sync"]);
    for k in ["changes_stored", "changes_already_there", "blobs_uploaded", "bytes_sent", "events_applied"] {
        assert_eq!(again[k], 0, "{k}: {again}");
    }
    assert_eq!(office.holdings_on_disk().len(), 3);
}

#[test]
fn a_finding_returned_at_the_office_comes_back_with_its_comment_and_its_fix_goes_up() {
    let office = Office::start();
    let tmp = tempfile::tempdir().unwrap();
    let finding = field_day(tmp.path(), 1);
    let data = tmp.path().join("laptop");
    json(&data, &["enroll", "--server", &office.url(), "--token", &office.enroll_token("吴督查")]);
    json(&data, &["sync"]);
    assert_eq!(json(&data, &["finding", "show", &finding])["status"], "submitted", "the office holds it");

    let comment = "照片看不清工作人员在做什么，请补充说明";
    let out = office.admin(&["finding", "return", &finding, "--comment", comment]);
    assert!(out.status.success(), "finding return: {}", String::from_utf8_lossy(&out.stderr));
    let pulled = json(&data, &["sync"]);
    assert_eq!(pulled["events_applied"], 1, "{pulled}");
    assert_eq!(pulled["changes_stored"], 0, "the office's decision is not sent back as a change: {pulled}");

    let shown = json(&data, &["finding", "show", &finding]);
    assert_eq!(shown["status"], "returned", "{shown}");
    assert_eq!(shown["office_comment"], comment, "{shown}");
    let text = mingcha(&data, &["finding", "show", &finding]);
    assert!(String::from_utf8_lossy(&text.stdout).contains(comment), "the comment is shown to the inspector");
    let listed = mingcha(&data, &["finding", "list", "--status", "returned"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains(comment));
    assert_eq!(json(&data, &["sync"])["events_applied"], 0, "applied once");

    json(
        &data,
        &["finding", "edit", &finding, "--text", "社保窗口工作人员上班时间玩手机游戏约十五分钟（见照片右下角）"],
    );
    assert_eq!(json(&data, &["finding", "show", &finding])["status"], "draft");
    let resent = json(&data, &["sync"]);
    assert_eq!(resent["changes_stored"], 1, "just the edit: {resent}");
    assert_eq!(json(&data, &["finding", "show", &finding])["status"], "submitted");
}

#[test]
fn a_sync_that_never_reached_the_office_resumes_the_same_batch() {
    let office = Office::start();
    let tmp = tempfile::tempdir().unwrap();
    field_day(tmp.path(), 2);
    let data = tmp.path().join("laptop");
    json(&data, &["enroll", "--server", &office.url(), "--token", &office.enroll_token("吴督查")]);

    // Nothing listens on port 9: the batch is built and kept, nothing is marked synced.
    let offline = mingcha(&data, &["--json", "sync", "--server", "https://127.0.0.1:9"]);
    assert!(!offline.status.success());
    let err: serde_json::Value = serde_json::from_slice(&offline.stderr).unwrap();
    assert_eq!(err["error"]["code"], "unreachable", "{err}");
    let status = json(&data, &["status"]);
    let open = status["sync"]["open_batch"].as_str().unwrap().to_owned();
    assert_eq!(status["sync"]["server"], office.url().as_str(), "a failed address is not remembered");

    let synced = json(&data, &["sync"]);
    assert_eq!(synced["changes_stored"], log_len(&data), "{synced}");
    assert_eq!(synced["batches"], 1);
    let db = rusqlite::Connection::open_with_flags(
        office.data.join("office.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let ids: Vec<String> =
        db.prepare("SELECT id FROM batch").unwrap().query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    assert_eq!(ids, [open], "the office got the batch built before the cut, under its id");
    assert!(json(&data, &["status"])["sync"]["open_batch"].is_null());
}

#[test]
fn a_file_over_one_chunk_goes_up_in_pieces_and_arrives_whole() {
    let office = Office::start();
    let tmp = tempfile::tempdir().unwrap();
    let finding = field_day(tmp.path(), 0);
    let data = tmp.path().join("laptop");
    // 16 MiB + a bit of incompressible bytes: a recording, kept as evidence without a preview.
    let mut bytes = vec![0u8; 16 * 1024 * 1024 + 300_001];
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for b in bytes.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *b = x as u8;
    }
    let file = tmp.path().join("录音.m4a");
    std::fs::write(&file, &bytes).unwrap();
    json(&data, &["photo", "import", "--finding", &finding, file.to_str().unwrap()]);
    json(&data, &["enroll", "--server", &office.url(), "--token", &office.enroll_token("吴督查")]);

    let synced = json(&data, &["sync"]);
    assert_eq!(synced["blobs_uploaded"], 1, "{synced}");
    assert_eq!(synced["bytes_sent"], bytes.len() as u64, "each byte once: {synced}");
    let held = office.holdings_on_disk();
    assert_eq!(held.len(), 1);
    assert!(held.values().all(|whole| *whole), "the office's copy hashes to its name");
}

#[test]
fn a_bad_token_is_refused_with_the_office_code_and_nothing_is_enrolled() {
    let office = Office::start();
    let tmp = tempfile::tempdir().unwrap();
    field_day(tmp.path(), 0);
    let data = tmp.path().join("laptop");
    office.enroll_token("吴督查");

    // Well-formed, with the office's pin, but never issued.
    let guess = format!("mc1.{}.{}", "ab".repeat(32), office.fingerprint());
    let out = mingcha(&data, &["--json", "enroll", "--server", &office.url(), "--token", &guess]);
    assert!(!out.status.success());
    let err: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["error"]["code"], "bad_token", "{err}");
    // Not a token at all, and one from before TLS: refused here, each with its own code.
    for (text, code) in [("not-a-real-token", "bad_token_format"), (&"ab".repeat(32)[..], "token_outdated")] {
        let out = mingcha(&data, &["--json", "enroll", "--server", &office.url(), "--token", text]);
        let err: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
        assert_eq!(err["error"]["code"], code, "{err}");
    }
    let old = mingcha(&data, &["enroll", "--server", &office.url(), "--token", &"ab".repeat(32)]);
    assert!(String::from_utf8_lossy(&old.stderr).contains("ask the office for a new one"));
    // A pinned office is reached over https only.
    let plain = office.url().replace("https://", "http://");
    let out = mingcha(&data, &["--json", "enroll", "--server", &plain, "--token", &guess]);
    let err: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["error"]["code"], "tls_required", "{err}");
    let out = mingcha(&data, &["enroll", "--server", &office.url(), "--token", &guess]);
    let text = String::from_utf8_lossy(&out.stderr);
    assert_eq!(text.lines().count(), 1, "one line: {text}");
    assert!(text.contains("new enrollment token"), "{text}");
    assert!(json(&data, &["status"])["sync"]["server"].is_null());

    let out = mingcha(&data, &["--json", "sync"]);
    let err: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["error"]["code"], "not_enrolled", "{err}");
}

#[test]
fn a_plan_assigned_at_the_office_is_in_the_plan_list_after_sync_and_goes_back_up_once() {
    let office = Office::start();
    let tmp = tempfile::tempdir().unwrap();
    field_day(tmp.path(), 0);
    let data = tmp.path().join("laptop");
    json(&data, &["enroll", "--server", &office.url(), "--token", &office.enroll_token("吴督查")]);
    json(&data, &["sync"]);

    let unit = "城南区政务服务中心";
    let assign = "--json plan assign --inspector 吴督查 --title 十一月作风暗访 --kind covert \
                  --from 2026-11-10 --to 2026-11-12 --template work-discipline --unit";
    let mut args: Vec<&str> = assign.split_whitespace().collect();
    args.push(unit);
    let out = office.admin(&args);
    assert!(out.status.success(), "plan assign: {}", String::from_utf8_lossy(&out.stderr));
    let assigned: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    let synced = json(&data, &["sync"]);
    assert_eq!(synced["events_applied"], 1, "{synced}");
    assert_eq!(synced["notes"], serde_json::json!([]), "{synced}");
    assert_eq!(synced["changes_stored"], 2, "the new unit and the plan go up in the same sync: {synced}");
    assert_eq!(synced["unsynced_changes"], 0, "{synced}");

    let plans = json(&data, &["plan", "list"]);
    let plans = plans.as_array().unwrap();
    assert_eq!(plans.len(), 1, "{plans:?}");
    let p = &plans[0];
    assert_eq!(p["id"], assigned["plan_id"], "the office's id: {p}");
    assert_eq!((p["title"].as_str(), p["kind"].as_str()), (Some("十一月作风暗访"), Some("covert")), "{p}");
    assert_eq!((p["starts_on"].as_str(), p["ends_on"].as_str()), (Some("2026-11-10"), Some("2026-11-12")), "{p}");
    assert_eq!(p["checklists"], serde_json::json!(["work-discipline"]), "{p}");
    assert_eq!(p["team"], serde_json::json!(["吴督查"]), "{p}");
    // A covert plan's targets stay hidden before its first day.
    let hidden = chrono::Local::now().date_naive() < chrono::NaiveDate::from_ymd_opt(2026, 11, 10).unwrap();
    assert_eq!(p["targets_hidden"], hidden, "{p}");
    let shown = if hidden { serde_json::json!([]) } else { serde_json::json!([unit]) };
    assert_eq!(p["target_names"], shown, "{p}");
    let units = json(&data, &["unit", "list"]);
    let mut names: Vec<&str> = units.as_array().unwrap().iter().filter_map(|u| u["name"].as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["城关镇便民服务中心", "城南区政务服务中心"], "made for the plan, once");

    let again = json(&data, &["sync"]);
    assert_eq!((again["events_applied"].as_u64(), again["changes_stored"].as_u64()), (Some(0), Some(0)), "{again}");
    assert_eq!(json(&data, &["plan", "list"]).as_array().unwrap().len(), 1);
}

#[test]
fn a_server_with_another_certificate_is_refused_and_nothing_is_marked_synced() {
    let office = Office::start();
    let impostor = Office::start();
    assert_ne!(office.fingerprint(), impostor.fingerprint(), "each office makes its own certificate");
    let tmp = tempfile::tempdir().unwrap();
    field_day(tmp.path(), 2);
    let data = tmp.path().join("laptop");
    json(&data, &["enroll", "--server", &office.url(), "--token", &office.enroll_token("吴督查")]);
    let before = json(&data, &["status"]);
    // The impostor has the inspector and would take the device's requests, but its
    // certificate is not the one the token named.
    impostor.enroll_token("吴督查");
    let out = mingcha(&data, &["--json", "sync", "--server", &impostor.url()]);
    assert!(!out.status.success());
    let err: serde_json::Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["error"]["code"], "certificate_mismatch", "{err}");
    let message = err["error"]["message"].as_str().unwrap();
    assert!(message.contains(&impostor.fingerprint()) && message.contains(&office.fingerprint()), "{message}");
    let after = json(&data, &["status"]);
    assert_eq!(after["sync"]["unsynced_changes"], before["sync"]["unsynced_changes"], "nothing is marked synced");
    assert_eq!(after["sync"]["server"], office.url().as_str(), "the impostor's address is not remembered");
    assert_eq!(impostor.counts()["changes"], 0, "the impostor received nothing");
    assert_eq!(impostor.counts()["batches"], 0);

    // The real office, over TLS, takes the whole day.
    let synced = json(&data, &["sync"]);
    assert_eq!(synced["changes_stored"], log_len(&data), "{synced}");
    assert_eq!(synced["unsynced_changes"], 0, "{synced}");
    assert_eq!(office.counts()["blobs"], 2);
}
