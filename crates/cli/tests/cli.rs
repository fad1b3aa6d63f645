//! The `mingcha` binary as a script or a person uses it: bad input gets one line and a non-zero
//! exit, and leaves what is stored exactly as it was.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed; the panic says where

use std::path::Path;
use std::process::{Command, Output};

const PASS: &str = "cli test passphrase";

fn mingcha(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mingcha"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env("MINGCHA_PASSPHRASE", PASS)
        .env("TZ", "Asia/Shanghai")
        .output()
        .expect("run mingcha")
}

fn ok_json(data: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = mingcha(data, &all);
    assert!(out.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

/// A store with a unit and a visit; returns the visit id.
fn setup(data: &Path) -> String {
    ok_json(data, &["init", "--inspector", "王督查", "--device", "ci"]);
    ok_json(data, &["unit", "add", "河西街道便民服务中心", "--spot", "综合窗口"]);
    let v = ok_json(
        data,
        &["visit", "new", "--unit", "河西街道", "--kind", "open", "--date", "2026-11-12", "--at", "09:00"],
    );
    v["id"].as_str().unwrap().to_owned()
}

fn change_count(data: &Path) -> usize {
    ok_json(data, &["log"]).as_array().unwrap().len()
}

#[test]
fn bad_input_is_one_clear_line_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("store");
    let visit = setup(&data);
    let before = change_count(&data);
    let db_before = std::fs::read(data.join("key.json")).unwrap();

    let cases: &[(&[&str], &str)] = &[
        (
            &["visit", "new", "--unit", "不存在的单位", "--kind", "明查", "--date", "2026-11-12"],
            "no unit `不存在的单位`",
        ),
        (
            &["finding", "add", "--visit", &visit, "--category", "摸鱼", "--text", "x", "--at", "10:00"],
            "unknown category `摸鱼`",
        ),
        (
            &["finding", "add", "--visit", &visit, "--category", "脱岗离岗", "--text", "   ", "--at", "10:00"],
            "description must not be empty",
        ),
        (
            &["visit", "new", "--unit", "河西街道", "--kind", "明查", "--date", "2026-02-30"],
            "`2026-02-30` is not a valid date",
        ),
        (&["visit", "new", "--unit", "河西街道", "--kind", "偷看", "--date", "2026-11-12"], "明查|暗访"),
        (&["finding", "add", "--visit", &visit, "--category", "散", "--text", "迟到", "--at", "10:00"], "is a group"),
        (
            &["checklist", "fill", "--visit", &visit, "--template", "window-service", "1=符合", "99=不符合"],
            "`99` is not an item",
        ),
        (
            &["finding", "add", "--visit", &visit, "--category", "空岗", "--text", "空岗", "--at", "25:00"],
            "is not a time",
        ),
    ];
    for (args, expected) in cases {
        let out = mingcha(&data, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(stderr.contains(expected), "{args:?}: expected `{expected}` in {stderr:?}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: one line, got {stderr:?}");
    }
    assert_eq!(change_count(&data), before, "nothing was stored");
    assert_eq!(std::fs::read(data.join("key.json")).unwrap(), db_before);
}

#[test]
fn a_missing_data_dir_or_wrong_passphrase_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let out = mingcha(&tmp.path().join("nowhere"), &["finding", "list"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no Mingcha data in"));
    assert!(!tmp.path().join("nowhere").exists(), "a read command makes no directory");

    let data = tmp.path().join("store");
    setup(&data);
    let out = Command::new(env!("CARGO_BIN_EXE_mingcha"))
        .args(["--json", "--data"])
        .arg(&data)
        .args(["status"])
        .env("MINGCHA_PASSPHRASE", "not the passphrase")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err: serde_json::Value = serde_json::from_slice(&out.stderr).expect("JSON error");
    assert_eq!(err["error"]["code"], "wrong_passphrase");

    let out = Command::new(env!("CARGO_BIN_EXE_mingcha"))
        .arg("--data")
        .arg(&data)
        .arg("status")
        .env_remove("MINGCHA_PASSPHRASE")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("set MINGCHA_PASSPHRASE"));
}

#[test]
fn a_malformed_template_file_is_named_down_to_the_field() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("store");
    setup(&data);
    let file = tmp.path().join("会风会纪.json");
    let body = r#"{"format":"mingcha.checklist-template","format_version":1,"code":"meetings","version":1,
        "name":"会风会纪","description":"会议纪律","sections":[{"title":"会场","items":[
        {"code":"mt-01","text":"按时参会","guidance":"查看签到","evidence_hint":"拍摄签到表"},
        {"code":"mt-02","text":"会上不玩手机","evidence_hint":"拍照"}]}]}"#;
    std::fs::write(&file, body).unwrap();
    let out = mingcha(&data, &["templates", "import", file.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    for part in ["会风会纪.json", "item `mt-02`", "guidance"] {
        assert!(stderr.contains(part), "expected {part} in {stderr}");
    }
    std::fs::write(&file, body.replace(r#""text":"会上不玩手机","#, r#""text":"会上不玩手机","guidance":"观察","#))
        .unwrap();
    let t = ok_json(&data, &["templates", "import", file.to_str().unwrap()]);
    assert_eq!(t["code"], "meetings");
    let list = ok_json(&data, &["templates", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 5);
}

#[test]
fn answers_and_findings_round_trip_through_json() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("store");
    let visit = setup(&data);
    let r = ok_json(
        &data,
        &["checklist", "fill", "--visit", &visit, "--template", "窗口服务规范", "1=符合", "ws-03=不符合:窗口无人值守"],
    );
    assert_eq!(r["score"]["non_conforming"], 1);
    let f = ok_json(
        &data,
        &[
            "finding",
            "add",
            "--visit",
            &visit,
            "--item",
            "window-service:ws-03",
            "--text",
            "综合窗口无人值守二十分钟",
            "--at",
            "09:40",
            "--persons",
            "工作人员赵某",
        ],
    );
    assert_eq!(f["observed_at"], "2026-11-12T09:40:00+08:00");
    assert_eq!(f["checklist_item"]["item_code"], "ws-03");
    let id = f["id"].as_str().unwrap();
    let shown = ok_json(&data, &["finding", "show", &id[..13]]);
    assert_eq!(shown["persons_involved"], "工作人员赵某");
    let found = ok_json(&data, &["search", "值守"]);
    assert_eq!(found.as_array().unwrap().len(), 1);
}
