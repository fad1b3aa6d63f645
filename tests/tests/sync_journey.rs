//! The end of a field day: two inspectors, each with their own encrypted laptop, captured
//! offline; back at the office they enroll and sync to a real `mingcha-server` on port 0.
//! The office holds both batches once, a second sync sends nothing, and a finding the office
//! returns reaches the laptop it came from, and only that one.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed; the panic says where

use mingcha_tests::{Laptop, Office};

#[test]
fn two_laptops_sync_once_each_and_a_returned_finding_finds_its_way_home() {
    field_day_ends_at(Office::start());
}

/// The same day against an office whose tables are in PostgreSQL.
#[test]
fn the_same_day_ends_the_same_at_an_office_on_postgresql() {
    field_day_ends_at(Office::start_on_postgres());
}

fn field_day_ends_at(office: Office) {
    let chen = Laptop::new();
    let zhou = Laptop::new();
    let chen_day = chen.field_day("陈督查", "城东区政务服务中心", 3, 2, 1);
    let zhou_day = zhou.field_day("周督查", "城西区不动产登记中心", 2, 2, 2);

    // Offline, nothing can go anywhere: a clear error, and the store keeps everything.
    let offline = chen.run(&["sync", "--server", "http://127.0.0.1:9"]);
    assert!(!offline.status.success());
    assert!(!String::from_utf8_lossy(&offline.stderr).trim().is_empty(), "the failure says why");

    for (laptop, name) in [(&chen, "陈督查"), (&zhou, "周督查")] {
        let token = office.enroll_token(name);
        let enrolled = laptop.json(&["enroll", "--server", &office.url(), "--token", &token]);
        assert_eq!(enrolled["inspector_name"], name, "{enrolled}");
        // A token is good for one laptop: another one is refused with it.
        let stranger = Laptop::new();
        stranger.json(&["init", "--inspector", name]);
        let stolen = stranger.run(&["enroll", "--server", &office.url(), "--token", &token]);
        assert!(!stolen.status.success(), "a spent token is refused to another laptop");
    }

    let chen_first = chen.sync_until_done(1);
    let zhou_first = zhou.sync_until_done(1);
    assert_eq!(chen_first["changes_stored"], chen.change_ids().len(), "{chen_first}");
    assert_eq!(chen_first["blobs_uploaded"], 6, "three findings, two photos each: {chen_first}");
    assert_eq!(zhou_first["blobs_uploaded"], 4, "{zhou_first}");
    office.assert_holds_exactly_once(&[&chen, &zhou]);

    let findings = office.json(&["finding", "list"]);
    let ids: Vec<&str> = findings.as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 5, "five findings from two laptops: {findings}");
    for f in chen_day.findings.iter().chain(&zhou_day.findings) {
        assert_eq!(ids.iter().filter(|id| *id == f).count(), 1, "finding {f} is held once");
    }

    // A second sync finds nothing new to send.
    let again = chen.sync_until_done(1);
    assert_eq!(again["changes_stored"], 0, "{again}");
    assert_eq!(again["blobs_uploaded"], 0, "{again}");
    office.assert_holds_exactly_once(&[&chen, &zhou]);

    // The office returns one of 周督查's findings; it reaches 周's laptop, not 陈's.
    let returned = &zhou_day.findings[1];
    office.json(&["finding", "return", returned, "--comment", "照片未显示窗口编号，请补充说明", "--by", "王审核"]);
    let chen_pull = chen.sync_until_done(1);
    assert_eq!(chen_pull["events_applied"], 0, "{chen_pull}");
    let zhou_pull = zhou.sync_until_done(1);
    assert_eq!(zhou_pull["events_applied"], 1, "{zhou_pull}");
    let shown = zhou.json(&["finding", "show", returned]);
    assert_eq!(shown["status"], "returned", "{shown}");
    assert!(shown.to_string().contains("照片未显示窗口编号"), "the office's comment is on the finding: {shown}");
    for f in &chen_day.findings {
        assert_ne!(chen.json(&["finding", "show", f])["status"], "returned");
    }

    // Fixing the finding and syncing sends just that edit.
    zhou.json(&["finding", "edit", returned, "--text", "3号窗口（编号见照片左上）工作人员上班时间玩手机"]);
    let resent = zhou.sync_until_done(1);
    assert_eq!(resent["changes_stored"], 1, "{resent}");
    office.assert_holds_exactly_once(&[&chen, &zhou]);
}
