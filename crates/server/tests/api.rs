#![allow(clippy::unwrap_used)]
//! The office's API as a device meets it: a real server on port 0 with a fresh data folder,
//! on SQLite and on PostgreSQL. Every test runs on both backends (`sqlite::x`, `postgres::x`);
//! the PostgreSQL ones need `MINGCHA_TEST_PG`, which `cargo xtask test` sets.

#[macro_use]
mod support;

use chrono::Utc;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use mingcha_core::change::{ChangeOp, ChangeRecord, EntityKind};
use mingcha_core::hex;
use mingcha_core::sync::{
    ApiError, BatchStage, BatchState, ItemOutcome, Pull, SignedManifest, SignedReceipt, UploadState,
};
use mingcha_server::admin::{self, Decision};
use serde_json::json;
use support::{App, Device, cut_request, http, https, sha256};

on_both_backends!(
    enrollment_spends_a_good_token_once_and_refuses_bad_spent_and_expired_ones,
    a_full_exchange_ends_with_a_receipt_signed_by_the_office,
    resending_a_committed_batch_gives_the_same_receipt_and_other_content_conflicts,
    a_large_blob_cut_midway_resumes_where_the_office_stopped,
    bytes_that_do_not_match_their_digest_are_discarded,
    malformed_and_oversized_bodies_get_json_errors,
    replayed_stale_forged_and_unknown_requests_are_refused,
    a_revoked_device_is_refused_at_its_next_request,
    a_blob_name_that_is_not_a_digest_never_reaches_the_disk,
    a_manifest_signed_by_another_key_or_for_another_device_is_refused,
    commit_waits_for_every_blob,
    a_second_change_at_the_same_seq_is_a_fork,
    a_record_changed_several_times_is_held_at_its_latest_state,
    two_commits_of_one_batch_at_once_store_everything_once,
    pull_brings_office_decisions_to_the_inspector_after_the_cursor,
    every_route_is_served_and_described,
    the_binary_serves_and_its_admin_commands_share_the_data,
    refused_enrollments_lock_the_address_even_for_a_good_token,
    a_second_laptop_cannot_overwrite_tombstone_or_annex_the_first_laptops_records,
    an_accepted_problem_stays_in_the_ledger_whatever_another_laptop_sends,
    change_times_a_laptop_could_not_have_written_are_refused,
    a_batch_with_an_unreadable_record_is_refused_naming_it,
    device_calls_without_a_signature_are_unauthenticated,
    plans_the_office_assigned_come_back_from_every_laptop_without_locking_any_out,
    a_stored_record_the_office_cannot_read_is_an_error_not_a_gap,
);

/// A unit id per batch position: a UUID, as devices make them.
fn unit_id(s: u64) -> String {
    format!("00000000-0000-7000-8000-{s:012}")
}

/// A unit as a device logs it.
fn unit(id: &str, name: &str) -> serde_json::Value {
    json!({"id": id, "name": name, "region": null, "created_at": Utc::now()})
}

/// A photo of `finding` as a device logs it: the evidence record and what the import read.
fn evidence(id: &str, finding: &str, photo: &[u8]) -> serde_json::Value {
    json!({
        "evidence": {"id": id, "target": {"kind": "finding", "finding_id": finding}, "sha256": sha256(photo),
                     "size": photo.len(), "media_type": "image/jpeg", "original_name": "DSC_0001.JPG",
                     "imported_at": Utc::now()},
        "meta": {"taken_at": "2026-11-10T09:21:04"}, "damaged": null, "sha256": sha256(photo), "size": photo.len(),
    })
}

/// A finding as a device logs it (the office's review reads it whole).
fn finding(id: &str, unit: &str) -> serde_json::Value {
    json!({
        "id": id, "visit_id": uuid::Uuid::now_v7(), "unit_id": unit, "spot_id": null,
        "observed_at": "2026-11-10T09:20:00+08:00", "method": "covert", "category": "san.absent",
        "severity": "serious", "description": "3号窗口工作人员上班时间脱岗二十分钟", "persons_involved": null,
        "checklist_item": null, "status": "submitted", "created_at": Utc::now(), "updated_at": Utc::now(),
    })
}

fn finding_batch(device: &Device, after: u64, photo: &[u8]) -> SignedManifest {
    let s = after;
    let (id, unit_id) = (uuid::Uuid::now_v7().to_string(), uuid::Uuid::now_v7().to_string());
    let evidence_id = uuid::Uuid::now_v7().to_string();
    device.batch(
        after,
        vec![
            device.change(s + 1, EntityKind::Unit, &unit_id, unit(&unit_id, "城南区政务服务中心")),
            device.change(s + 2, EntityKind::Finding, &id, finding(&id, &unit_id)),
            device.change(s + 3, EntityKind::Evidence, &evidence_id, evidence(&evidence_id, &id, photo)),
        ],
    )
}

fn verify_receipt(server_key: &str, receipt: &SignedReceipt) {
    let key = VerifyingKey::from_bytes(&hex::decode_array(server_key).unwrap()).unwrap();
    let sig = Signature::from_bytes(&hex::decode_array(&receipt.signature).unwrap());
    key.verify(&receipt.receipt.signing_message(), &sig).expect("the receipt verifies with the office's key");
}

async fn enrollment_spends_a_good_token_once_and_refuses_bad_spent_and_expired_ones(app: App) {
    let device = Device::new("李明");
    let token = app.token("李明").await;
    let expired =
        admin::enroll_token(app.repo(), "李明", chrono::Duration::seconds(-1), None, Utc::now()).await.unwrap().token;
    let before = app.counts().await;

    assert_eq!(app.enroll(&device, "not-a-token").await.error(401).code, "bad_token");
    assert_eq!(app.enroll(&device, &expired).await.error(401).code, "bad_token", "an expired token");
    let mut wrong = Device::new("周强");
    wrong.id = device.id;
    assert_eq!(app.enroll(&wrong, &token).await.error(403).code, "inspector_mismatch");
    app.assert_nothing_stored_since(before).await;

    let ok = app.enroll(&device, &token).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    let answer: mingcha_core::sync::EnrollResponse = ok.json();
    assert_eq!(
        (answer.device_id, answer.acked_seq, answer.server_key.as_str()),
        (device.id, 0, app.server.server_key.as_str())
    );

    let before = app.counts().await;
    // The answer was lost on the way: the same device, token and key get the same registration.
    let repeated: mingcha_core::sync::EnrollResponse = app.enroll(&device, &token).await.json();
    assert_eq!(repeated, answer, "a repeated enrollment is answered again");
    app.assert_nothing_stored_since(before).await;
    assert_eq!(app.enroll(&device.with_other_key(), &token).await.error(401).code, "bad_token", "same id, other key");
    assert_eq!(app.enroll(&Device::new("李明"), &token).await.error(401).code, "bad_token", "a spent token");
    let fresh = app.token("李明").await;
    let before_fresh = app.counts().await;
    assert_eq!(app.enroll(&device, &fresh).await.error(409).code, "already_enrolled");
    app.assert_nothing_stored_since(before_fresh).await;
    assert_eq!(before.devices, 1);
    // The refused enrollment left the fresh token unspent.
    assert_eq!(app.enroll(&Device::new("李明"), &fresh).await.status, 200);
}

async fn a_full_exchange_ends_with_a_receipt_signed_by_the_office(app: App) {
    let (device, enrolled) = app.enrolled("李明").await;
    let photo = b"\xff\xd8 a small photo \xff\xd9".repeat(100);
    let batch = finding_batch(&device, 0, &photo);

    let state: BatchState = device.offer(&app, &batch).await.json();
    assert_eq!(state.stage, BatchStage::Open);
    assert_eq!(state.missing, batch.manifest.blobs, "the office asks for the photo");

    let up: UploadState = device.put(&app, &sha256(&photo), 0, &photo).await.json();
    assert!(up.stored && up.received == photo.len() as u64);
    let stored = app.server.office.blobs.path_of(&batch.manifest.blobs[0].sha256);
    assert_eq!(std::fs::read(&stored).unwrap(), photo, "the blob is at blobs/sha256/ab/cd/<hex>");

    let res = device.commit(&app, &batch).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let receipt: SignedReceipt = res.json();
    verify_receipt(&enrolled.server_key, &receipt);
    let r = &receipt.receipt;
    assert_eq!((r.batch_id, r.device_id, r.acked_seq), (batch.manifest.batch_id, device.id, 3));
    assert_eq!(r.manifest_sha256, sha256(&batch.manifest.canonical_bytes()));
    assert!(r.items.iter().all(|i| i.outcome == ItemOutcome::Stored));
    assert_eq!(r.items.iter().map(|i| i.seq).collect::<Vec<_>>(), [1, 2, 3]);

    let findings = admin::list_findings(app.repo()).await.unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].unit, "城南区政务服务中心", "the unit's name, from the unit record");
    assert_eq!((findings[0].inspector.as_str(), findings[0].status.as_str()), ("李明", "submitted"));
    assert_eq!(app.repo().device(device.id).await.unwrap().unwrap().acked_seq, 3);

    // The next batch continues, and an update replaces the record's state.
    let mut edited = batch.manifest.changes[1].payload.clone();
    edited["description"] = json!("改过的描述");
    let mut edit = device.change(4, EntityKind::Finding, &findings[0].id, edited);
    edit.op = mingcha_core::change::ChangeOp::Update;
    let next = device.batch(3, vec![edit]);
    assert_eq!(device.offer(&app, &next).await.json::<BatchState>().missing, []);
    assert_eq!(device.commit(&app, &next).await.json::<SignedReceipt>().receipt.acked_seq, 4);
    assert_eq!(admin::list_findings(app.repo()).await.unwrap()[0].description, "改过的描述");
}

async fn resending_a_committed_batch_gives_the_same_receipt_and_other_content_conflicts(app: App) {
    let (device, _) = app.enrolled("李明").await;
    let u1 = unit_id(1);
    let batch = device.batch(0, vec![device.change(1, EntityKind::Unit, &u1, unit(&u1, "某某区"))]);
    device.offer(&app, &batch).await;
    let first: SignedReceipt = device.commit(&app, &batch).await.json();

    let again: BatchState = device.offer(&app, &batch).await.json();
    assert_eq!(again.stage, BatchStage::Committed);
    assert_eq!(again.receipt.as_ref(), Some(&first), "the manifest again gives the receipt again");
    assert_eq!(device.commit(&app, &batch).await.json::<SignedReceipt>(), first, "and so does the commit");

    let before = app.counts().await;
    let mut other = batch.manifest.clone();
    other.changes[0].payload = unit(&u1, "另一个单位");
    other.chain_head = mingcha_core::custody::fold(other.chain_before, &other.changes);
    assert_eq!(device.offer(&app, &device.sign(other)).await.error(409).code, "batch_conflict");
    app.assert_nothing_stored_since(before).await;

    // The device lost the receipt and rebuilt the batch under a new id: with nothing new in
    // it, it is a replay, and the answer says where the office stands.
    let replay = device.batch(0, batch.manifest.changes.clone());
    let e = device.offer(&app, &replay).await.error(409);
    let detail = e.detail.unwrap();
    assert_eq!((e.code.as_str(), &detail["acked_seq"]), ("chain_replay", &json!(1)));
    assert_eq!(detail["chain_head"], json!(first.receipt.chain_head), "the head the office accepted");
    app.assert_nothing_stored_since(before).await;

    // Rebuilt with a new change after the old one, it overlaps: the old one is not stored twice.
    let mut changes = batch.manifest.changes.clone();
    changes.push(device.change(2, EntityKind::Unit, &unit_id(2), unit(&unit_id(2), "某某街道")));
    let overlap = device.batch(0, changes);
    device.offer(&app, &overlap).await;
    let receipt: SignedReceipt = device.commit(&app, &overlap).await.json();
    let outcomes: Vec<_> = receipt.receipt.items.iter().map(|i| i.outcome).collect();
    assert_eq!(outcomes, [ItemOutcome::AlreadyThere, ItemOutcome::Stored]);
    assert_eq!((app.counts().await.changes, receipt.receipt.acked_seq), (2, 2));

    let ahead = device.batch(5, vec![device.change(6, EntityKind::Unit, &unit_id(6), unit(&unit_id(6), "某某乡"))]);
    let e = device.offer(&app, &ahead).await.error(409);
    assert_eq!((e.code.as_str(), &e.detail.unwrap()["acked_seq"]), ("sequence_gap", &json!(2)));
}

async fn a_large_blob_cut_midway_resumes_where_the_office_stopped(app: App) {
    let (device, _) = app.enrolled("李明").await;
    let chunk = 16 * 1024 * 1024;
    let video: Vec<u8> = (0..chunk + 3 * 1024 * 1024 + 7).map(|i| (i * 31 % 251) as u8).collect();
    let digest = sha256(&video);
    let batch = finding_batch(&device, 0, &video);
    device.offer(&app, &batch).await;

    let first: UploadState = device.put(&app, &digest, 0, &video[..chunk]).await.json();
    assert_eq!((first.received, first.stored), (chunk as u64, false));

    // The second chunk is cut by the network halfway: the office keeps nothing of it.
    let rest = &video[chunk..];
    let path = format!("/api/v1/blobs/{digest}?offset={chunk}");
    cut_request(app.addr(), "PUT", &path, &device.headers("PUT", &path, rest), rest.len(), &rest[..rest.len() / 2])
        .await;
    let state: UploadState = device.send(&app, "GET", &format!("/api/v1/blobs/{digest}/upload"), b"").await.json();
    assert_eq!((state.received, state.stored), (chunk as u64, false), "the office holds the first chunk only");

    let wrong = device.put(&app, &digest, 0, &video[..10]).await.error(409);
    assert_eq!(
        (wrong.code.as_str(), wrong.detail.unwrap()["received"].as_u64()),
        ("offset_mismatch", Some(chunk as u64))
    );
    assert_eq!(device.put(&app, &digest, chunk as u64, &video[..rest.len() + 1]).await.error(400).code, "beyond_size");

    let done: UploadState = device.put(&app, &digest, chunk as u64, rest).await.json();
    assert!(done.stored && done.received == video.len() as u64);
    assert_eq!(std::fs::read(app.server.office.blobs.path_of(&batch.manifest.blobs[0].sha256)).unwrap(), video);
    assert_eq!(device.commit(&app, &batch).await.status, 200);
}

async fn bytes_that_do_not_match_their_digest_are_discarded(app: App) {
    let (device, _) = app.enrolled("李明").await;
    let photo = b"the real photo".to_vec();
    let batch = finding_batch(&device, 0, &photo);
    device.offer(&app, &batch).await;
    let before = app.counts().await;

    let e = device.put(&app, &sha256(&photo), 0, b"something else!").await;
    assert_eq!(e.status, 400, "a chunk longer than the blob: {}", e.text());
    assert_eq!(device.put(&app, &sha256(&photo), 0, b"a forged photo").await.error(422).code, "digest_mismatch");
    app.assert_nothing_stored_since(before).await;
    let path = app.server.office.blobs.path_of(&batch.manifest.blobs[0].sha256);
    assert!(!path.exists(), "nothing at the final path");
    let state: UploadState =
        device.send(&app, "GET", &format!("/api/v1/blobs/{}/upload", sha256(&photo)), b"").await.json();
    assert_eq!(state.received, 0, "the part was discarded: the device starts again");
    assert_eq!(device.commit(&app, &batch).await.error(409).code, "missing_blobs");

    // A body that is not the one the device signed is refused before it is written.
    let p = format!("/api/v1/blobs/{}?offset=0", sha256(&photo));
    let headers = device.headers("PUT", &p, &photo);
    let e = http(app.addr(), "PUT", &p, &headers, b"the fake photo").await.error(400);
    assert_eq!(e.code, "body_digest_mismatch");
    app.assert_nothing_stored_since(before).await;
}

async fn malformed_and_oversized_bodies_get_json_errors(app: App) {
    let (device, _) = app.enrolled("李明").await;
    let before = app.counts().await;
    assert_eq!(
        device.send(&app, "POST", "/api/v1/batches", b"{\"manifest\": ").await.error(400).code,
        "malformed_json"
    );
    assert_eq!(app.send("POST", "/api/v1/enroll", b"[1, 2").await.error(400).code, "malformed_json");
    let big = vec![b'x'; 16 * 1024 * 1024 + 1];
    assert_eq!(device.put(&app, &"a".repeat(64), 0, &big).await.error(413).code, "body_too_large");
    assert_eq!(app.send("GET", "/api/v2/nothing", b"").await.error(404).code, "not_found");
    assert_eq!(app.send("DELETE", "/api/v1/enroll", b"").await.error(405).code, "method_not_allowed");
    assert_eq!(device.send(&app, "GET", "/api/v1/pull?since=minus", b"").await.error(400).code, "bad_request");
    app.assert_nothing_stored_since(before).await;
}

async fn replayed_stale_forged_and_unknown_requests_are_refused(app: App) {
    let (device, _) = app.enrolled("李明").await;
    let before = app.counts().await;
    let path = "/api/v1/pull?since=0";
    let headers = device.headers("GET", path, b"");
    assert_eq!(http(app.addr(), "GET", path, &headers, b"").await.status, 200);
    assert_eq!(http(app.addr(), "GET", path, &headers, b"").await.error(401).code, "replayed_request");

    let stale = device.headers_at("GET", path, b"", Utc::now().timestamp() - 400, &"0".repeat(32));
    assert_eq!(http(app.addr(), "GET", path, &stale, b"").await.error(401).code, "stale_request");

    let forged = device.with_other_key();
    assert_eq!(forged.send(&app, "GET", path, b"").await.error(401).code, "bad_signature");
    let mut moved = device.headers("GET", path, b"");
    assert_eq!(http(app.addr(), "GET", "/api/v1/pull?since=9", &moved, b"").await.error(401).code, "bad_signature");
    moved.retain(|(k, _)| k != "x-mingcha-nonce");
    assert_eq!(http(app.addr(), "GET", path, &moved, b"").await.error(401).code, "unsigned_request");

    assert_eq!(Device::new("李明").send(&app, "GET", path, b"").await.error(401).code, "unknown_device");
    app.assert_nothing_stored_since(before).await;
}

async fn a_revoked_device_is_refused_at_its_next_request(app: App) {
    let (device, _) = app.enrolled("李明").await;
    assert_eq!(device.send(&app, "GET", "/api/v1/pull", b"").await.status, 200);
    admin::revoke_device(app.repo(), &device.id.to_string(), Utc::now()).await.unwrap();
    let before = app.counts().await;
    assert_eq!(device.send(&app, "GET", "/api/v1/pull", b"").await.error(403).code, "device_revoked");
    let batch = device.batch(0, vec![device.change(1, EntityKind::Unit, &unit_id(1), unit(&unit_id(1), "某某区"))]);
    assert_eq!(device.offer(&app, &batch).await.error(403).code, "device_revoked");
    app.assert_nothing_stored_since(before).await;
}

async fn a_blob_name_that_is_not_a_digest_never_reaches_the_disk(app: App) {
    let (device, _) = app.enrolled("李明").await;
    let before = app.counts().await;
    for name in ["..", "%2e%2e", &"A".repeat(64), &"a".repeat(63), &format!("{}..", "a".repeat(62))] {
        assert_eq!(device.put(&app, name, 0, b"x").await.error(400).code, "bad_digest", "{name}");
        let get = device.send(&app, "GET", &format!("/api/v1/blobs/{name}/upload"), b"").await;
        assert_eq!(get.error(400).code, "bad_digest", "{name}");
    }
    assert_eq!(device.put(&app, &"b".repeat(64), 0, b"x").await.error(404).code, "blob_not_expected");
    app.assert_nothing_stored_since(before).await;
    let uploads = app.server.office.config.uploads_dir();
    assert_eq!(std::fs::read_dir(uploads).unwrap().count(), 0, "no part file was made");
}

async fn a_manifest_signed_by_another_key_or_for_another_device_is_refused(app: App) {
    let (device, _) = app.enrolled("李明").await;
    let (other, _) = app.enrolled("周强").await;
    let before = app.counts().await;
    let batch = device.batch(0, vec![device.change(1, EntityKind::Unit, &unit_id(1), unit(&unit_id(1), "某某区"))]);
    let resigned = device.with_other_key().sign(batch.manifest.clone());
    assert_eq!(device.offer(&app, &resigned).await.error(401).code, "bad_manifest_signature");
    let mut tampered = batch.clone();
    tampered.manifest.changes[0].payload = json!({"name": "改过"});
    assert_eq!(device.offer(&app, &tampered).await.error(401).code, "bad_manifest_signature");
    // Another enrolled device sends it, signed with its own key.
    let theirs = other.sign(batch.manifest.clone());
    assert_eq!(other.offer(&app, &theirs).await.error(403).code, "foreign_manifest");
    let gap = device.batch(0, vec![device.change(2, EntityKind::Unit, &unit_id(2), unit(&unit_id(2), "某某街道"))]);
    assert_eq!(device.offer(&app, &gap).await.error(422).code, "sequence_gap");
    app.assert_nothing_stored_since(before).await;
}

async fn commit_waits_for_every_blob(app: App) {
    let (device, _) = app.enrolled("李明").await;
    let (a, b) = (b"photo one".to_vec(), b"photo two".to_vec());
    let mut batch = finding_batch(&device, 0, &a);
    let mut changes = batch.manifest.changes.clone();
    let (finding_id, e4) = (changes[1].entity_id.clone(), uuid::Uuid::now_v7().to_string());
    changes.push(device.change(4, EntityKind::Evidence, &e4, evidence(&e4, &finding_id, &b)));
    batch = device.batch(0, changes);
    assert_eq!(device.offer(&app, &batch).await.json::<BatchState>().missing.len(), 2);
    device.put(&app, &sha256(&a), 0, &a).await;
    let before = app.counts().await;
    let e = device.commit(&app, &batch).await.error(409);
    assert_eq!(e.code, "missing_blobs");
    assert_eq!(e.detail.unwrap()["missing"][0]["sha256"], sha256(&b));
    app.assert_nothing_stored_since(before).await;
    assert_eq!(app.repo().device(device.id).await.unwrap().unwrap().acked_seq, 0);
    let unknown = device.send(&app, "POST", &format!("/api/v1/batches/{}/commit", uuid::Uuid::now_v7()), b"").await;
    assert_eq!(unknown.error(404).code, "not_found");
}

async fn a_record_changed_several_times_is_held_at_its_latest_state(app: App) {
    let (device, _) = app.enrolled("李明").await;
    let (u1, u2) = (unit_id(1), unit_id(2));
    let first = device.batch(
        0,
        vec![
            device.change(1, EntityKind::Unit, &u1, unit(&u1, "城南区政务服务中心")),
            device.change(2, EntityKind::Unit, &u1, unit(&u1, "城南区政务服务中心（新址）")),
            device.change(3, EntityKind::Unit, &u2, unit(&u2, "城北区税务局")),
        ],
    );
    device.offer(&app, &first).await;
    let receipt: SignedReceipt = device.commit(&app, &first).await.json();
    assert!(receipt.receipt.items.iter().all(|i| i.outcome == ItemOutcome::Stored));
    let second = device.batch(3, vec![device.change(4, EntityKind::Unit, &u2, unit(&u2, "城北区税务局第一分局"))]);
    device.offer(&app, &second).await;
    assert_eq!(device.commit(&app, &second).await.status, 200);

    let mut names: Vec<(String, String)> = app
        .repo()
        .records(EntityKind::Unit)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.entity_id, r.payload["name"].as_str().unwrap().to_owned()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [(u1, "城南区政务服务中心（新址）".into()), (u2, "城北区税务局第一分局".into())],
        "each record once, at its last change"
    );
}

async fn a_second_change_at_the_same_seq_is_a_fork(app: App) {
    let (device, _) = app.enrolled("李明").await;
    let u1 = unit_id(1);
    let x = device.batch(0, vec![device.change(1, EntityKind::Unit, &u1, unit(&u1, "甲"))]);
    let y = device.batch(0, vec![device.change(1, EntityKind::Unit, &u1, unit(&u1, "乙"))]);
    device.offer(&app, &x).await;
    device.offer(&app, &y).await;
    assert_eq!(device.commit(&app, &x).await.status, 200);
    let before = app.counts().await;
    let e = device.commit(&app, &y).await.error(409);
    assert_eq!((e.code.as_str(), &e.detail.unwrap()["seq"]), ("fork", &json!(1)));
    let z = device.batch(0, vec![device.change(1, EntityKind::Unit, &u1, unit(&u1, "丙"))]);
    assert_eq!(device.offer(&app, &z).await.error(409).code, "fork");
    app.assert_nothing_stored_since(before).await;
    let held = app.repo().record(EntityKind::Unit, &u1).await.unwrap().unwrap();
    assert_eq!(held.payload["name"], "甲");
}

async fn two_commits_of_one_batch_at_once_store_everything_once(app: App) {
    let (device, _) = app.enrolled("李明").await;
    let changes = (1..=200)
        .map(|s| device.change(s, EntityKind::Unit, &unit_id(s), unit(&unit_id(s), &format!("单位{s}"))))
        .collect();
    let batch = device.batch(0, changes);
    device.offer(&app, &batch).await;
    let (one, two) = tokio::join!(device.commit(&app, &batch), device.commit(&app, &batch));
    let (one, two): (SignedReceipt, SignedReceipt) = (one.json(), two.json());
    assert_eq!(one, two, "both get the one receipt");
    assert!(one.receipt.items.iter().all(|i| i.outcome == ItemOutcome::Stored));
    let counts = app.counts().await;
    assert_eq!((counts.changes, counts.records, counts.committed_batches), (200, 200, 1));
}

async fn pull_brings_office_decisions_to_the_inspector_after_the_cursor(app: App) {
    let (device, _) = app.enrolled("李明").await;
    let (colleague, _) = app.enrolled("周强").await;
    let batch = finding_batch(&device, 0, b"photo");
    device.offer(&app, &batch).await;
    device.put(&app, &sha256(b"photo"), 0, b"photo").await;
    device.commit(&app, &batch).await;
    let finding = batch.manifest.changes[1].entity_id.clone();

    let empty: Pull = device.send(&app, "GET", "/api/v1/pull?since=0", b"").await.json();
    assert_eq!((empty.cursor, empty.events.len(), empty.more), (0, 0, false));

    let by = "王审核";
    admin::decide_finding(app.repo(), &finding, Decision::Return { comment: "照片不清晰".into() }, by, Utc::now())
        .await
        .unwrap();
    let unknown = uuid::Uuid::now_v7().to_string();
    let refused = admin::decide_finding(app.repo(), &unknown, Decision::Accept, by, Utc::now()).await;
    assert_eq!(refused.unwrap_err().code(), "unknown_finding");

    let first: Pull = device.send(&app, "GET", "/api/v1/pull?since=0", b"").await.json();
    assert_eq!(first.events.len(), 1);
    let e = serde_json::to_value(&first.events[0]).unwrap();
    assert_eq!(
        (e["kind"].as_str(), e["comment"].as_str(), e["finding_id"].as_str()),
        (Some("finding_returned"), Some("照片不清晰"), Some(finding.as_str()))
    );

    admin::decide_finding(app.repo(), &finding, Decision::Accept, by, Utc::now()).await.unwrap();
    let problems = app.repo().docs("problem").await.unwrap();
    assert_eq!(
        problems.len(),
        1,
        "accepting from the command line puts the finding in the ledger, as the console does"
    );
    let template = include_str!("../../../assets/templates/window-service.json");
    admin::publish_template(app.repo(), "window-service.json", template, Utc::now()).await.unwrap();
    let bad =
        admin::publish_template(app.repo(), "bad.json", "{\"format\": \"mingcha.checklist-template\"}", Utc::now())
            .await;
    assert_eq!(bad.unwrap_err().code(), "invalid_input");

    let next: Pull = device.send(&app, "GET", &format!("/api/v1/pull?since={}", first.cursor), b"").await.json();
    let kinds: Vec<_> = next.events.iter().map(|e| serde_json::to_value(e).unwrap()["kind"].clone()).collect();
    assert_eq!(kinds, [json!("finding_accepted"), json!("template_published")], "only what came after the cursor");
    let after: Pull = device.send(&app, "GET", &format!("/api/v1/pull?since={}", next.cursor), b"").await.json();
    assert_eq!((after.events.len(), after.cursor), (0, next.cursor));

    let theirs: Pull = colleague.send(&app, "GET", "/api/v1/pull", b"").await.json();
    let kinds: Vec<_> = theirs.events.iter().map(|e| serde_json::to_value(e).unwrap()["kind"].clone()).collect();
    assert_eq!(kinds, [json!("template_published")], "another inspector sees what was published, not the decisions");
    let findings = admin::list_findings(app.repo()).await.unwrap();
    assert_eq!(findings[0].decision.as_deref(), Some("accepted"));
}

async fn every_route_is_served_and_described(app: App) {
    let doc: serde_json::Value = app.send("GET", "/api/openapi.json", b"").await.json();
    assert_eq!(doc["openapi"], "3.1.0");
    for (method, path) in mingcha_server::api::routes() {
        assert!(doc["paths"][path][method.as_str().to_ascii_lowercase()].is_object(), "{method} {path} is documented");
        let concrete = path.replace("{batch_id}", &uuid::Uuid::nil().to_string()).replace("{sha256}", &"a".repeat(64));
        let res = app.send(method.as_str(), &concrete, b"").await;
        let code = serde_json::from_slice::<serde_json::Value>(&res.body)
            .ok()
            .and_then(|v| v["code"].as_str().map(str::to_owned));
        assert!(
            !matches!(code.as_deref(), Some("not_found" | "method_not_allowed")),
            "{method} {path} is routed: {}",
            res.text()
        );
    }
}

async fn the_binary_serves_and_its_admin_commands_share_the_data(app: App) {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let bin = env!("CARGO_BIN_EXE_mingcha-server");
    let data = app.server.office.config.data_dir.clone();
    let url = app.server.office.config.database_url.clone();
    let admin = |args: &[&str]| {
        let mut c = Command::new(bin);
        c.arg("--data").arg(&data).env_remove("MINGCHA_DATABASE_URL");
        if let Some(u) = &url {
            c.args(["--database-url", u]);
        }
        c.args(args).output().unwrap()
    };
    assert!(admin(&["inspector", "add", "李明"]).status.success());
    let out = admin(&["--json", "enroll-token", "--inspector", "李明"]);
    let token: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let device = Device::new("李明");
    assert_eq!(app.enroll(&device, token["token"].as_str().unwrap()).await.status, 200, "the running server sees it");
    let listed = String::from_utf8(admin(&["device", "list"]).stdout).unwrap();
    assert!(listed.contains(&device.id.to_string()));
    let failed = admin(&["enroll-token", "--inspector", "无此人"]);
    assert!(!failed.status.success());
    assert_eq!(String::from_utf8(failed.stderr).unwrap().lines().count(), 1, "one line on stderr");

    // The same data served by the binary as a process.
    let mut cmd = Command::new(bin);
    cmd.arg("--data").arg(&data).env_remove("MINGCHA_DATABASE_URL");
    if let Some(u) = &url {
        cmd.args(["--database-url", u]);
    }
    // It speaks TLS by default, with a self-signed certificate it makes in the data folder.
    let serve = || {
        let mut cmd = Command::new(bin);
        cmd.arg("--data").arg(&data).env_remove("MINGCHA_DATABASE_URL");
        if let Some(u) = &url {
            cmd.args(["--database-url", u]);
        }
        let mut child = cmd.args(["serve", "--listen", "127.0.0.1:0"]).stdout(Stdio::piped()).spawn().unwrap();
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let (mut line, mut cert) = (String::new(), String::new());
        out.read_line(&mut line).unwrap();
        out.read_line(&mut cert).unwrap();
        let addr: std::net::SocketAddr =
            line.trim().strip_prefix("mingcha-server listening on https://").unwrap().parse().unwrap();
        let fingerprint = cert.trim().strip_prefix("TLS certificate SHA-256 ").unwrap().to_owned();
        (child, out, addr, fingerprint)
    };
    let (mut child, _out, addr, fingerprint) = serve();
    let key = data.join("tls/key.pem");
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key).unwrap().permissions()) & 0o777, 0o600);
    let health: serde_json::Value = https(addr, "GET", "/api/health", b"", &data.join("tls/cert.pem")).await.json();
    assert_eq!(health["server_key"], app.server.server_key.as_str(), "one key for the folder");
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut plain = tokio::net::TcpStream::connect(addr).await.unwrap();
        plain.write_all(b"GET /api/health HTTP/1.1\r\nhost: office\r\nconnection: close\r\n\r\n").await.unwrap();
        let mut raw = Vec::new();
        let _ = tokio::time::timeout(std::time::Duration::from_secs(20), plain.read_to_end(&mut raw)).await;
        assert!(!raw.starts_with(b"HTTP/1.1 200"), "plain HTTP is not answered on the TLS port");
    }
    let status: serde_json::Value = serde_json::from_slice(&admin(&["--json", "status"]).stdout).unwrap();
    let pin = status["tls_fingerprint"].as_str().unwrap().to_owned();
    assert_eq!(pin.len(), 64);
    assert_eq!(fingerprint.replace(':', "").to_ascii_lowercase(), pin, "status shows the certificate served");
    let out = admin(&["--json", "enroll-token", "--inspector", "李明"]);
    let token: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(token["token"].as_str().unwrap().ends_with(&format!(".{pin}")), "the token carries the pin: {token}");
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    assert!(child.wait().unwrap().success(), "SIGTERM stops it cleanly");
    // Started again, it serves the same certificate: enrolled devices keep working.
    let (mut again, _out, _, second) = serve();
    assert_eq!(second, fingerprint, "the certificate is kept across restarts");
    assert!(Command::new("kill").args(["-TERM", &again.id().to_string()]).status().unwrap().success());
    assert!(again.wait().unwrap().success());

    // The staff's commands are in the audit log, with what they touched.
    let page = app.repo().audit(&mingcha_server::repo::AuditQuery { limit: 50, ..Default::default() }).await.unwrap();
    let actions: Vec<(&str, &str, Option<&str>)> = page
        .rows
        .iter()
        .map(|r| (r.entry.actor.as_str(), r.entry.action.as_str(), r.entry.target.as_deref()))
        .collect();
    assert!(actions.contains(&("cli", "cli:inspector add", Some("李明"))), "{actions:?}");
    assert!(actions.contains(&("cli", "cli:enroll-token", Some("无此人"))), "a refused command too: {actions:?}");
    let failed = page.rows.iter().find(|r| r.entry.target.as_deref() == Some("无此人")).unwrap();
    assert_eq!(failed.entry.detail["ok"], false);
    assert!(
        actions.iter().any(|(actor, action, _)| actor.starts_with("device:") && *action == "enroll"),
        "{actions:?}"
    );
}

async fn refused_enrollments_lock_the_address_even_for_a_good_token(app: App) {
    let good = app.token("李明").await;
    let guess = mingcha_core::enroll_token::EnrollToken::new(hex::encode(&support::random::<32>()), None).to_string();
    for _ in 0..10 {
        assert_eq!(app.enroll(&Device::new("李明"), &guess).await.error(401).code, "bad_token");
    }
    let device = Device::new("李明");
    let r = app.enroll(&device, &good).await;
    assert_eq!(r.error(429).code, "rate_limited");
    assert!(r.header("retry-after").is_some_and(|s| s.parse::<u64>().is_ok_and(|n| n >= 1)), "{}", r.head);
    assert_eq!(app.counts().await.devices, 0, "nothing was enrolled");
    assert_eq!(app.counts().await.spent_tokens, 0, "the good token is still unspent");

    let page = app.repo().audit(&mingcha_server::repo::AuditQuery { limit: 50, ..Default::default() }).await.unwrap();
    let count = |action: &str| page.rows.iter().filter(|r| r.entry.action == action).count();
    assert_eq!((count("enroll_failed"), count("rate_limited")), (10, 1));
    let failed = page.rows.iter().find(|r| r.entry.action == "enroll_failed").unwrap();
    assert_eq!(
        (failed.entry.detail["code"].as_str(), failed.entry.client.as_deref()),
        (Some("bad_token"), Some("127.0.0.1"))
    );
    assert_eq!(failed.entry.target.as_deref(), Some("李明"));
}

/// A signed-in viewer's cookie, to read the console as the office does.
async fn viewer_cookie(app: &App) -> String {
    use mingcha_server::console::session::{NewAccount, create_account};
    let input = NewAccount {
        username: "chakan".into(),
        display_name: "查看".into(),
        role: mingcha_office::account::Role::Viewer,
        password: "correct horse battery".into(),
        unit: None,
    };
    create_account(app.repo(), input, "test").await.unwrap();
    let body = json!({"username": "chakan", "password": "correct horse battery"}).to_string();
    let csrf = ("x-mingcha-console".to_owned(), "1".to_owned());
    let r = http(app.addr(), "POST", "/api/console/login", &[csrf], body.as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    support::session_cookie(r.header("set-cookie").unwrap())
}

/// The findings of the office's ledger (台账), as the console lists them.
async fn ledger(app: &App, cookie: &str) -> Vec<(String, String)> {
    let r = http(app.addr(), "GET", "/api/console/problems", &[("cookie".into(), cookie.into())], b"").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let rows: serde_json::Value = r.json();
    rows["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["finding_id"].as_str().unwrap().to_owned(), r["description"].as_str().unwrap().to_owned()))
        .collect()
}

/// What the office holds of the records a laptop sent: compared before and after a refusal.
async fn held(app: &App, batch: &SignedManifest) -> Vec<mingcha_server::repo::StoredRecord> {
    let mut out = Vec::new();
    for c in &batch.manifest.changes {
        out.push(app.repo().record(c.entity, &c.entity_id).await.unwrap().unwrap());
    }
    out
}

/// Offer `batch` of `device` and expect it refused with `status` and `code`; the error.
async fn refused(app: &App, device: &Device, batch: &SignedManifest, status: u16, code: &str) -> ApiError {
    let e = device.offer(app, batch).await.error(status);
    assert_eq!(e.code, code, "{}", e.message);
    e
}

async fn a_second_laptop_cannot_overwrite_tombstone_or_annex_the_first_laptops_records(app: App) {
    let (li, _) = app.enrolled("李明").await;
    let (zhou, _) = app.enrolled("周强").await;
    let photo = b"\xff\xd8 li's photo \xff\xd9".to_vec();
    let first = finding_batch(&li, 0, &photo);
    li.offer(&app, &first).await;
    li.put(&app, &sha256(&photo), 0, &photo).await;
    assert_eq!(li.commit(&app, &first).await.status, 200);
    let before = app.counts().await;
    let theirs = held(&app, &first).await;
    let [unit_c, finding_c, photo_c] = [0, 1, 2].map(|i| first.manifest.changes[i].clone());

    // Each write to one of 李明's records, by 周强's laptop, dated after 李明's.
    let later = |mut c: ChangeRecord, op: ChangeOp| {
        c.op = op;
        c.at = support::at(1000);
        c
    };
    let mut reworded = finding_c.payload.clone();
    reworded["description"] = json!("并无此事");
    let mine = uuid::Uuid::now_v7().to_string();
    let attempts = [
        ("finding", later(zhou.change(1, EntityKind::Finding, &finding_c.entity_id, reworded), ChangeOp::Update)),
        (
            "finding",
            later(
                zhou.change(1, EntityKind::Finding, &finding_c.entity_id, finding_c.payload.clone()),
                ChangeOp::Delete,
            ),
        ),
        (
            "evidence",
            later(zhou.change(1, EntityKind::Evidence, &photo_c.entity_id, photo_c.payload.clone()), ChangeOp::Update),
        ),
        (
            "unit",
            later(
                zhou.change(1, EntityKind::Unit, &unit_c.entity_id, unit(&unit_c.entity_id, "别的单位")),
                ChangeOp::Update,
            ),
        ),
        // A photo of 周强's own, attached to 李明's finding.
        ("finding", zhou.change(1, EntityKind::Evidence, &mine, evidence(&mine, &finding_c.entity_id, &photo))),
    ];
    for (entity, change) in attempts {
        let id = if change.entity == EntityKind::Evidence && change.entity_id == mine {
            finding_c.entity_id.clone()
        } else {
            change.entity_id.clone()
        };
        let e = refused(&app, &zhou, &zhou.batch(0, vec![change]), 403, "foreign_record").await;
        assert_eq!(e.detail.unwrap(), json!({"entity": entity, "id": id, "seq": 1}));
        assert!(e.message.contains("another laptop"), "{}", e.message);
    }
    // A batch that also carries good work of 周强's own is refused whole.
    let own = unit_id(77);
    let mixed = zhou.batch(
        0,
        vec![
            zhou.change(1, EntityKind::Unit, &own, unit(&own, "城北区税务局")),
            later(
                zhou.change(2, EntityKind::Finding, &finding_c.entity_id, finding_c.payload.clone()),
                ChangeOp::Delete,
            ),
        ],
    );
    let e = refused(&app, &zhou, &mixed, 403, "foreign_record").await;
    assert_eq!(e.detail.unwrap()["seq"], 2);
    app.assert_nothing_stored_since(before).await;
    assert_eq!(held(&app, &first).await, theirs, "李明's finding, photo and unit are as he sent them");
    assert_eq!(app.repo().device(zhou.id).await.unwrap().unwrap().acked_seq, 0);

    // Checked again at the commit: a batch opened before 李明's next finding arrived.
    let next = uuid::Uuid::now_v7().to_string();
    let early = zhou.batch(0, vec![zhou.change(1, EntityKind::Finding, &next, finding(&next, &own))]);
    assert_eq!(zhou.offer(&app, &early).await.status, 200, "nobody holds that id yet");
    let li_next = li.batch(3, vec![li.change(4, EntityKind::Finding, &next, finding(&next, &unit_c.entity_id))]);
    li.offer(&app, &li_next).await;
    assert_eq!(li.commit(&app, &li_next).await.status, 200);
    let before = app.counts().await;
    let e = zhou.commit(&app, &early).await.error(403);
    assert_eq!((e.code.as_str(), &e.detail.unwrap()["id"]), ("foreign_record", &json!(next)));
    app.assert_nothing_stored_since(before).await;
    let held_next = app.repo().record(EntityKind::Finding, &next).await.unwrap().unwrap();
    assert_eq!((held_next.device_id, held_next.inspector_name.as_str()), (li.id, "李明"));

    // 周强's own work still goes through.
    let honest = zhou.batch(0, vec![zhou.change(1, EntityKind::Unit, &own, unit(&own, "城北区税务局"))]);
    zhou.offer(&app, &honest).await;
    assert_eq!(zhou.commit(&app, &honest).await.status, 200);
}

async fn an_accepted_problem_stays_in_the_ledger_whatever_another_laptop_sends(app: App) {
    let (li, _) = app.enrolled("李明").await;
    let (zhou, _) = app.enrolled("周强").await;
    let first = finding_batch(&li, 0, b"photo");
    li.offer(&app, &first).await;
    li.put(&app, &sha256(b"photo"), 0, b"photo").await;
    li.commit(&app, &first).await;
    let finding_c = first.manifest.changes[1].clone();
    admin::decide_finding(app.repo(), &finding_c.entity_id, Decision::Accept, "王审核", Utc::now()).await.unwrap();
    let cookie = viewer_cookie(&app).await;
    let ledger_before = ledger(&app, &cookie).await;
    assert_eq!(ledger_before, [(finding_c.entity_id.clone(), "3号窗口工作人员上班时间脱岗二十分钟".to_owned())]);
    let before = app.counts().await;

    // A tombstone the office cannot read once made the problem vanish from the ledger; a
    // readable one, or a rewording, would have replaced what the office accepted.
    let mut reworded = finding_c.payload.clone();
    reworded["description"] = json!("无");
    for (op, payload, status, code) in [
        (ChangeOp::Delete, json!({}), 422, "unreadable_record"),
        (ChangeOp::Delete, finding_c.payload.clone(), 403, "foreign_record"),
        (ChangeOp::Update, reworded, 403, "foreign_record"),
    ] {
        let mut c = zhou.change(1, EntityKind::Finding, &finding_c.entity_id, payload);
        (c.op, c.at) = (op, support::at(1000));
        refused(&app, &zhou, &zhou.batch(0, vec![c]), status, code).await;
    }
    app.assert_nothing_stored_since(before).await;
    assert_eq!(ledger(&app, &cookie).await, ledger_before, "the problem is still in the ledger, as accepted");
}

async fn change_times_a_laptop_could_not_have_written_are_refused(app: App) {
    let (device, _) = app.enrolled("李明").await;
    let enrolled = app.repo().device(device.id).await.unwrap().unwrap().enrolled_at;
    let dated = |device: &Device, seq: u64, at: chrono::DateTime<Utc>| {
        let u = unit_id(seq);
        let mut c = device.change(seq, EntityKind::Unit, &u, unit(&u, "城南区政务服务中心"));
        c.at = at;
        device.batch(seq - 1, vec![c])
    };
    let before = app.counts().await;
    for at in [Utc::now() + chrono::Duration::days(2), enrolled - chrono::Duration::days(181)] {
        let e = refused(&app, &device, &dated(&device, 1, at), 422, "change_time_out_of_range").await;
        let detail = e.detail.unwrap();
        assert_eq!((&detail["seq"], &detail["entity"], &detail["id"]), (&json!(1), &json!("unit"), &json!(unit_id(1))));
        assert!(e.message.contains("change 1"), "{}", e.message);
    }
    app.assert_nothing_stored_since(before).await;

    // A laptop used offline for months before it was enrolled, or a few hours fast, is fine.
    let (laptop, _) = app.enrolled("李明").await;
    let enrolled = app.repo().device(laptop.id).await.unwrap().unwrap().enrolled_at;
    for (seq, at) in [(1, enrolled - chrono::Duration::days(179)), (2, Utc::now() + chrono::Duration::hours(20))] {
        let batch = dated(&laptop, seq, at);
        assert_eq!(laptop.offer(&app, &batch).await.status, 200);
        assert_eq!(laptop.commit(&app, &batch).await.status, 200);
    }
}

async fn a_batch_with_an_unreadable_record_is_refused_naming_it(app: App) {
    let (device, _) = app.enrolled("李明").await;
    let (u1, f) = (unit_id(1), uuid::Uuid::now_v7().to_string());
    let mut bad = finding(&f, &u1);
    bad["severity"] = json!("very");
    let batch = device.batch(
        0,
        vec![
            device.change(1, EntityKind::Unit, &u1, unit(&u1, "城南区政务服务中心")),
            device.change(2, EntityKind::Finding, &f, bad),
        ],
    );
    let before = app.counts().await;
    let e = refused(&app, &device, &batch, 422, "unreadable_record").await;
    let detail = e.detail.unwrap();
    assert_eq!((&detail["entity"], &detail["id"], &detail["seq"]), (&json!("finding"), &json!(f), &json!(2)));
    assert!(detail["reason"].as_str().unwrap().contains("severity"), "the field is named: {detail}");
    assert!(e.message.contains(&format!("finding {f}")) && e.message.contains("severity"), "{}", e.message);

    // A readable finding under another finding's id is just as unreadable as that record.
    let other = uuid::Uuid::now_v7().to_string();
    let batch = device.batch(0, vec![device.change(1, EntityKind::Finding, &other, finding(&f, &u1))]);
    let e = refused(&app, &device, &batch, 422, "unreadable_record").await;
    assert_eq!(e.detail.unwrap()["id"], json!(other));
    app.assert_nothing_stored_since(before).await;
}

async fn device_calls_without_a_signature_are_unauthenticated(app: App) {
    let (device, _) = app.enrolled("李明").await;
    let before = app.counts().await;
    for (method, path) in mingcha_server::api::routes() {
        if !path.starts_with("/api/v1/") || path == "/api/v1/enroll" {
            continue;
        }
        let concrete =
            path.replace("{batch_id}", &uuid::Uuid::now_v7().to_string()).replace("{sha256}", &"a".repeat(64));
        let e = app.send(method.as_str(), &concrete, b"").await.error(401);
        assert_eq!(e.code, "unsigned_request", "{method} {path}: {}", e.message);
        // Signed, but with a header left out or malformed: just as unauthenticated.
        let mut headers = device.headers(method.as_str(), &concrete, b"");
        headers.retain(|(k, _)| k != "x-mingcha-nonce");
        let e = http(app.addr(), method.as_str(), &concrete, &headers, b"").await.error(401);
        assert_eq!((e.code.as_str(), e.message.contains("x-mingcha-nonce")), ("unsigned_request", true), "{path}");
        let mut headers = device.headers(method.as_str(), &concrete, b"");
        headers[0].1 = "not-a-device".into();
        assert_eq!(
            http(app.addr(), method.as_str(), &concrete, &headers, b"").await.error(401).code,
            "unsigned_request"
        );
    }
    app.assert_nothing_stored_since(before).await;
}

async fn plans_the_office_assigned_come_back_from_every_laptop_without_locking_any_out(app: App) {
    // 李明 works on two laptops; the office assigns him a plan, and each laptop takes it under
    // the office's id, logs it as a plan of its own and sends it back.
    let (desk, _) = app.enrolled("李明").await;
    let (field, _) = app.enrolled("李明").await;
    let input = admin::PlanInput {
        inspector: "李明".into(),
        title: "十一月作风效能暗访".into(),
        kind: "covert".into(),
        from: "2026-11-10".into(),
        to: "2026-11-12".into(),
        units: vec!["城南区政务服务中心".into()],
        templates: vec![],
        team: vec![],
    };
    let plan = admin::assign_plan(app.repo(), input, Utc::now()).await.unwrap();
    let plan_id = plan.plan_id.to_string();
    let as_logged = |id: &str, units: serde_json::Value| {
        json!({
            "id": id, "title": plan.title, "kind": "covert", "starts_on": "2026-11-10", "ends_on": "2026-11-12",
            "team": ["李明"], "target_units": units, "checklists": [], "created_at": Utc::now(),
        })
    };
    let before = app.counts().await;
    for device in [&desk, &field] {
        let u = uuid::Uuid::now_v7().to_string();
        let payload = as_logged(&plan_id, json!([u]));
        let batch = device.batch(
            0,
            vec![
                device.change(1, EntityKind::Unit, &u, unit(&u, "城南区政务服务中心")),
                device.change(2, EntityKind::Plan, &plan_id, payload),
            ],
        );
        assert_eq!(device.offer(&app, &batch).await.status, 200);
        let receipt: SignedReceipt = device.commit(&app, &batch).await.json();
        assert!(receipt.receipt.items.iter().all(|i| i.outcome == ItemOutcome::Stored), "both changes are kept");
    }
    let after = app.counts().await;
    assert_eq!((after.changes - before.changes, after.records - before.records), (4, 2), "two units, no plan record");
    assert_eq!(app.repo().record(EntityKind::Plan, &plan_id).await.unwrap(), None, "the plan stays the office's");

    // A plan a laptop made itself is that laptop's, like any record.
    let own = uuid::Uuid::now_v7().to_string();
    let payload = as_logged(&own, json!([]));
    let mine = desk.batch(2, vec![desk.change(3, EntityKind::Plan, &own, payload.clone())]);
    desk.offer(&app, &mine).await;
    assert_eq!(desk.commit(&app, &mine).await.status, 200);
    let mut c = field.change(3, EntityKind::Plan, &own, payload);
    c.op = ChangeOp::Update;
    refused(&app, &field, &field.batch(2, vec![c]), 403, "foreign_record").await;
}

async fn a_stored_record_the_office_cannot_read_is_an_error_not_a_gap(app: App) {
    let (li, _) = app.enrolled("李明").await;
    let batch = finding_batch(&li, 0, b"photo");
    li.offer(&app, &batch).await;
    li.put(&app, &sha256(b"photo"), 0, b"photo").await;
    li.commit(&app, &batch).await;
    let cookie = viewer_cookie(&app).await;
    let path = "/api/console/findings";
    let findings = http(app.addr(), "GET", path, &[("cookie".into(), cookie.clone())], b"").await;
    assert_eq!(findings.json::<serde_json::Value>()["rows"].as_array().map(Vec::len), Some(1));

    // The finding's stored state damaged behind the office's back (a restore gone wrong, a
    // hand edit): the console says it failed rather than showing the office one finding less.
    let f = &batch.manifest.changes[1].entity_id;
    let config = &app.server.office.config;
    match &config.database_url {
        None => {
            let db = rusqlite::Connection::open(config.sqlite_path()).unwrap();
            let sql = "UPDATE record SET payload = '{}' WHERE entity = 'finding' AND entity_id = ?1";
            assert_eq!(db.execute(sql, [f]).unwrap(), 1);
        }
        Some(url) => {
            let (db, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(conn);
            let sql = "UPDATE record SET payload = '{}'::jsonb WHERE entity = 'finding' AND entity_id = $1";
            assert_eq!(db.execute(sql, &[f]).await.unwrap(), 1);
        }
    }
    let e = http(app.addr(), "GET", path, &[("cookie".into(), cookie)], b"").await.error(500);
    assert_eq!(e.code, "internal");
    assert!(!e.message.contains(f.as_str()), "the details are for the office's log: {}", e.message);
}
