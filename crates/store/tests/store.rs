//! The store as a library user meets it: one data directory, one passphrase, a field day.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed; the panic says where

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use mingcha_core::checklist::ItemResult;
use mingcha_core::clock::FixedClock;
use mingcha_core::finding::{FindingStatus, Severity};
use mingcha_core::inspection::{InspectionKind, NewPlan};
use mingcha_core::unit::NewUnit;
use mingcha_store::checklists::AnswerInput;
use mingcha_store::findings::{FindingEdit, NewFinding};
use mingcha_store::{DataDir, FindingQuery, InitOptions, KdfParams, Store, StoreError};

const PASS: &str = "correct horse 电池";

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock(Utc.with_ymd_and_hms(2026, 11, 10, 1, 30, 0).unwrap()))
}

fn opts() -> InitOptions {
    InitOptions {
        inspector_name: "李督查".into(),
        device_name: "test laptop".into(),
        kdf: KdfParams { memory_kib: 1024, iterations: 1, parallelism: 1 },
    }
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 10).unwrap()
}

fn at(h: u32, m: u32) -> DateTime<chrono::FixedOffset> {
    chrono::FixedOffset::east_opt(8 * 3600).unwrap().with_ymd_and_hms(2026, 11, 10, h, m, 0).unwrap()
}

/// A store with one unit, one visit and a filled work-discipline checklist with a 不符合.
fn field_day(dir: &DataDir) -> (Store, String) {
    let mut s = Store::init(dir, PASS, &opts(), clock()).unwrap();
    s.add_unit(NewUnit::parse("城南区政务服务中心", Some("城南区"), &["3号窗口".into()]).unwrap()).unwrap();
    let visit = s
        .add_visit(mingcha_store::visits::NewVisit {
            unit: "政务服务中心".into(),
            spot: Some("3号窗口".into()),
            plan: None,
            kind: InspectionKind::Covert,
            date: day(),
            arrived_at: Some(at(9, 5)),
            inspectors: vec![],
            notes: None,
        })
        .unwrap();
    let answers = [
        AnswerInput { item: "1".into(), result: ItemResult::Conforming, note: None },
        AnswerInput { item: "2".into(), result: ItemResult::NonConforming, note: Some("9点20分仍无人".into()) },
    ];
    let filled = s.fill_checklist(&visit.id.to_string(), "work-discipline", &answers).unwrap();
    assert_eq!(filled.score.non_conforming, 1);
    (s, visit.id.to_string())
}

fn finding(visit: &str, text: &str) -> NewFinding {
    NewFinding {
        visit: visit.into(),
        spot: None,
        observed_at: at(9, 20),
        method: None,
        category: Some("脱岗离岗".into()),
        severity: Severity::Serious,
        description: text.into(),
        persons_involved: Some("窗口工作人员王某".into()),
        checklist_item: None,
    }
}

#[test]
fn a_finding_from_a_checklist_item_is_searchable_by_one_two_and_many_characters() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path().join("data"));
    let (mut s, visit) = field_day(&dir);
    let mut from_item = finding(&visit, "3号窗口工作人员上班时间脱岗，群众等候二十分钟无人办理");
    from_item.category = None;
    from_item.checklist_item = Some(("工作纪律（在岗在位）".into(), "2".into()));
    let f = s.add_finding(from_item).unwrap();
    assert!(f.finding.checklist_item.is_some());
    assert!(!f.finding.category.is_empty(), "category comes from the checklist item");
    assert_eq!(f.finding.method.label_zh(), "暗访", "how found follows the covert visit");
    assert_eq!(f.spot_name.as_deref(), Some("3号窗口"));
    let mut other = finding(&visit, "大厅叫号屏故障，现场无人引导");
    other.category = Some("服务行为不规范".into());
    s.add_finding(other).unwrap();

    let search = |q: &str| s.findings(&FindingQuery { text: Some(q.into()), ..Default::default() }).unwrap();
    assert_eq!(search("脱岗").len(), 1, "two characters");
    assert_eq!(search("岗").len(), 1, "one character");
    assert_eq!(search("群众等候").len(), 1, "four characters");
    assert_eq!(search("城南区政务").len(), 2, "the unit name is searchable too");
    assert_eq!(search("脱岗 叫号").len(), 0, "all words must match");
    assert_eq!(search("无人").len(), 2);
    assert!(search("网购").is_empty());
    assert_eq!(search("服务行为").len(), 1, "the category name is searchable");
    let by_group = s.findings(&FindingQuery { category: Some("散".into()), ..Default::default() }).unwrap();
    assert_eq!(by_group.len(), 1, "a group lists its leaves");
    assert_eq!(by_group[0].finding.id, f.finding.id);
}

#[test]
fn edits_and_deletes_leave_a_trace_and_the_log_cannot_be_rewritten() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path().join("data"));
    let (mut s, visit) = field_day(&dir);
    let mut f = finding(&visit, "工作人员脱岗");
    f.category = Some("闲聊串岗".into());
    let f = s.add_finding(f).unwrap();
    let id = f.finding.id.to_string();
    let edited = s
        .edit_finding(&id, FindingEdit { description: Some("工作人员离岗半小时".into()), ..Default::default() })
        .unwrap();
    assert_eq!(edited.finding.description, "工作人员离岗半小时");
    let search =
        |s: &Store, q: &str| s.findings(&FindingQuery { text: Some(q.into()), ..Default::default() }).unwrap().len();
    assert_eq!(search(&s, "脱岗"), 0, "the old wording is no longer found");
    assert_eq!(search(&s, "半小时"), 1);

    s.delete_finding(&id).unwrap();
    assert_eq!(search(&s, "半小时"), 0);
    assert!(matches!(s.finding(&id), Err(StoreError::NotFound { .. })));

    let history: Vec<_> = s.changes_after(0).unwrap().into_iter().filter(|c| c.entity_id == id).collect();
    let ops: Vec<&str> = history.iter().map(|c| c.op.as_str()).collect();
    assert_eq!(ops, ["create", "update", "delete"]);
    assert_eq!(history[0].payload["description"], "工作人员脱岗", "the first wording is kept");
    let seqs: Vec<u64> = s.changes_after(0).unwrap().iter().map(|c| c.seq).collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "the log has no gaps: {seqs:?}");

    let err = s.connection().execute("UPDATE change_log SET payload = '{}'", []).unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    assert!(s.connection().execute("DELETE FROM change_log", []).is_err());
}

#[test]
fn one_bad_finding_in_a_batch_stores_none_of_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path().join("data"));
    let (mut s, visit) = field_day(&dir);
    let before = s.changes_after(0).unwrap().len();
    let mut bad = finding(&visit, "未亮牌上岗");
    bad.category = Some("摸鱼".into());
    let err = s.add_findings(vec![finding(&visit, "工作人员玩手机"), bad]).unwrap_err();
    assert!(err.to_string().contains("unknown category `摸鱼`"), "{err}");
    let mut empty = finding(&visit, "  ");
    empty.category = Some("脱岗离岗".into());
    assert_eq!(s.add_finding(empty).unwrap_err().to_string(), "description must not be empty");
    let mut wrong_day = finding(&visit, "迟到");
    wrong_day.observed_at = at(9, 0) + chrono::Duration::days(1);
    assert!(s.add_finding(wrong_day).is_err());
    assert_eq!(s.changes_after(0).unwrap().len(), before);
    assert!(s.findings(&FindingQuery::default()).unwrap().is_empty());
}

#[test]
fn the_passphrase_guards_the_store_and_can_change_without_reencrypting() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path().join("data"));
    let (mut s, visit) = field_day(&dir);
    s.add_finding(finding(&visit, "MARKER-脱岗-7F3A 工作人员脱岗")).unwrap();
    drop(s);

    assert!(matches!(Store::unlock(&dir, "wrong passphrase", clock()), Err(StoreError::WrongPassphrase)));
    for file in std::fs::read_dir(dir.root()).unwrap() {
        let bytes = std::fs::read(file.unwrap().path()).unwrap();
        for marker in ["MARKER-脱岗-7F3A", "城南区政务服务中心", "王某"] {
            assert!(!bytes.windows(marker.len()).any(|w| w == marker.as_bytes()), "{marker} found in plaintext");
        }
    }
    let db_before = std::fs::read(dir.database()).unwrap();
    Store::change_passphrase(&dir, PASS, "a brand new passphrase", opts().kdf).unwrap();
    assert_eq!(std::fs::read(dir.database()).unwrap(), db_before, "the database is not rewritten");
    assert!(matches!(Store::unlock(&dir, PASS, clock()), Err(StoreError::WrongPassphrase)));
    let s = Store::unlock(&dir, "a brand new passphrase", clock()).unwrap();
    assert_eq!(s.findings(&FindingQuery { text: Some("7F3A".into()), ..Default::default() }).unwrap().len(), 1);
    assert_eq!(s.identity().inspector_name, "李督查");
}

#[test]
fn init_never_touches_an_existing_store_and_unlock_needs_one() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path().join("data"));
    let (s, _) = field_day(&dir);
    drop(s);
    let key_before = std::fs::read(dir.key_file()).unwrap();
    assert!(matches!(Store::init(&dir, PASS, &opts(), clock()), Err(StoreError::AlreadyInitialised(_))));
    assert_eq!(std::fs::read(dir.key_file()).unwrap(), key_before);
    let nowhere = DataDir::new(tmp.path().join("missing"));
    assert_eq!(Store::unlock(&nowhere, PASS, clock()).unwrap_err().code(), "not_initialised");
    let short = Store::init(&DataDir::new(tmp.path().join("short")), "short", &opts(), clock()).unwrap_err();
    assert!(short.to_string().contains("at least 8"), "{short}");
    assert!(!tmp.path().join("short").join("mingcha.db").exists());
}

#[test]
fn covert_plan_targets_stay_hidden_before_the_day() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path().join("data"));
    let (mut s, _) = field_day(&dir);
    let plan = NewPlan::parse(
        "十一月作风暗访",
        InspectionKind::Covert,
        day(),
        day() + chrono::Duration::days(2),
        &["李督查".into()],
    )
    .unwrap();
    s.add_plan(plan, &["城南区政务服务中心".into()], &["window-service".into()]).unwrap();
    let early = s.plans(None, day() - chrono::Duration::days(1)).unwrap();
    assert!(early[0].targets_hidden && early[0].target_names.is_empty());
    let on_day = s.plans(Some(day()), day()).unwrap();
    assert_eq!(on_day[0].target_names, ["城南区政务服务中心"]);
    let err = s
        .add_plan(NewPlan::parse("x", InspectionKind::Open, day(), day(), &[]).unwrap(), &["不存在的单位".into()], &[])
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
}

#[test]
fn a_filled_checklist_keeps_its_template_version_when_a_newer_one_arrives() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path().join("data"));
    let (mut s, visit) = field_day(&dir);
    let mut v2: serde_json::Value = serde_json::from_str(mingcha_store::catalog::BUILTIN_TEMPLATES[1].1).unwrap();
    v2["version"] = 2.into();
    v2["sections"][0]["items"][0]["text"] = "改版后的第一项".into();
    let again = s.import_template("wd-v2.json", &v2.to_string());
    assert_eq!(again.unwrap().version, 2);
    assert_eq!(s.import_template("wd-v2.json", &v2.to_string()).unwrap_err().code(), "duplicate");
    let more = [AnswerInput { item: "3".into(), result: ItemResult::NotApplicable, note: None }];
    let filled = s.fill_checklist(&visit, "work-discipline", &more).unwrap();
    assert_eq!(filled.response.template_version, 1);
    assert_eq!(filled.score.answered, 3);
    assert_ne!(filled.items[0].item.text, "改版后的第一项");
}

#[test]
fn each_device_has_its_own_signing_key_kept_inside_the_encrypted_store() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path().join("a"));
    let (s, _) = field_day(&dir);
    let public = s.device_public_key().unwrap();
    let signature = s.sign(b"batch 1").unwrap();
    assert!(mingcha_store::device_key::verify(&public, b"batch 1", &signature));
    assert!(!mingcha_store::device_key::verify(&public, b"batch 2", &signature), "a signature covers its message only");
    let device = s.changes_after(0).unwrap().into_iter().find(|c| c.entity.as_str() == "device").unwrap();
    assert_eq!(device.payload["public_key"], public.as_str(), "the office learns the key with the device");
    drop(s);
    let again = Store::unlock(&dir, PASS, clock()).unwrap();
    assert_eq!(again.device_public_key().unwrap(), public, "the key survives a restart");
    let other = DataDir::new(tmp.path().join("b"));
    let (t, _) = field_day(&other);
    assert_ne!(t.device_public_key().unwrap(), public);
    assert!(!mingcha_store::device_key::verify(&t.device_public_key().unwrap(), b"batch 1", &signature));
}

#[test]
fn the_day_counts_live_drafts_and_what_waits_to_sync() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut s, visit) = field_day(&DataDir::new(tmp.path().join("d")));
    let waiting = s.sync_status().unwrap().unsynced_changes;
    let a = s.add_finding(finding(&visit, "窗口无人")).unwrap();
    s.add_finding(finding(&visit, "工作人员玩手机")).unwrap();
    assert_eq!(s.count_findings(FindingStatus::Draft).unwrap(), 2);
    assert_eq!(s.sync_status().unwrap().unsynced_changes, waiting + 2, "one logged change per finding");
    s.delete_finding(&a.finding.id.to_string()).unwrap();
    assert_eq!(s.count_findings(FindingStatus::Draft).unwrap(), 1, "a tombstone is not a draft");
    assert_eq!(s.count_findings(FindingStatus::Returned).unwrap(), 0);
    assert_eq!(s.sync_status().unwrap().unsynced_changes, waiting + 3, "the tombstone waits to sync too");
}

#[test]
fn a_store_from_before_the_custody_chain_is_linked_once_when_opened() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::new(tmp.path());
    let (s, _) = field_day(&dir);
    let head = s.check_chain().unwrap().head;
    let logged = s.changes_after(0).unwrap().len() as u64;
    // What an older build left: a change log with no chain beside it.
    s.connection().execute_batch("DROP TRIGGER custody_chain_no_delete; DELETE FROM custody_chain;").unwrap();
    assert!(s.chain_at(1).is_err(), "the links are gone");
    drop(s);

    let s = Store::unlock(&dir, PASS, clock()).unwrap();
    let check = s.check_chain().unwrap();
    assert_eq!((check.changes, check.problems.len()), (logged, 0));
    assert_eq!(check.head, head, "the same changes link to the same head");
    assert_eq!(s.chain_at(logged).unwrap(), head);
}
