//! Whoever holds a unit's one-time link (the unit, or anyone it was forwarded to): it reads
//! what to fix, uploads a few files and reports once, for the assignment the link was made
//! for, and learns nothing else.

use std::collections::BTreeSet;

use axum::http::Method;
use chrono::{Duration, Local};
use serde_json::{Value, json};

use crate::covert_office::{Browser, Caller, Covert, Expect, UNIT, covert_office, jpeg, walk};
use crate::support::App;

on_both_backends!(
    a_link_holder_walks_every_route_and_learns_no_identity,
    reassigning_or_closing_a_problem_revokes_its_link,
    uploads_through_a_link_stop_at_its_quota_and_end_with_it,
);

/// The link's three routes are the holder's; every console route wants a session.
fn link_holder_may(method: &Method, route: &str) -> Expect {
    match (method.as_str(), route) {
        ("GET", "/" | "/assets/{*path}") => Expect::Page,
        (_, r) if r.starts_with("/api/feedback/") => Expect::Allowed,
        (_, "/api/console/login") => Expect::AnyRefusal,
        _ => Expect::Refused(401, "not_signed_in"),
    }
}

async fn a_link_holder_walks_every_route_and_learns_no_identity(app: App) {
    let office = covert_office(&app).await;
    let caller = Caller { browser: Browser::anonymous(&app), token: office.token.clone(), name: "the link holder" };
    walk(&office, &caller, link_holder_may).await;

    // What it read is what to fix, and no more.
    let summary = |token: &str| format!("/api/feedback/{token}");
    let r = Browser::anonymous(&app).get(&summary(&office.token)).await;
    assert_eq!(r.error(409).code, "wrong_stage", "the walk reported, and a link reports once");
    let fresh = office.reviewer.ok(&format!("/api/console/problems/{}/link", office.problem), json!({})).await;
    let fresh = fresh["token"].as_str().unwrap();
    let seen = Browser::anonymous(&app).read(&summary(fresh)).await;
    let keys: BTreeSet<&str> = seen.as_object().unwrap().keys().map(String::as_str).collect();
    let expected: BTreeSet<&str> = [
        "category_label",
        "closed",
        "deadline",
        "description",
        "found_at",
        "light",
        "measures",
        "method",
        "responsible",
        "spot",
        "stage",
        "stage_label",
        "unit",
    ]
    .into();
    assert_eq!(keys, expected, "{seen}");
}

fn deadline(days: i64) -> String {
    (Local::now().date_naive() + Duration::days(days)).to_string()
}

async fn reassigning_or_closing_a_problem_revokes_its_link(app: App) {
    let Covert { reviewer, problem, token, .. } = covert_office(&app).await;
    let holder = Browser::anonymous(&app);
    let step = |s: &str| format!("/api/console/problems/{problem}/{s}");
    assert_eq!(holder.get(&format!("/api/feedback/{token}")).await.status, 200);

    // 交办 again (a new deadline): the old link answers as no link at all, on every route.
    reviewer.ok(&step("assign"), json!({"unit": UNIT, "deadline": deadline(20)})).await;
    assert_eq!(holder.get(&format!("/api/feedback/{token}")).await.error(404).code, "not_found");
    let upload = holder.upload(&format!("/api/feedback/{token}/uploads"), "整改.jpg", &jpeg(1)).await;
    assert_eq!(upload.error(404).code, "not_found");
    let report = holder.post(&format!("/api/feedback/{token}"), json!({"text": "已整改"})).await;
    assert_eq!(report.error(404).code, "not_found");

    // A link for the new assignment works, until the problem is closed.
    let second = reviewer.ok(&step("link"), json!({})).await["token"].as_str().unwrap().to_owned();
    assert_eq!(holder.get(&format!("/api/feedback/{second}")).await.status, 200);
    reviewer.ok(&step("feedback"), json!({"text": "效能办代为反馈：已整改"})).await;
    reviewer.ok(&step("verify"), json!({"pass": true, "comment": "回头看已整改"})).await;
    reviewer.ok(&step("close"), json!({})).await;
    assert_eq!(holder.get(&format!("/api/feedback/{second}")).await.error(404).code, "not_found");
    assert_eq!(reviewer.post(&step("link"), json!({})).await.error(409).code, "wrong_stage", "nothing to report");
}

async fn uploads_through_a_link_stop_at_its_quota_and_end_with_it(app: App) {
    let Covert { reviewer, unit_contact, problem, token, .. } = covert_office(&app).await;
    let holder = Browser::anonymous(&app);
    let uploads = format!("/api/feedback/{token}/uploads");
    let mut first = String::new();
    for i in 0..20u8 {
        let r = holder.upload(&uploads, &format!("整改照片{i}.jpg"), &jpeg(i)).await;
        assert_eq!(r.status, 200, "upload {i}: {}", r.text());
        if i == 0 {
            first = r.json::<Value>()["sha256"].as_str().unwrap().to_owned();
        }
    }
    let over = holder.upload(&uploads, "第21张.jpg", &jpeg(200)).await;
    let e = over.error(413);
    assert_eq!(e.code, "link_quota_exceeded", "{}", e.message);
    assert_eq!(e.detail.unwrap()["max_files"], 20);

    // What came through the link is the link's: nobody else attaches it.
    let borrowed = json!({"text": "已整改", "files": [first]});
    let r = unit_contact.post(&format!("/api/console/problems/{problem}/feedback"), borrowed.clone()).await;
    assert_eq!(r.error(400).code, "bad_upload");

    // The link reports with it, and is spent: no more uploads through it.
    let r = holder.post(&format!("/api/feedback/{token}"), borrowed.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let office = reviewer.read(&format!("/api/console/problems/{problem}")).await;
    assert_eq!(office["feedback"].as_array().unwrap().last().unwrap()["files"][0]["sha256"], first.as_str());
    assert_eq!(holder.upload(&uploads, "晚到.jpg", &jpeg(201)).await.error(409).code, "wrong_stage");

    // A later link starts a quota of its own, and cannot attach what the first one uploaded.
    reviewer
        .ok(&format!("/api/console/problems/{problem}/verify"), json!({"pass": false, "comment": "仍未整改到位"}))
        .await;
    let second = reviewer.ok(&format!("/api/console/problems/{problem}/link"), json!({})).await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = holder.post(&format!("/api/feedback/{second}"), borrowed).await;
    assert_eq!(r.error(400).code, "bad_upload");
    let again = holder.upload(&format!("/api/feedback/{second}/uploads"), "再次整改.jpg", &jpeg(202)).await;
    assert_eq!(again.status, 200, "{}", again.text());
}
