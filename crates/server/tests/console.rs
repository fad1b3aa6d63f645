#![allow(clippy::unwrap_used)]
//! The office console's API as the browser meets it (`docs/console-api.md`): a real server on
//! port 0, findings sent by a signed device, and office accounts signing in with cookies. Every
//! test runs on SQLite and on PostgreSQL.

#[macro_use]
mod support;
#[path = "console/dashboard.rs"]
mod dashboard;
#[path = "console/pages.rs"]
mod pages;

use chrono::{Duration, FixedOffset, Local, TimeZone, Utc};
use mingcha_core::change::{ChangeOp, EntityKind};
use mingcha_core::sync::{Pull, SignedManifest};
use mingcha_office::account::Role;
use mingcha_server::console::session::{NewAccount, create_account};
use serde_json::{Value, json};
use support::{App, Device, Response, http, sha256};

on_both_backends!(
    a_returned_finding_comes_back_changed_and_is_reworded_and_accepted,
    a_problem_runs_from_assignment_to_closing_and_refuses_bad_steps_whole,
    notices_are_numbered_per_year_and_hold_every_chosen_problem,
    roles_sessions_and_the_console_header_guard_every_write,
    the_ledger_filters_in_chinese_and_exports_what_it_shows,
    templates_and_the_taxonomy_reach_devices_only_as_newer_versions,
    duplicates_merge_into_one_finding_of_the_same_unit,
    wrong_passwords_lock_the_username_even_for_the_right_one_and_the_admin_reads_it_in_the_audit,
    console_writes_and_revocations_are_audited_and_take_effect_at_once,
    expired_sessions_are_refused_and_swept,
);

const PASSWORD: &str = "correct horse battery";

/// A browser signed in to the console.
struct Console<'a> {
    app: &'a App,
    cookie: String,
}

impl<'a> Console<'a> {
    async fn sign_in(app: &'a App, username: &str, role: Role, unit: Option<&str>) -> Self {
        let input = NewAccount {
            username: username.into(),
            display_name: format!("{username}（{}）", role.label_zh()),
            role,
            password: PASSWORD.into(),
            unit: unit.map(Into::into),
        };
        create_account(app.repo(), input, "test").await.unwrap();
        Self::login(app, username).await
    }

    async fn login(app: &'a App, username: &str) -> Self {
        let body = json!({"username": username, "password": PASSWORD}).to_string();
        let r = http(app.addr(), "POST", "/api/console/login", &[csrf()], body.as_bytes()).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let set = r.header("set-cookie").expect("a session cookie").to_owned();
        assert!(set.contains("httponly") && set.contains("samesite=strict"), "{set}");
        Self { app, cookie: support::session_cookie(&set) }
    }

    fn headers(&self) -> Vec<(String, String)> {
        vec![("cookie".into(), self.cookie.clone()), csrf()]
    }

    async fn get(&self, path: &str) -> Response {
        http(self.app.addr(), "GET", path, &self.headers(), b"").await
    }

    async fn post(&self, path: &str, body: Value) -> Response {
        http(self.app.addr(), "POST", path, &self.headers(), body.to_string().as_bytes()).await
    }

    async fn ok(&self, path: &str, body: Value) -> Value {
        let r = self.post(path, body).await;
        assert_eq!(r.status, 200, "POST {path}: {}", r.text());
        r.json()
    }

    async fn read(&self, path: &str) -> Value {
        let r = self.get(path).await;
        assert_eq!(r.status, 200, "GET {path}: {}", r.text());
        r.json()
    }

    async fn upload(&self, name: &str, content_type: &str, bytes: &[u8]) -> Response {
        let mut headers = self.headers();
        headers.push(("content-type".into(), content_type.into()));
        headers.push(("x-file-name".into(), encode(name)));
        http(self.app.addr(), "POST", "/api/console/uploads", &headers, bytes).await
    }
}

fn csrf() -> (String, String) {
    ("x-mingcha-console".into(), "1".into())
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b == b'.' { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// The ids a field day sent.
struct Day {
    device: Device,
    unit: String,
    findings: Vec<String>,
    seq: u64,
}

fn local(day: u32, hour: u32, minute: u32) -> chrono::DateTime<FixedOffset> {
    FixedOffset::east_opt(8 * 3600).unwrap().with_ymd_and_hms(2026, 11, day, hour, minute, 0).unwrap()
}

fn finding_payload(
    id: &str,
    visit: &str,
    unit: &str,
    category: &str,
    text: &str,
    observed: chrono::DateTime<FixedOffset>,
) -> Value {
    json!({
        "id": id, "visit_id": visit, "unit_id": unit, "spot_id": null, "observed_at": observed,
        "method": "covert", "category": category, "severity": "serious", "description": text,
        "persons_involved": "窗口工作人员刘某", "checklist_item": null, "status": "submitted",
        "created_at": Utc::now(), "updated_at": Utc::now(),
    })
}

/// A photo that decodes: a notice re-encodes it.
fn photo() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([(x * 4) as u8, (y * 5) as u8, 90]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// One inspector's day: a unit, a visit, `texts.len()` findings (the first with a photo),
/// sent and committed.
async fn field_day(app: &App, unit_name: &str, texts: &[(&str, &str)]) -> Day {
    let (device, _) = app.enrolled("李明").await;
    let unit = uuid::Uuid::now_v7().to_string();
    let visit = uuid::Uuid::now_v7().to_string();
    let mut changes = vec![
        device.change(
            1,
            EntityKind::Unit,
            &unit,
            json!({"id": unit, "name": unit_name, "region": "城南区", "created_at": Utc::now()}),
        ),
        device.change(
            2,
            EntityKind::Visit,
            &visit,
            json!({
                "id": visit, "plan_id": null, "unit_id": unit, "spot_id": null, "kind": "covert", "date": "2026-11-10",
                "arrived_at": null, "left_at": null, "inspectors": ["李明"], "notes": null, "created_at": Utc::now(),
            }),
        ),
    ];
    let mut findings = Vec::new();
    for (i, (category, text)) in texts.iter().enumerate() {
        let id = uuid::Uuid::now_v7().to_string();
        let observed = local(10, 9, 20 + u32::try_from(i).unwrap());
        changes.push(device.change(
            3 + i as u64,
            EntityKind::Finding,
            &id,
            finding_payload(&id, &visit, &unit, category, text, observed),
        ));
        findings.push(id);
    }
    let photo = photo();
    let evidence = uuid::Uuid::now_v7().to_string();
    let seq = 3 + texts.len() as u64;
    changes.push(device.change(seq, EntityKind::Evidence, &evidence, json!({
        "evidence": {"id": evidence, "target": {"kind": "finding", "finding_id": findings[0]}, "sha256": sha256(&photo),
                     "size": photo.len(), "media_type": "image/jpeg", "original_name": "DSC_0001.JPG", "imported_at": Utc::now()},
        "meta": {"taken_at": "2026-11-10T09:21:04", "taken_offset": null, "gps": null, "make": null, "model": null,
                 "orientation": null, "width": 64, "height": 48},
        "damaged": null, "sha256": sha256(&photo), "size": photo.len(),
    })));
    let batch = device.batch(0, changes);
    send(app, &device, &batch, Some(&photo)).await;
    Day { device, unit, findings, seq }
}

async fn send(app: &App, device: &Device, batch: &SignedManifest, photo: Option<&[u8]>) {
    assert_eq!(device.offer(app, batch).await.status, 200);
    if let Some(p) = photo {
        assert_eq!(device.put(app, &sha256(p), 0, p).await.status, 200);
    }
    let r = device.commit(app, batch).await;
    assert_eq!(r.status, 200, "{}", r.text());
}

/// How many documents of each console kind the office holds: what a refused request must
/// leave as it was.
async fn docs(app: &App) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for kind in
        ["account", "review", "problem", "notice", "notice_serial", "upload", "feedback_link", "settings", "template"]
    {
        for d in app.repo().docs(kind).await.unwrap() {
            out.push((format!("{kind}/{}", d.id), d.version));
        }
    }
    out
}

async fn events(app: &App, device: &Device) -> Vec<Value> {
    let pull: Pull = device.send(app, "GET", "/api/v1/pull?since=0", b"").await.json();
    pull.events.iter().map(|e| serde_json::to_value(e).unwrap()).collect()
}

async fn a_returned_finding_comes_back_changed_and_is_reworded_and_accepted(app: App) {
    let day = field_day(&app, "城南区政务服务中心", &[("san.absent", "3号窗口无人")]).await;
    let office = Console::sign_in(&app, "wang", Role::Reviewer, None).await;
    let f = &day.findings[0];

    let batches = office.read("/api/console/batches").await;
    assert_eq!((batches[0]["inspector"].as_str(), batches[0]["undecided"].as_u64()), (Some("李明"), Some(1)));
    let open = office.read("/api/console/findings?state=open").await;
    assert_eq!((open["total"].as_u64(), &open["next"]), (Some(1), &Value::Null), "one page holds it: {open}");
    let view = &open["rows"][0];
    assert_eq!(
        (view["unit"].as_str(), view["category_label"].as_str()),
        (Some("城南区政务服务中心"), Some("散 / 脱岗离岗"))
    );
    assert_eq!((view["method"].as_str(), view["severity"].as_str()), (Some("暗访"), Some("较重")));
    assert_eq!(view["evidence"][0]["taken_at"], "2026-11-10T09:21:04");
    let photo_url = view["evidence"][0]["url"].as_str().unwrap();
    let photo = office.get(photo_url).await;
    assert_eq!((photo.status, photo.header("content-type")), (200, Some("image/jpeg")));

    let before = docs(&app).await;
    let empty = office.post(&format!("/api/console/findings/{f}/return"), json!({"comment": "  "})).await;
    assert_eq!(empty.error(400).code, "invalid_input", "a return says what to fix");
    assert_eq!(docs(&app).await, before, "a refused return saves nothing");

    let returned = office.ok(&format!("/api/console/findings/{f}/return"), json!({"comment": "写明脱岗时长"})).await;
    assert_eq!(returned["state"], "returned");
    let e = events(&app, &day.device).await;
    assert_eq!((e[0]["kind"].as_str(), e[0]["comment"].as_str()), (Some("finding_returned"), Some("写明脱岗时长")));

    // The inspector fixes it on the laptop and syncs again.
    let mut payload =
        finding_payload(f, "v", &day.unit, "san.absent", "3号窗口工作人员上班时间脱岗二十分钟", local(10, 9, 20));
    payload["visit_id"] = app.repo().record(EntityKind::Finding, f).await.unwrap().unwrap().payload["visit_id"].clone();
    let mut change = day.device.change(day.seq + 1, EntityKind::Finding, f, payload);
    change.op = ChangeOp::Update;
    send(&app, &day.device, &day.device.batch(day.seq, vec![change]), None).await;
    let resent = office.read(&format!("/api/console/findings/{f}")).await;
    assert_eq!(resent["state"], "resent");
    assert_eq!(resent["changed"], json!(["description"]));

    let reworded = office
        .ok(
            &format!("/api/console/findings/{f}/wording"),
            json!({"text": "3号窗口工作人员上班时间脱岗约20分钟，群众排队无人办理"}),
        )
        .await;
    let texts: Vec<&str> =
        reworded["versions"].as_array().unwrap().iter().map(|v| v["text"].as_str().unwrap()).collect();
    assert_eq!(
        texts,
        ["3号窗口无人", "3号窗口工作人员上班时间脱岗二十分钟", "3号窗口工作人员上班时间脱岗约20分钟，群众排队无人办理"]
    );
    assert_eq!(reworded["versions"][2]["source"], "office");

    let accepted = office.ok(&format!("/api/console/findings/{f}/accept"), json!({})).await;
    assert_eq!(accepted["state"], "accepted");
    let again = office.post(&format!("/api/console/findings/{f}/accept"), json!({})).await;
    assert_eq!(again.error(409).code, "wrong_stage");
    let ledger = office.read("/api/console/problems").await;
    assert_eq!(ledger["total"], 1);
    assert_eq!(
        ledger["rows"][0]["description"], "3号窗口工作人员上班时间脱岗约20分钟，群众排队无人办理",
        "the office's wording"
    );
    assert_eq!(ledger["rows"][0]["stage_label"], "待交办");
    let kinds: Vec<Value> = events(&app, &day.device).await.iter().map(|e| e["kind"].clone()).collect();
    assert_eq!(kinds, [json!("finding_returned"), json!("finding_accepted")]);
}

async fn accept_all(office: &Console<'_>, day: &Day) -> Vec<String> {
    let mut problems = Vec::new();
    for f in &day.findings {
        let v = office.ok(&format!("/api/console/findings/{f}/accept"), json!({})).await;
        problems.push(v["problem_id"].as_str().unwrap().to_owned());
    }
    problems
}

async fn a_problem_runs_from_assignment_to_closing_and_refuses_bad_steps_whole(app: App) {
    let day = field_day(&app, "城南区政务服务中心", &[("san.absent", "3号窗口工作人员上班时间脱岗二十分钟")]).await;
    let office = Console::sign_in(&app, "wang", Role::Reviewer, None).await;
    let p = accept_all(&office, &day).await.remove(0);
    let today = Local::now().date_naive();
    let path = |step: &str| format!("/api/console/problems/{p}/{step}");

    let before = docs(&app).await;
    let past = json!({"unit": "城南区政务服务中心", "deadline": (today - Duration::days(1)).to_string()});
    assert_eq!(office.post(&path("assign"), past).await.error(400).code, "deadline_past");
    let nowhere = json!({"unit": "城北区不存在的局", "deadline": (today + Duration::days(10)).to_string()});
    assert_eq!(office.post(&path("assign"), nowhere).await.error(404).code, "unknown_unit");
    let not_a_date = json!({"unit": "城南区政务服务中心", "deadline": "2026-02-30"});
    assert_eq!(office.post(&path("assign"), not_a_date).await.error(400).code, "invalid_input");
    assert_eq!(office.post(&path("close"), json!({})).await.error(409).code, "wrong_stage", "closing before 交办");
    let fake = office.upload("整改报告.pdf", "application/pdf", b"MZ\x90\x00 this is a program").await;
    assert_eq!(fake.error(400).code, "bad_upload");
    assert_eq!(docs(&app).await, before, "nothing of the refused steps was saved");

    let soon = (today + Duration::days(2)).to_string();
    let assigned = office
        .ok(
            &path("assign"),
            json!({"unit": "城南区政务服务中心", "person": "王科长", "deadline": soon, "measures": "落实AB岗"}),
        )
        .await;
    assert_eq!(assigned["row"]["responsible"], "城南区政务服务中心 / 王科长");
    assert_eq!(assigned["row"]["light"], "yellow", "due within three days");
    let lights = office.read("/api/console/lights").await;
    assert_eq!(lights["units"][0], json!({"unit": "城南区政务服务中心", "red": 0, "yellow": 1}));
    assert_eq!(lights["yellow"]["rows"][0]["id"], p.as_str());

    let file: Value = office.upload("整改照片.jpg", "image/jpeg", &photo()).await.json();
    let reported =
        office.ok(&path("feedback"), json!({"text": "已调整排班，设置AB岗", "files": [file["sha256"]]})).await;
    assert_eq!(reported["row"]["stage"], "reported");
    assert_eq!(reported["feedback"][0]["files"][0]["name"], "整改照片.jpg");
    let failed = office.ok(&path("verify"), json!({"pass": false, "comment": "回头看时3号窗口仍无人"})).await;
    assert_eq!(
        (failed["row"]["stage"].as_str(), failed["row"]["verification"].as_str()),
        (Some("assigned"), Some("复核未通过：回头看时3号窗口仍无人"))
    );

    // The unit reports again through its one-time link, without an account.
    let link = office.ok(&path("link"), json!({})).await;
    let token = link["token"].as_str().unwrap();
    let summary: Value = http(app.addr(), "GET", &format!("/api/feedback/{token}"), &[], b"").await.json();
    assert_eq!(summary["unit"], "城南区政务服务中心");
    let report = json!({"text": "已落实AB岗并公示", "files": []}).to_string();
    let r = http(app.addr(), "POST", &format!("/api/feedback/{token}"), &[csrf()], report.as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let spent = http(app.addr(), "POST", &format!("/api/feedback/{token}"), &[csrf()], report.as_bytes()).await;
    assert_eq!(spent.error(409).code, "wrong_stage", "a link reports once");

    let passed = office.ok(&path("verify"), json!({"pass": true, "comment": "回头看已整改"})).await;
    assert_eq!(passed["row"]["light"], Value::Null, "a verified problem no longer lights");
    let closed = office.ok(&path("close"), json!({})).await;
    assert_eq!(
        (closed["row"]["stage_label"].as_str(), closed["row"]["closed"].as_str()),
        (Some("已销号"), Some(today.to_string().as_str()))
    );
    let actions: Vec<&str> =
        closed["history"].as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["采纳入账", "交办", "整改反馈", "复核未通过，退回整改", "整改反馈", "复核通过", "销号"]);
}

async fn notices_are_numbered_per_year_and_hold_every_chosen_problem(app: App) {
    let day = field_day(
        &app,
        "城南区政务服务中心",
        &[
            ("san.absent", "3号窗口工作人员上班时间脱岗二十分钟"),
            ("san.gaming", "综合受理区工作人员上班时间玩手机游戏"),
        ],
    )
    .await;
    let office = Console::sign_in(&app, "wang", Role::Reviewer, None).await;
    let problems = accept_all(&office, &day).await;

    let before = docs(&app).await;
    let empty =
        office.post("/api/console/notices", json!({"title": "关于作风效能暗访情况的通报", "problem_ids": []})).await;
    assert_eq!(empty.error(400).code, "empty_notice");
    let unknown = office.post("/api/console/notices", json!({"title": "通报", "problem_ids": ["nope"]})).await;
    assert_eq!(unknown.error(404).code, "not_found");
    assert_eq!(docs(&app).await, before, "a refused notice takes no number");

    let first = office
        .ok("/api/console/notices", json!({"title": "关于2026年11月作风效能暗访情况的通报", "problem_ids": problems, "name_persons": true, "include_photos": true}))
        .await;
    let year = Local::now().date_naive().format("%Y").to_string();
    assert_eq!(first["number"], format!("效能〔{year}〕1号"));
    let second = office
        .ok(
            "/api/console/notices",
            json!({"title": "第二期通报", "problem_ids": [problems[1]], "include_photos": false}),
        )
        .await;
    assert_eq!(second["number"], format!("效能〔{year}〕2号"));

    // The notice's evidence verifies end to end: its problems → findings → changes and photo.
    use mingcha_server::custody::verify::Scope;
    let key = app.server.office.key().unwrap().verifying_key();
    let blobs = app.server.office.blobs.as_ref();
    let number = first["number"].as_str().unwrap().to_owned();
    let report = mingcha_server::custody::verify_scope(app.repo(), blobs, &key, &Scope::Notice(number)).await.unwrap();
    let text = report.lines(false).join("\n");
    assert!(report.holds, "{text}");
    assert!(text.contains(&format!("blob {}…", &sha256(&photo())[..12])), "the notice's photo is checked:\n{text}");
    assert!(text.contains(&day.findings[0]), "and its finding's changes:\n{text}");
    let unknown = Scope::Notice("效能〔1999〕9号".into());
    assert!(!mingcha_server::custody::verify_scope(app.repo(), blobs, &key, &unknown).await.unwrap().holds);

    let docx = office.get(&format!("/api/console/notices/{}/docx", first["id"].as_str().unwrap())).await;
    assert_eq!(docx.status, 200);
    assert!(
        docx.header("content-disposition").unwrap().contains("filename*=utf-8''"),
        "{:?}",
        docx.header("content-disposition")
    );
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx.body)).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").unwrap(), &mut xml).unwrap();
    for expected in [
        "关于2026年11月作风效能暗访情况的通报",
        &format!("效能〔{year}〕1号"),
        "脱岗二十分钟",
        "玩手机游戏",
        "城南区政务服务中心",
        "窗口工作人员刘某",
    ] {
        assert!(xml.contains(expected), "the notice holds {expected}");
    }
    let media = (0..zip.len()).filter(|i| zip.by_index(*i).unwrap().name().starts_with("word/media/")).count();
    assert_eq!(media, 1, "the one photo, re-encoded");
    let list = office.read("/api/console/notices").await;
    assert_eq!(list.as_array().unwrap().len(), 2);
}

async fn roles_sessions_and_the_console_header_guard_every_write(app: App) {
    let day = field_day(&app, "城南区政务服务中心", &[("san.absent", "3号窗口无人"), ("san.gaming", "玩游戏")]).await;
    let admin = Console::sign_in(&app, "admin", Role::Admin, None).await;
    let viewer = Console::sign_in(&app, "zhao", Role::Viewer, None).await;
    let f = &day.findings[0];

    let anonymous = http(app.addr(), "GET", "/api/console/findings", &[], b"").await;
    assert_eq!(anonymous.error(401).code, "not_signed_in");
    let wrong = json!({"username": "zhao", "password": "wrong password!"}).to_string();
    assert_eq!(
        http(app.addr(), "POST", "/api/console/login", &[csrf()], wrong.as_bytes()).await.error(401).code,
        "bad_login"
    );
    let no_such = json!({"username": "nobody", "password": PASSWORD}).to_string();
    assert_eq!(
        http(app.addr(), "POST", "/api/console/login", &[csrf()], no_such.as_bytes()).await.error(401).code,
        "bad_login"
    );

    assert_eq!(viewer.read("/api/console/findings").await["rows"].as_array().unwrap().len(), 2, "a viewer reads");
    assert_eq!(viewer.post(&format!("/api/console/findings/{f}/accept"), json!({})).await.error(403).code, "forbidden");
    let forged = http(
        app.addr(),
        "POST",
        &format!("/api/console/findings/{f}/accept"),
        &[("cookie".into(), admin.cookie.clone())],
        b"{}",
    )
    .await;
    assert_eq!(forged.error(403).code, "csrf", "a write without the console's header is refused");
    assert_eq!(admin.read(&format!("/api/console/findings/{f}")).await["state"], "new");

    // A unit contact sees only the problems handed to its unit.
    let problems = accept_all(&admin, &day).await;
    let deadline = (Local::now().date_naive() + Duration::days(10)).to_string();
    admin
        .ok(&format!("/api/console/problems/{}/assign", problems[0]), json!({"unit": day.unit, "deadline": deadline}))
        .await;
    let unit = Console::sign_in(&app, "unit-cn", Role::Unit, Some("城南区政务服务中心")).await;
    let theirs = unit.read("/api/console/problems").await;
    assert_eq!(theirs["total"], 1);
    assert_eq!(unit.get(&format!("/api/console/problems/{}", problems[1])).await.error(404).code, "not_found");
    assert_eq!(unit.get("/api/console/findings").await.error(403).code, "forbidden");
    // The verified mark under a photo: office staff get its checks; a unit contact may not ask.
    let verify = format!("/api/console/photos/{}/verify", sha256(&photo()));
    let report = admin.read(&verify).await;
    assert_eq!(report["holds"], true, "{report}");
    assert!(report["checks"].as_array().unwrap().iter().any(|c| c["kind"] == "blob" && c["ok"] == true));
    assert_eq!(unit.get(&verify).await.error(403).code, "forbidden");
    let seen = unit.read(&format!("/api/console/problems/{}", problems[0])).await;
    assert!(
        seen.get("finding").is_none() && seen.get("persons").is_none(),
        "a unit reads what to fix, not the finding with its persons and covert photos: {seen}"
    );
    assert_eq!(seen["seq"], 1);
    unit.ok(&format!("/api/console/problems/{}/feedback", problems[0]), json!({"text": "已整改"})).await;
    assert_eq!(
        unit.post(&format!("/api/console/problems/{}/verify", problems[0]), json!({"pass": true}))
            .await
            .error(403)
            .code,
        "forbidden"
    );

    // Disabling an account ends its sessions; logging out ends one.
    let r = http(
        app.addr(),
        "PATCH",
        "/api/console/accounts/zhao",
        &admin.headers(),
        json!({"disabled": true}).to_string().as_bytes(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(viewer.get("/api/console/me").await.error(401).code, "not_signed_in");
    admin.ok("/api/console/logout", json!({})).await;
    assert_eq!(admin.get("/api/console/me").await.error(401).code, "not_signed_in");
    let accounts = app.repo().docs("account").await.unwrap();
    assert!(accounts.iter().all(|a| a.body["password_hash"].as_str().unwrap().starts_with("$argon2id$")));
}

async fn the_ledger_filters_in_chinese_and_exports_what_it_shows(app: App) {
    let day = field_day(
        &app,
        "城南区政务服务中心",
        &[("san.absent", "3号窗口工作人员上班时间脱岗二十分钟"), ("lan.slow", "不动产登记窗口办件超时未办结")],
    )
    .await;
    let office = Console::sign_in(&app, "wang", Role::Reviewer, None).await;
    accept_all(&office, &day).await;

    let q = |s: &str| format!("/api/console/problems?q={}", encode(s));
    assert_eq!(office.read(&q("脱岗")).await["total"], 1);
    assert_eq!(office.read(&q("窗口")).await["total"], 2);
    assert_eq!(office.read(&q("城南 超时")).await["total"], 1);
    assert_eq!(office.read("/api/console/problems?category=san").await["total"], 1);
    assert_eq!(office.read("/api/console/problems?from=2026-11-11").await["total"], 0);
    assert_eq!(office.read("/api/console/problems?from=2026-11-10&to=2026-11-10").await["total"], 2, "the day itself");
    assert_eq!(office.read("/api/console/problems?method=%E6%9A%97%E8%AE%BF").await["total"], 2);
    assert_eq!(office.get("/api/console/problems?from=2026-13-01").await.error(400).code, "bad_request");

    let xlsx = office.get("/api/console/ledger.xlsx?category=san").await;
    assert_eq!(xlsx.status, 200);
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.body)).unwrap();
    let sheet = calamine::Reader::worksheet_range(&mut book, "台账").unwrap();
    let rows: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    let header = rows.iter().position(|r| r.first().is_some_and(|c| c == "序号")).expect("a header row");
    assert_eq!(rows[header][..3], ["序号", "单位", "问题描述"]);
    let body: Vec<_> = rows[header + 1..].iter().filter(|r| r.iter().any(|c| !c.is_empty())).collect();
    assert_eq!(body.len(), 1, "only the filtered rows: {body:?}");
    assert_eq!(
        (body[0][1].as_str(), body[0][2].as_str()),
        ("城南区政务服务中心", "3号窗口工作人员上班时间脱岗二十分钟")
    );
}

async fn templates_and_the_taxonomy_reach_devices_only_as_newer_versions(app: App) {
    let (device, _) = app.enrolled("李明").await;
    let admin = Console::sign_in(&app, "admin", Role::Admin, None).await;
    let reviewer = Console::sign_in(&app, "wang", Role::Reviewer, None).await;
    let list = admin.read("/api/console/templates").await;
    let ws = list.as_array().unwrap().iter().find(|t| t["code"] == "window-service").unwrap();
    assert_eq!(ws["source"], "builtin");
    let mut template = admin.read("/api/console/templates/window-service").await;
    let version = template["version"].as_u64().unwrap();

    let same = admin.post("/api/console/templates", template.clone()).await;
    assert_eq!(same.error(400).code, "invalid_input", "the same version again");
    template["version"] = json!(version + 1);
    template["name"] = json!("窗口服务规范（2026修订）");
    assert_eq!(reviewer.post("/api/console/templates", template.clone()).await.error(403).code, "forbidden");
    let mut broken = template.clone();
    broken["sections"][0]["items"][0]["category"] = json!("no.such-category");
    assert_eq!(admin.post("/api/console/templates", broken).await.error(400).code, "invalid_input");
    assert!(events(&app, &device).await.is_empty(), "nothing refused reached the device");

    admin.ok("/api/console/templates", template).await;
    let list = admin.read("/api/console/templates").await;
    let ws = list.as_array().unwrap().iter().find(|t| t["code"] == "window-service").unwrap();
    assert_eq!((ws["version"].as_u64(), ws["source"].as_str()), (Some(version + 1), Some("office")));

    let mut taxonomy = admin.read("/api/console/taxonomy").await;
    let t_version = taxonomy["version"].as_u64().unwrap();
    taxonomy["version"] = json!(t_version + 1);
    admin.ok("/api/console/taxonomy", taxonomy).await;
    let kinds: Vec<Value> = events(&app, &device).await.iter().map(|e| e["kind"].clone()).collect();
    assert_eq!(kinds, [json!("template_published"), json!("taxonomy_published")]);
}

async fn duplicates_merge_into_one_finding_of_the_same_unit(app: App) {
    let day = field_day(
        &app,
        "城南区政务服务中心",
        &[("san.absent", "3号窗口无人"), ("san.absent", "3号窗口工作人员不在岗")],
    )
    .await;
    let other = field_day(&app, "城北区不动产登记中心", &[("san.absent", "2号窗口无人")]).await;
    let office = Console::sign_in(&app, "wang", Role::Reviewer, None).await;
    let (a, b) = (&day.findings[0], &day.findings[1]);
    let elsewhere = office.post(&format!("/api/console/findings/{a}/merge"), json!({"into": other.findings[0]})).await;
    assert_eq!(elsewhere.error(400).code, "invalid_input");
    let merged = office.ok(&format!("/api/console/findings/{b}/merge"), json!({"into": a})).await;
    assert_eq!(merged["merged"], json!([b]));
    assert_eq!(office.read(&format!("/api/console/findings/{b}")).await["state"], "merged");
    assert_eq!(
        office.read("/api/console/findings?state=open").await["rows"].as_array().unwrap().len(),
        2,
        "a and the other unit's"
    );
    assert_eq!(
        office.post(&format!("/api/console/findings/{b}/accept"), json!({})).await.error(409).code,
        "wrong_stage"
    );
}

async fn wrong_passwords_lock_the_username_even_for_the_right_one_and_the_admin_reads_it_in_the_audit(app: App) {
    let admin = Console::sign_in(&app, "admin", Role::Admin, None).await;
    let viewer = Console::sign_in(&app, "zhao", Role::Viewer, None).await;
    let login = |password: &str| json!({"username": "zhao", "password": password}).to_string();
    for _ in 0..5 {
        let r = http(app.addr(), "POST", "/api/console/login", &[csrf()], login("guess").as_bytes()).await;
        assert_eq!(r.error(401).code, "bad_login");
    }
    // The sixth try is refused before the password is looked at: the right one too.
    let r = http(app.addr(), "POST", "/api/console/login", &[csrf()], login(PASSWORD).as_bytes()).await;
    let e = r.error(429);
    assert_eq!(e.code, "rate_limited");
    let retry: u64 = r.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=15 * 60).contains(&retry), "{retry}");
    assert!(r.header("set-cookie").is_none(), "no session for a locked username");
    // Another username from the same address still signs in: the address limit is higher.
    Console::login(&app, "admin").await;

    let failed = admin.read("/api/console/audit?action=login_failed").await;
    assert_eq!(failed["total"], 5, "{failed}");
    let row = &failed["rows"][0];
    assert_eq!((row["actor"].as_str(), row["detail"]["reason"].as_str()), (Some("zhao"), Some("wrong_password")));
    assert_eq!(row["client"], "127.0.0.1");
    let tripped = admin.read("/api/console/audit?action=rate_limited").await;
    assert_eq!(tripped["total"], 1, "one row when the limit trips: {tripped}");
    assert_eq!(tripped["rows"][0]["detail"]["scope"], "username");

    // Filters and pages: by actor, by day, two rows a page, newest first. zhao's rows: the
    // first sign-in, five failures and the trip.
    let zhao = admin.read("/api/console/audit?actor=zhao&per_page=2&page=2").await;
    assert_eq!((zhao["total"].as_u64(), zhao["rows"].as_array().map(Vec::len)), (Some(7), Some(2)), "{zhao}");
    let first = admin.read("/api/console/audit?actor=zhao&per_page=2").await;
    assert!(first["rows"][0]["seq"].as_u64() > zhao["rows"][0]["seq"].as_u64(), "newest first");
    let today = Local::now().date_naive();
    let on_today = admin.read(&format!("/api/console/audit?actor=zhao&from={today}&to={today}")).await;
    assert_eq!(on_today["total"], 7);
    let tomorrow = today + Duration::days(1);
    assert_eq!(admin.read(&format!("/api/console/audit?from={tomorrow}")).await["total"], 0);
    let backwards = admin.get(&format!("/api/console/audit?from={tomorrow}&to={today}")).await;
    assert_eq!(backwards.error(400).code, "invalid_input");

    // Only the admin reads it.
    assert_eq!(viewer.get("/api/console/audit").await.error(403).code, "forbidden");
    let anonymous = http(app.addr(), "GET", "/api/console/audit", &[], b"").await;
    assert_eq!(anonymous.error(401).code, "not_signed_in");
    let logins = admin.read("/api/console/audit?action=login").await;
    assert_eq!(logins["total"], 3, "admin twice and zhao once signed in: {logins}");
}

async fn console_writes_and_revocations_are_audited_and_take_effect_at_once(app: App) {
    let (device, _) = app.enrolled("李明").await;
    let admin = Console::sign_in(&app, "admin", Role::Admin, None).await;
    let viewer = Console::sign_in(&app, "zhao", Role::Viewer, None).await;
    assert_eq!(device.send(&app, "GET", "/api/v1/pull?since=0", b"").await.status, 200);

    admin.ok(&format!("/api/console/devices/{}/revoke", device.id), json!({})).await;
    // Its very next request is refused.
    assert_eq!(device.send(&app, "GET", "/api/v1/pull?since=0", b"").await.error(403).code, "device_revoked");
    // A refused write is audited as well, with its status.
    assert_eq!(viewer.post("/api/console/inspectors", json!({"name": "王五"})).await.error(403).code, "forbidden");
    // A disabled account is refused at its very next request.
    let r = http(
        app.addr(),
        "PATCH",
        "/api/console/accounts/zhao",
        &admin.headers(),
        json!({"disabled": true}).to_string().as_bytes(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(viewer.get("/api/console/findings").await.error(401).code, "not_signed_in");
    admin.ok("/api/console/logout", json!({})).await;

    let rows = app.repo().audit(&mingcha_server::repo::AuditQuery { limit: 100, ..Default::default() }).await.unwrap();
    let find = |action: &str| rows.rows.iter().find(|r| r.entry.action == action).map(|r| r.entry.clone());
    let revoke = find("POST /api/console/devices/{id}/revoke").expect("the revocation is audited");
    assert_eq!(revoke.actor, "admin");
    assert_eq!(revoke.target, Some(format!("/api/console/devices/{}/revoke", device.id)));
    assert_eq!((revoke.detail["status"].as_u64(), revoke.client.as_deref()), (Some(200), Some("127.0.0.1")));
    let refused = find("POST /api/console/inspectors").expect("a refused write is audited");
    assert_eq!((refused.actor.as_str(), refused.detail["status"].as_u64()), ("zhao", Some(403)));
    let disabled = find("PATCH /api/console/accounts/{username}").expect("the account change");
    assert_eq!(disabled.target.as_deref(), Some("/api/console/accounts/zhao"));
    assert!(find("logout").is_some_and(|r| r.actor == "admin"));
    assert!(find("enroll").is_some_and(|r| r.actor == format!("device:{}", device.id)));

    // The table takes no change and no deletion, on either database.
    let refused = match &app.server.office.config.database_url {
        None => rusqlite::Connection::open(app.server.office.config.sqlite_path())
            .unwrap()
            .execute("DELETE FROM audit_log", [])
            .map_err(|e| e.to_string()),
        Some(url) => {
            let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
            tokio::spawn(conn);
            client.execute("UPDATE audit_log SET actor = 'nobody'", &[]).await.map(|_| 0).map_err(|e| format!("{e:?}"))
        }
    };
    assert!(refused.as_ref().is_err_and(|e| e.contains("append-only")), "{refused:?}");
    let after = app.repo().audit(&mingcha_server::repo::AuditQuery { limit: 100, ..Default::default() }).await.unwrap();
    assert!(after.total >= rows.total && after.rows.iter().all(|r| r.entry.actor != "nobody"));
}

async fn expired_sessions_are_refused_and_swept(app: App) {
    let admin = Console::sign_in(&app, "admin", Role::Admin, None).await;
    assert_eq!(app.repo().docs("session").await.unwrap().len(), 1);
    let later = Utc::now() + Duration::hours(mingcha_office::account::SESSION_HOURS) + Duration::minutes(1);
    assert_eq!(mingcha_server::console::session::sweep_sessions(app.repo(), Utc::now()).await.unwrap(), 0);
    assert_eq!(mingcha_server::console::session::sweep_sessions(app.repo(), later).await.unwrap(), 1);
    assert!(app.repo().docs("session").await.unwrap().is_empty(), "the expired session's document is gone");
    assert_eq!(admin.get("/api/console/me").await.error(401).code, "not_signed_in");
}
