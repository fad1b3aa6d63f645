//! The 单位联系人 of the unit inspected in secret: it reads what to fix and reports, and learns
//! nothing of who came, with what, or who at the office handled it.

use std::collections::BTreeSet;

use axum::http::Method;
use mingcha_office::account::Role;
use serde_json::{Value, json};

use crate::covert_office::{
    Browser, Caller, Covert, Expect, OTHER_UNIT, UNIT, UNIT_READS, VERIFY_COMMENT, WORDING, covert_office, jpeg, walk,
};
use crate::support::App;

on_both_backends!(
    a_unit_contact_walks_every_route_and_learns_no_identity,
    a_unit_contact_reads_its_problem_as_what_to_fix_signed_by_roles,
    a_unit_contact_reads_only_its_own_uploads_and_its_units_reports,
);

/// What a unit contact may do: read its unit's ledger, report, upload, and its own session.
/// Everything else is the office's (checklists, taxonomy, units, inspectors, batches, findings,
/// notices, settings, the dashboard, evidence).
pub fn unit_contact_may(method: &Method, route: &str) -> Expect {
    match (method.as_str(), route) {
        ("GET", "/" | "/assets/{*path}") => Expect::Page,
        // It holds no link: any token it makes up is no link.
        (_, r) if r.starts_with("/api/feedback/") => Expect::Refused(404, "not_found"),
        (
            "POST",
            "/api/console/login"
            | "/api/console/logout"
            | "/api/console/password"
            | "/api/console/uploads"
            | "/api/console/problems/{id}/feedback",
        ) => Expect::Allowed,
        ("GET", r) if UNIT_READS.contains(&r) => Expect::Allowed,
        _ => Expect::Refused(403, "forbidden"),
    }
}

async fn a_unit_contact_walks_every_route_and_learns_no_identity(app: App) {
    let office = covert_office(&app).await;
    let caller = Caller { browser: office.unit_contact.clone(), token: "0".repeat(64), name: "the unit contact" };
    walk(&office, &caller, unit_contact_may).await;
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

async fn a_unit_contact_reads_its_problem_as_what_to_fix_signed_by_roles(app: App) {
    let Covert { problem, other_problem, unit_contact, reviewer, .. } = covert_office(&app).await;
    let seen = unit_contact.read(&format!("/api/console/problems/{problem}")).await;

    // Its own shape: what to fix, its reports and the office's answers; no finding, no evidence,
    // no persons, no comment to the inspector, nobody's name.
    let expected: BTreeSet<&str> = [
        "id",
        "seq",
        "unit",
        "spot",
        "found_at",
        "method",
        "category_label",
        "description",
        "responsible",
        "deadline",
        "measures",
        "stage",
        "stage_label",
        "light",
        "closed",
        "reports",
        "replies",
        "history",
    ]
    .into();
    assert_eq!(keys(&seen), expected, "{seen}");
    assert_eq!((seen["unit"].as_str(), seen["spot"].as_str()), (Some(UNIT), Some("3号窗口")));
    assert_eq!(seen["description"], WORDING, "the wording the office accepted");
    assert_eq!(seen["measures"], "落实AB岗，离岗登记");
    assert_eq!(seen["seq"], 1, "numbered in the unit's own ledger");
    assert_eq!(keys(&seen["reports"][0]), ["at", "files", "text"].into());
    assert_eq!(seen["replies"], json!([{"at": seen["replies"][0]["at"], "pass": false, "comment": VERIFY_COMMENT}]));
    let steps: Vec<(&str, &str)> = seen["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["action"].as_str().unwrap(), h["by"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [("采纳入账", "督查室"), ("交办", "督查室"), ("整改反馈", "责任单位"), ("复核未通过，退回整改", "督查室")]
    );

    // Another unit's problem is no problem of its own.
    let other = unit_contact.get(&format!("/api/console/problems/{other_problem}")).await;
    assert_eq!(other.error(404).code, "not_found");
    // Of the taxonomy it is told the labels of its own problems only.
    let categories = unit_contact.read("/api/console/categories").await;
    assert_eq!(
        categories,
        json!([{"code": "san.absent", "label": "散 / 脱岗离岗", "group": "散", "group_code": "san"}])
    );
    assert!(reviewer.read("/api/console/categories").await.as_array().unwrap().len() > 10);

    // The office's page of the same problem is as it was: the whole finding.
    let office = reviewer.read(&format!("/api/console/problems/{problem}")).await;
    assert_eq!(office["finding"]["inspector"], crate::covert_office::INSPECTOR);
    assert_eq!(office["finding"]["comment"], crate::covert_office::RETURN_COMMENT);
}

async fn a_unit_contact_reads_only_its_own_uploads_and_its_units_reports(app: App) {
    let office = covert_office(&app).await;
    let Covert { unit_contact, reviewer, problem, evidence_sha256, other_report_file, .. } = &office;
    let blob = |sha: &str| format!("/api/console/blobs/{sha}");

    // Never the inspectors' evidence; never another unit's report.
    assert_eq!(unit_contact.get(&blob(evidence_sha256)).await.error(403).code, "forbidden");
    assert_eq!(unit_contact.get(&blob(other_report_file)).await.error(403).code, "forbidden");
    // Nor can it make another's upload its own by attaching it to a report.
    let borrowed = json!({"text": "已整改", "files": [other_report_file]});
    let r = unit_contact.post(&format!("/api/console/problems/{problem}/feedback"), borrowed).await;
    assert_eq!(r.error(400).code, "bad_upload");

    // Its own upload it reads back; another unit's contact does not.
    let mine: Value = unit_contact.upload("/api/console/uploads", "整改台账.jpg", &jpeg(31)).await.json();
    let mine = mine["sha256"].as_str().unwrap();
    assert_eq!(unit_contact.get(&blob(mine)).await.status, 200);
    let elsewhere = Browser::sign_in(&app, ("cb-contact", "城北中心联系人"), Role::Unit, Some(OTHER_UNIT)).await;
    assert_eq!(elsewhere.get(&blob(mine)).await.error(403).code, "forbidden");

    // A file the office attached to a report on the unit's problem is the unit's to read.
    let office_file: Value = reviewer.upload("/api/console/uploads", "复核记录.jpg", &jpeg(41)).await.json();
    let office_file = office_file["sha256"].as_str().unwrap();
    assert_eq!(unit_contact.get(&blob(office_file)).await.error(403).code, "forbidden", "not attached yet");
    reviewer
        .ok(&format!("/api/console/problems/{problem}/feedback"), json!({"text": "代为反馈", "files": [office_file]}))
        .await;
    let r = unit_contact.get(&blob(office_file)).await;
    assert_eq!((r.status, r.header("content-type")), (200, Some("image/jpeg")));
    assert_eq!(elsewhere.get(&blob(office_file)).await.error(403).code, "forbidden");
    // Office staff read everything the office holds.
    assert_eq!(reviewer.get(&blob(evidence_sha256)).await.status, 200);
}
