//! The inspector's day through the real desktop window (tauri-driver + WebKitWebDriver under
//! Xvfb): first start → plan → visit → checklist with a 不符合 → finding with two photos →
//! search finds it → enroll and sync to a real office → the office holds it.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use mingcha_evidence::sample::camera_card;
use mingcha_tests::Office;
use mingcha_tests::desktop::Desktop;

const SHORT: Duration = Duration::from_secs(20);

fn click(d: &Desktop, css: &str) {
    let e = d.session.wait(css, None, SHORT).unwrap();
    if let Err(e) = d.session.click(&e) {
        panic!("clicking {css}: {e} (see {})", d.screenshot("failed-click").display());
    }
}

fn type_into(d: &Desktop, css: &str, text: &str) {
    let e = d.session.wait(css, None, SHORT).unwrap();
    d.session.type_into(&e, text).unwrap();
}

/// Choose an option of the Element Plus select that is open now.
fn choose(d: &Desktop, select: &str, option: &str) {
    click(d, select);
    let xpath = format!("//li[contains(@class,'el-select-dropdown__item')][normalize-space()='{option}']");
    let e = d.session.wait_xpath(&xpath, SHORT).unwrap();
    d.session.click(&e).unwrap();
}

#[test]
fn an_inspectors_day_in_the_desktop_window_reaches_the_office() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("laptop");
    let office = Office::start();
    let token = office.enroll_token("王督查");

    // Two photos "from the camera card", taken today.
    let card = tmp.path().join("DCIM");
    let now = chrono::Local::now();
    camera_card(&card, 2, now.naive_local(), &now.format("%:z").to_string(), "e2e").unwrap();

    // Screenshots of the main screens, for a person to look at (the README shows some).
    let shots = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    let d = Desktop::start(&data, &shots);
    let s = &d.session;

    // First start: the walk-through, without the demo day.
    type_into(&d, "[data-test=inspector]", "王督查");
    type_into(&d, "[data-test=device]", "笔记本一号");
    type_into(&d, "[data-test=passphrase]", "correct horse battery");
    type_into(&d, "[data-test=repeat]", "correct horse battery");
    d.screenshot("01-first-start");
    click(&d, "[data-test=demo]");
    click(&d, "[data-test=create]");

    // A plan for today with a new unit and the work-discipline checklist.
    click(&d, "[data-test=new-plan]");
    type_into(&d, "[data-test=plan-title]", "作风效能暗访");
    type_into(&d, "[data-test=unit-name]", "城南区政务服务中心");
    type_into(&d, "[data-test=unit-spots]", "3号窗口，综合受理区");
    click(&d, "[data-test=add-unit]");
    choose(&d, "[data-test=plan-checklists]", "工作纪律（在岗在位）");
    click(&d, "[data-test=plan-title]"); // closes the dropdown
    s.wait_gone(".el-select-dropdown", SHORT).unwrap();
    click(&d, "[data-test=save-plan]");
    s.wait_gone(".el-overlay", SHORT).unwrap();
    s.wait("[data-test=plan]", Some("作风效能暗访"), SHORT).unwrap();
    s.wait("[data-test=plan]", Some("城南区政务服务中心"), SHORT).unwrap();

    // The visit starts from the plan's target.
    let target = s
        .wait_xpath("//*[@data-test='plan']//button[contains(normalize-space(),'城南区政务服务中心')]", SHORT)
        .unwrap();
    s.click(&target).unwrap();
    click(&d, "[data-test=begin-visit]");
    s.wait_gone(".el-overlay", SHORT).unwrap();
    s.wait("[data-test=visit-unit]", Some("城南区政务服务中心"), SHORT).unwrap();

    // The checklist by keyboard: four 符合, then 不符合 on wd-05 with a note.
    click(&d, "[data-test=open-checklist-work-discipline]");
    s.wait("[data-test=item-wd-01]", None, SHORT).unwrap();
    s.keys(&["1", "1", "1", "1", "2"]).unwrap();
    s.wait("[data-test=result-wd-05]", Some("不符合"), SHORT).unwrap();
    s.wait("[data-test=answered]", Some("5/"), SHORT).unwrap();
    s.keys(&["\u{E013}", "\u{E007}"]).unwrap(); // ArrowUp back to wd-05, Enter opens its note
    type_into(&d, "[data-test=note]", "9点20分窗口无人\u{E007}");
    s.wait("[data-test=item-wd-05]", Some("9点20分窗口无人"), SHORT).unwrap();
    d.screenshot("03-checklist");

    // A finding prefilled from the 不符合 item, then two photos from the card.
    click(&d, "[data-test=finding-from-wd-05]");
    type_into(&d, "[data-test=description]", "，3号窗口工作人员上班时间脱岗二十分钟");
    click(&d, "[data-test=create-finding]");
    s.wait("[data-test=status]", Some("草稿"), SHORT).unwrap();
    type_into(&d, "[data-test=import-path]", card.to_str().unwrap());
    click(&d, "[data-test=import-go]");
    s.wait_count("[data-test=photo]", 2, Duration::from_secs(60)).unwrap();
    // Autosave: a later edit reaches the store without any button.
    type_into(&d, "[data-test=description]", "，群众排队等候");
    s.wait("[data-test=save-state]", Some("已自动保存"), SHORT).unwrap();
    d.screenshot("04-finding");

    // Search finds it by a two-character word.
    click(&d, "[data-nav=search]");
    type_into(&d, "[data-test=search-text]", "脱岗");
    click(&d, "[data-test=search-go]");
    s.wait("[data-test=result]", Some("群众排队等候"), SHORT).unwrap();
    d.screenshot("05-search");

    // Enroll with the office and sync.
    click(&d, "[data-nav=sync]");
    type_into(&d, "[data-test=server]", &office.url());
    type_into(&d, "[data-test=token]", &token);
    click(&d, "[data-test=enroll]");
    s.wait("[data-test=enrolled]", Some(&office.url()), SHORT).unwrap();
    click(&d, "[data-test=sync-now]");
    s.wait("[data-test=sync-done]", None, Duration::from_secs(90)).unwrap();
    s.wait("[data-test=pending]", Some(" 0 "), SHORT).unwrap();
    d.screenshot("06-sync");
    click(&d, "[data-nav=today]");
    s.wait("[data-test=visit]", Some("城南区政务服务中心"), SHORT).unwrap();
    d.screenshot("02-today");

    // The office holds the finding, as last typed, and both photos.
    let listed = office.json(&["finding", "list"]).to_string();
    assert!(
        listed.contains("9点20分窗口无人，3号窗口工作人员上班时间脱岗二十分钟，群众排队等候"),
        "office list: {listed}"
    );
    assert_eq!(office.blob_files().len(), 2, "both photos at the office");
}
