#![allow(clippy::unwrap_used)]
//! The office's edge, as a browser, a laptop and an admin meet it: the session cookie and what
//! ends a session, the headers of every file the office hands out, what a laptop may upload,
//! text refused at its limit, and a data folder readable by the server's account alone. A real
//! server on port 0; every test that touches the tables runs on SQLite and on PostgreSQL.

#[macro_use]
mod support;

use std::os::unix::fs::PermissionsExt;

use mingcha_core::change::EntityKind;
use mingcha_office::account::Role;
use mingcha_server::console::session::{NewAccount, create_account, reset_password};
use serde_json::{Value, json};
use support::{App, Device, Response, field_day, http, session_cookie};

on_both_backends!(
    the_session_cookie_is_host_only_and_secure_and_every_session_ends_with_the_password,
    the_old_password_is_guessed_no_faster_than_a_sign_in,
    every_file_the_office_hands_out_is_named_never_sniffed_and_never_cached,
    a_batch_with_a_file_over_the_cap_or_over_the_quota_is_refused_whole,
    text_over_its_limit_is_refused_naming_the_field,
);

const PASSWORD: &str = "correct horse battery";
const NEW_PASSWORD: &str = "staple battery horse";

fn csrf() -> (String, String) {
    ("x-mingcha-console".into(), "1".into())
}

async fn account(app: &App, username: &str, role: Role) {
    let input = NewAccount {
        username: username.into(),
        display_name: format!("{username}（{}）", role.label_zh()),
        role,
        password: PASSWORD.into(),
        unit: None,
    };
    create_account(app.repo(), input, "test").await.unwrap();
}

async fn login(app: &App, username: &str, password: &str) -> Response {
    let body = json!({"username": username, "password": password}).to_string();
    http(app.addr(), "POST", "/api/console/login", &[csrf()], body.as_bytes()).await
}

/// A browser's session: the `Cookie` header it sends back.
async fn session(app: &App, username: &str) -> String {
    let r = login(app, username, PASSWORD).await;
    assert_eq!(r.status, 200, "{}", r.text());
    session_cookie(r.header("set-cookie").unwrap())
}

async fn get(app: &App, cookie: &str, path: &str) -> Response {
    http(app.addr(), "GET", path, &[("cookie".into(), cookie.to_owned())], b"").await
}

async fn send(app: &App, cookie: &str, method: &str, path: &str, body: Value) -> Response {
    let headers = [("cookie".into(), cookie.to_owned()), csrf()];
    http(app.addr(), method, path, &headers, body.to_string().as_bytes()).await
}

async fn signed_in(app: &App, cookie: &str) -> bool {
    get(app, cookie, "/api/console/me").await.status == 200
}

async fn the_session_cookie_is_host_only_and_secure_and_every_session_ends_with_the_password(app: App) {
    account(&app, "wangsh", Role::Reviewer).await;
    account(&app, "admin", Role::Admin).await;
    let r = login(&app, "wangsh", PASSWORD).await;
    let set = r.header("set-cookie").unwrap().to_owned();
    // (The test client lower-cases the head; the office writes `__Host-mingcha_session`.)
    assert!(set.starts_with("__host-mingcha_session="), "{set}");
    for attribute in ["secure", "httponly", "samesite=strict", "path=/"] {
        assert!(set.split(';').any(|a| a.trim() == attribute), "{attribute} is missing: {set}");
    }
    assert!(!set.contains("domain="), "a __Host- cookie names no domain: {set}");
    // The name is the office's exactly: a look-alike cookie set by another host is no session.
    let browser = session_cookie(&set);
    let lookalike = browser.replace("__Host-", "__host-");
    assert_eq!(get(&app, &lookalike, "/api/console/me").await.error(401).code, "not_signed_in");

    // Two browsers; one changes the password: both old sessions end, the changer gets a new one.
    let (laptop, phone) = (browser, session(&app, "wangsh").await);
    let r = send(&app, &laptop, "POST", "/api/console/password", json!({"old": PASSWORD, "new": NEW_PASSWORD})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let renewed = session_cookie(r.header("set-cookie").expect("a new session for this browser"));
    assert!(!signed_in(&app, &laptop).await && !signed_in(&app, &phone).await, "every earlier session ended");
    assert!(signed_in(&app, &renewed).await);
    assert_eq!(login(&app, "wangsh", PASSWORD).await.error(401).code, "bad_login");
    assert_eq!(login(&app, "wangsh", NEW_PASSWORD).await.status, 200);

    // The admin resets it (a lost password): whoever holds a session is out.
    let admin = session(&app, "admin").await;
    let before = session_cookie(login(&app, "wangsh", NEW_PASSWORD).await.header("set-cookie").unwrap());
    let r = send(&app, &admin, "PATCH", "/api/console/accounts/wangsh", json!({"password": PASSWORD})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(!signed_in(&app, &before).await && !signed_in(&app, &renewed).await);
    assert!(signed_in(&app, &admin).await, "the admin's own session stays");

    // `mingcha-server account password` does the same.
    let again = session(&app, "wangsh").await;
    reset_password(app.repo(), "wangsh", NEW_PASSWORD.into(), "mingcha-server").await.unwrap();
    assert!(!signed_in(&app, &again).await);
    assert_eq!(login(&app, "wangsh", NEW_PASSWORD).await.status, 200);

    // Disabling an account ends its sessions too.
    let last = session_cookie(login(&app, "wangsh", NEW_PASSWORD).await.header("set-cookie").unwrap());
    let r = send(&app, &admin, "PATCH", "/api/console/accounts/wangsh", json!({"disabled": true})).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let live: Vec<Value> = app.repo().docs("session").await.unwrap().into_iter().map(|d| d.body).collect();
    assert!(live.iter().all(|s| s["username"] != "wangsh"), "{live:?}");
    assert!(!signed_in(&app, &last).await);
}

async fn the_old_password_is_guessed_no_faster_than_a_sign_in(app: App) {
    account(&app, "wangsh", Role::Reviewer).await;
    // A session someone else got hold of: it may not be turned into the password.
    let stolen = session(&app, "wangsh").await;
    for i in 0..5 {
        let guess = json!({"old": format!("guess number {i}"), "new": "the thief's password"});
        assert_eq!(send(&app, &stolen, "POST", "/api/console/password", guess).await.error(401).code, "bad_login");
    }
    let right = json!({"old": PASSWORD, "new": "the thief's password"});
    let r = send(&app, &stolen, "POST", "/api/console/password", right).await;
    assert_eq!(r.error(429).code, "rate_limited", "locked, the right old password included");
    assert!(r.header("retry-after").is_some());
    // One limit for the username: sign-in is locked as well, and the password is unchanged.
    assert_eq!(login(&app, "wangsh", PASSWORD).await.error(429).code, "rate_limited");
    let account = app.repo().doc("account", "wangsh").await.unwrap().unwrap();
    assert!(mingcha_office::account::verify_password(account.body["password_hash"].as_str().unwrap(), PASSWORD));
}

async fn every_file_the_office_hands_out_is_named_never_sniffed_and_never_cached(app: App) {
    let day = field_day(&app, "李明", "李明的笔记本", "3号窗口工作人员上班时间脱岗二十分钟").await;
    account(&app, "wangsh", Role::Reviewer).await;
    let office = session(&app, "wangsh").await;
    let file_headers = |r: &Response, disposition: &str| {
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("cache-control"), Some("private, no-store"), "evidence is never kept by a cache");
        let d = r.header("content-disposition").unwrap_or_default();
        assert!(d.starts_with(disposition) && d.contains("filename*=utf-8''"), "{d}");
        assert_eq!(r.header("content-length").and_then(|l| l.parse().ok()), Some(r.body.len()));
    };

    // The evidence photo: shown in the page, streamed whole.
    let photo = get(&app, &office, &format!("/api/console/blobs/{}", day.photo)).await;
    file_headers(&photo, "inline");
    assert_eq!(photo.header("content-type"), Some("image/jpeg"));
    assert_eq!(support::sha256(&photo.body), day.photo);

    // A unit's report uploaded as a PDF: saved, never opened in the console's origin.
    let pdf = b"%PDF-1.4\n% a report\n".to_vec();
    let headers = [
        ("cookie".to_owned(), office.clone()),
        csrf(),
        ("content-type".to_owned(), "application/pdf".to_owned()),
        ("x-file-name".to_owned(), "%E6%95%B4%E6%94%B9.pdf".to_owned()),
    ];
    let up: Value = http(app.addr(), "POST", "/api/console/uploads", &headers, &pdf).await.json();
    let r = get(&app, &office, &format!("/api/console/blobs/{}", up["sha256"].as_str().unwrap())).await;
    file_headers(&r, "attachment");
    assert_eq!((r.header("content-type"), r.body.clone()), (Some("application/pdf"), pdf));
    assert!(r.header("content-disposition").unwrap().contains("%e6%95%b4%e6%94%b9.pdf"), "its name");

    // The notice and the ledger.
    let accepted =
        send(&app, &office, "POST", &format!("/api/console/findings/{}/accept", day.finding), json!({})).await;
    let problem = accepted.json::<Value>()["problem_id"].as_str().unwrap().to_owned();
    let notice = send(
        &app,
        &office,
        "POST",
        "/api/console/notices",
        json!({"title": "关于作风问题的通报", "problem_ids": [problem]}),
    )
    .await;
    assert_eq!(notice.status, 200, "{}", notice.text());
    let id = notice.json::<Value>()["id"].as_str().unwrap().to_owned();
    let docx = get(&app, &office, &format!("/api/console/notices/{id}/docx")).await;
    file_headers(&docx, "attachment");
    assert!(docx.body.starts_with(b"PK"));
    let xlsx = get(&app, &office, "/api/console/ledger.xlsx").await;
    file_headers(&xlsx, "attachment");
    // Every answer is nosniff; the API's JSON is never cached either.
    let me = get(&app, &office, "/api/console/me").await;
    assert_eq!(
        (me.header("x-content-type-options"), me.header("cache-control")),
        (Some("nosniff"), Some("private, no-store"))
    );
}

/// A batch whose evidence declares these sizes (no byte is sent).
fn batch_of_sizes(device: &Device, sizes: &[u64]) -> mingcha_core::sync::SignedManifest {
    let changes = sizes
        .iter()
        .enumerate()
        .map(|(i, size)| {
            let (id, finding) = (uuid::Uuid::now_v7().to_string(), uuid::Uuid::now_v7().to_string());
            let sha = support::sha256(id.as_bytes());
            let payload = json!({
                "evidence": {"id": id, "target": {"kind": "finding", "finding_id": finding}, "sha256": sha,
                             "size": size, "media_type": "video/mp4", "original_name": "暗访录像.mp4",
                             "imported_at": chrono::Utc::now()},
                "meta": {"taken_at": null, "taken_offset": null, "gps": null, "make": null, "model": null,
                         "orientation": null, "width": null, "height": null},
                "damaged": null, "sha256": sha, "size": size,
            });
            device.change(i as u64 + 1, EntityKind::Evidence, &id, payload)
        })
        .collect();
    device.batch(0, changes)
}

async fn a_batch_with_a_file_over_the_cap_or_over_the_quota_is_refused_whole(app: App) {
    let (device, _) = app.enrolled("李明").await;
    let before = app.counts().await;
    let gib = 1u64 << 30;
    let r = device.offer(&app, &batch_of_sizes(&device, &[1000, 3 * gib])).await;
    let e = r.error(413);
    assert_eq!(e.code, "blob_too_large");
    assert_eq!(e.detail, Some(json!({"size": 3 * gib, "max": 2 * gib})));
    app.assert_nothing_stored_since(before).await;
    // Eleven files under the cap, 20.9 GiB together: over the quota of a batch.
    let r = device.offer(&app, &batch_of_sizes(&device, &[19 * gib / 10; 11])).await;
    let e = r.error(413);
    assert_eq!(e.code, "batch_over_quota");
    assert_eq!(e.detail.unwrap()["max"], 20 * gib);
    app.assert_nothing_stored_since(before).await;
    // Within both, the batch is opened as before.
    assert_eq!(device.offer(&app, &batch_of_sizes(&device, &[2 * gib, 10])).await.status, 200);
}

async fn text_over_its_limit_is_refused_naming_the_field(app: App) {
    let day = field_day(&app, "李明", "李明的笔记本", "3号窗口工作人员上班时间脱岗二十分钟").await;
    account(&app, "wangsh", Role::Reviewer).await;
    let office = session(&app, "wangsh").await;
    let accepted =
        send(&app, &office, "POST", &format!("/api/console/findings/{}/accept", day.finding), json!({})).await;
    let problem = accepted.json::<Value>()["problem_id"].as_str().unwrap().to_owned();
    let units: Value = get(&app, &office, "/api/console/units").await.json();
    let unit = units[0]["id"].as_str().unwrap().to_owned();
    let deadline = (chrono::Local::now().date_naive() + chrono::Duration::days(10)).to_string();
    let too_long = |field: &str, max: u64, r: &Response| {
        let e = r.error(400);
        assert_eq!(
            (e.code.as_str(), e.detail),
            ("too_long", Some(json!({"field": field, "max": max}))),
            "{}",
            r.text()
        );
    };

    // 整改措施 pasted whole from a report: refused, not stored, nothing assigned.
    let measures = "严肃工作纪律，落实首问负责制。".repeat(200);
    let assign = |measures: &str| json!({"unit": unit, "deadline": deadline, "measures": measures});
    let before = app.repo().doc("problem", &problem).await.unwrap().unwrap().version;
    too_long(
        "measures",
        2000,
        &send(&app, &office, "POST", &format!("/api/console/problems/{problem}/assign"), assign(&measures)).await,
    );
    assert_eq!(app.repo().doc("problem", &problem).await.unwrap().unwrap().version, before);
    let r = send(&app, &office, "POST", &format!("/api/console/problems/{problem}/assign"), assign("立即整改")).await;
    assert_eq!(r.status, 200, "within the limit it is assigned: {}", r.text());

    // A notice's opening paragraphs, a return comment, a username at sign-in.
    let intro = "为进一步加强作风建设。".repeat(2001);
    let notice = json!({"title": "通报", "intro": intro, "problem_ids": [problem]});
    too_long("intro", 20_000, &send(&app, &office, "POST", "/api/console/notices", notice).await);
    let comment = json!({"comment": "请补充".repeat(700)});
    too_long(
        "comment",
        2000,
        &send(&app, &office, "POST", &format!("/api/console/findings/{}/return", day.finding), comment).await,
    );
    too_long("username", 32, &login(&app, &"a".repeat(33), PASSWORD).await);
}

#[tokio::test]
async fn a_new_office_keeps_its_folder_and_files_to_its_own_account() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("office");
    // A folder the admin made beforehand, readable by all: taken back.
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let office = mingcha_server::Office::open(mingcha_server::Config::new(&data)).await.unwrap();
    office.key().unwrap();
    office.self_signed().unwrap();
    use mingcha_server::blobs::BlobStore;
    let stored = office.blobs.put(b"%PDF-1.4 a unit's report".to_vec()).await.unwrap();
    let device = mingcha_core::id::DeviceId::from_uuid(uuid::Uuid::now_v7());
    let part = mingcha_core::evidence::Sha256Hex::parse(&support::sha256(b"0123456789")).unwrap();
    office.blobs.append(device, &part, 10, 0, b"01234".to_vec()).await.unwrap();

    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    for folder in [
        data.clone(),
        data.join("blobs"),
        data.join("uploads"),
        data.join("tls"),
        data.join(format!("uploads/{device}")),
    ] {
        assert_eq!(mode(folder.as_path()), 0o700, "{}", folder.display());
    }
    let blob = office.blobs.path_of(&stored);
    let mut files = vec![data.join("office.db"), data.join("server-key"), data.join("tls/key.pem"), blob.clone()];
    files.push(data.join(format!("uploads/{device}/{}.part", part.as_str())));
    files.extend(["office.db-wal", "office.db-shm"].map(|f| data.join(f)).into_iter().filter(|p| p.exists()));
    for file in &files {
        assert_eq!(mode(file.as_path()), 0o600, "{}", file.display());
    }
    let mut shard = blob.parent();
    while let Some(folder) = shard.filter(|f| f.starts_with(data.join("blobs"))) {
        assert_eq!(mode(folder), 0o700, "{}", folder.display());
        shard = folder.parent();
    }
}
