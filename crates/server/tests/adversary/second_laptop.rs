//! A second enrolled laptop (周强's, or a stolen one) walks every device route after the first
//! laptop (李明's) has sent a finding with its photo, left a second batch open, and had the
//! finding returned with a comment and a plan assigned. Whatever it asks about 李明's things,
//! by id, by digest or by sending them as its own, it is refused or learns nothing of them,
//! and the office holds exactly what it held before.

use chrono::Utc;
use mingcha_core::change::{ChangeOp, EntityKind};
use mingcha_core::sync::{BatchState, SignedManifest};
use mingcha_server::admin::{self, Decision, PlanInput};
use serde_json::{Value, json};

use crate::support::{self, App, Backend, Device, Response, sha256};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sqlite_a_second_laptop_reads_and_changes_nothing_of_the_first() {
    support::run(Backend::Sqlite, reads_and_changes_nothing_of_the_first).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_a_second_laptop_reads_and_changes_nothing_of_the_first() {
    support::run(Backend::Postgres, reads_and_changes_nothing_of_the_first).await;
}

const RETURN_COMMENT: &str = "照片看不清窗口编号，请补拍";
const PLAN_TITLE: &str = "十二月窗口作风暗访";

fn finding(id: &str, unit: &str) -> Value {
    json!({
        "id": id, "visit_id": uuid::Uuid::now_v7(), "unit_id": unit, "spot_id": null,
        "observed_at": "2026-11-10T09:20:00+08:00", "method": "covert", "category": "san.absent",
        "severity": "serious", "description": "3号窗口工作人员上班时间脱岗二十分钟", "persons_involved": "刘某",
        "checklist_item": null, "status": "submitted", "created_at": Utc::now(), "updated_at": Utc::now(),
    })
}

fn evidence(id: &str, finding: &str, photo: &[u8]) -> Value {
    json!({
        "evidence": {"id": id, "target": {"kind": "finding", "finding_id": finding}, "sha256": sha256(photo),
                     "size": photo.len(), "media_type": "image/jpeg", "original_name": "DSC_0001.JPG",
                     "imported_at": Utc::now()},
        "meta": {}, "damaged": null, "sha256": sha256(photo), "size": photo.len(),
    })
}

/// A unit, a finding and its photo, after `after`.
fn day(device: &Device, after: u64, photo: &[u8]) -> SignedManifest {
    let (unit, f, e) = (uuid::Uuid::now_v7().to_string(), uuid::Uuid::now_v7().to_string(), uuid::Uuid::now_v7());
    let e = e.to_string();
    device.batch(
        after,
        vec![
            device.change(
                after + 1,
                EntityKind::Unit,
                &unit,
                json!({"id": unit, "name": "城南区政务服务中心", "region": null, "created_at": Utc::now()}),
            ),
            device.change(after + 2, EntityKind::Finding, &f, finding(&f, &unit)),
            device.change(after + 3, EntityKind::Evidence, &e, evidence(&e, &f, photo)),
        ],
    )
}

/// What would tell 周强 about 李明's work. An answer may name what 周强 himself sent (an id
/// in a path, a record he tried to write); nothing else.
struct Secrets(Vec<String>);

impl Secrets {
    fn assert_absent(&self, what: &str, r: &Response) {
        let bytes = format!("{}\n{}", r.head, r.text());
        for s in &self.0 {
            assert!(!bytes.contains(s.as_str()), "{what} answered {s:?}:\n{bytes}");
        }
    }
}

async fn reads_and_changes_nothing_of_the_first(app: App) {
    let (li, _) = app.enrolled("李明").await;
    let (zhou, _) = app.enrolled("周强").await;
    let (photo, pending) = (b"\xff\xd8 li's photo \xff\xd9".to_vec(), b"\xff\xd8 li's next photo \xff\xd9".to_vec());
    let sent = day(&li, 0, &photo);
    li.offer(&app, &sent).await;
    li.put(&app, &sha256(&photo), 0, &photo).await;
    assert_eq!(li.commit(&app, &sent).await.status, 200);
    let open = day(&li, 3, &pending);
    assert_eq!(li.offer(&app, &open).await.json::<BatchState>().missing.len(), 1, "李明's photo is still to come");
    let finding_id = sent.manifest.changes[1].entity_id.clone();
    let comment = Decision::Return { comment: RETURN_COMMENT.into() };
    admin::decide_finding(app.repo(), &finding_id, comment, "王审核", Utc::now()).await.unwrap();
    let plan = PlanInput {
        inspector: "李明".into(),
        title: PLAN_TITLE.into(),
        kind: "covert".into(),
        from: "2026-12-10".into(),
        to: "2026-12-11".into(),
        units: vec!["城北区税务局".into()],
        templates: vec![],
        team: vec![],
    };
    admin::assign_plan(app.repo(), plan, Utc::now()).await.unwrap();

    let names = ["李明", "王审核", RETURN_COMMENT, PLAN_TITLE, "城北区税务局", "刘某"].map(String::from);
    let secrets = Secrets(names.iter().cloned().chain([li.id.to_string()]).collect());
    let ids = [finding_id.clone(), sent.manifest.batch_id.to_string(), open.manifest.batch_id.to_string()];
    let everything = Secrets(secrets.0.iter().cloned().chain(ids).collect());
    let before = app.counts().await;
    let held = app.repo().record(EntityKind::Finding, &finding_id).await.unwrap();

    // Pull: 周强's events only, none of 李明's decisions or plans.
    for path in ["/api/v1/pull", "/api/v1/pull?since=0"] {
        let r = zhou.send(&app, "GET", path, b"").await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json::<Value>()["events"], json!([]), "{path}");
        everything.assert_absent(path, &r);
    }

    // 李明's batches by id: not found, committed or open, and the open one stays open.
    for batch in [&sent, &open] {
        let r = zhou.commit(&app, batch).await;
        assert_eq!(r.error(404).code, "not_found");
        secrets.assert_absent("commit of 李明's batch", &r);
    }
    // 李明's manifests, sent as 周强's: signed by 李明, or signed again by 周强.
    for (batch, status, code) in [
        (open.clone(), 401, "bad_manifest_signature"),
        (zhou.sign(open.manifest.clone()), 403, "foreign_manifest"),
        (zhou.sign(sent.manifest.clone()), 403, "foreign_manifest"),
    ] {
        let r = zhou.offer(&app, &batch).await;
        assert_eq!(r.error(status).code, code);
        secrets.assert_absent("李明's manifest", &r);
    }

    // 李明's photos by digest: the one still to come cannot be uploaded or probed by 周强,
    // and no device route gives a photo's bytes to anyone.
    let digest = sha256(&pending);
    let r = zhou.put(&app, &digest, 0, &pending).await;
    assert_eq!(r.error(404).code, "blob_not_expected");
    everything.assert_absent("a chunk of 李明's photo", &r);
    let r = zhou.send(&app, "GET", &format!("/api/v1/blobs/{digest}/upload"), b"").await;
    assert_eq!(r.error(404).code, "blob_not_expected");
    everything.assert_absent("the state of 李明's coming photo", &r);
    for (method, path) in mingcha_server::api::routes() {
        assert!(!(method == "GET" && path.starts_with("/api/v1/blobs/") && !path.ends_with("/upload")), "{path}");
    }
    // The stored one: the office says it holds that digest (what lets any laptop skip sending
    // a photo it already has), and nothing about whose it is.
    let r = zhou.send(&app, "GET", &format!("/api/v1/blobs/{}/upload", sha256(&photo)), b"").await;
    everything.assert_absent("the state of 李明's stored photo", &r);

    // The custody log: hashes and sizes, never a device, a batch or a name.
    let r = zhou.send(&app, "GET", "/api/v1/custody/heads", b"").await;
    assert_eq!(r.status, 200);
    everything.assert_absent("the daily heads", &r);
    let r = zhou.send(&app, "GET", "/api/v1/custody/proof?index=0&size=1", b"").await;
    assert_eq!(r.status, 200, "{}", r.text());
    everything.assert_absent("an inclusion proof of 李明's batch", &r);

    // 李明's records, written as 周强's: every kind of write is refused, naming only what
    // 周强 sent.
    let [unit, found, photo_record] = [0, 1, 2].map(|i| &sent.manifest.changes[i]);
    for (theirs, op) in [
        (unit, ChangeOp::Update),
        (found, ChangeOp::Update),
        (found, ChangeOp::Delete),
        (photo_record, ChangeOp::Delete),
    ] {
        let mut c = zhou.change(1, theirs.entity, &theirs.entity_id, theirs.payload.clone());
        (c.op, c.at) = (op, support::at(1000));
        let r = zhou.offer(&app, &zhou.batch(0, vec![c])).await;
        assert_eq!(r.error(403).code, "foreign_record");
        secrets.assert_absent("a write to 李明's record", &r);
    }

    app.assert_nothing_stored_since(before).await;
    assert_eq!(
        app.repo().record(EntityKind::Finding, &finding_id).await.unwrap(),
        held,
        "李明's finding as he sent it"
    );
    let state: BatchState = li.offer(&app, &open).await.json();
    assert_eq!(state.missing.len(), 1, "李明's open batch waits for his photo, untouched");
    li.put(&app, &digest, 0, &pending).await;
    assert_eq!(li.commit(&app, &open).await.status, 200, "and 李明 finishes it");
}
