//! The office that the unit contact, the link holder and the viewer walk: one covert visit
//! (暗访) synced by an enrolled laptop, its finding reworded, returned once with a comment,
//! accepted and handed (交办) to the unit, which reported once and was answered; a second
//! unit's problem beside it with a report and a file; a notice; and a one-time link. Every
//! name that must never reach the unit is distinctive, so that meeting it in an answer's bytes
//! proves a leak.

use std::net::SocketAddr;

use chrono::{Duration, FixedOffset, Local, TimeZone, Utc};
use mingcha_core::change::EntityKind;
use mingcha_office::account::Role;
use mingcha_server::console::session::{NewAccount, create_account};
use serde_json::{Value, json};

use crate::support::{App, Device, Response, http, sha256};

mod walk;
pub use walk::{Caller, Expect, walk};

pub const INSPECTOR: &str = "欧阳明察";
pub const DEVICE_NAME: &str = "李明的笔记本";
/// (username, display name) of office staff.
pub const REVIEWER: (&str, &str) = ("shen-reviewer", "沈慎之审核");
pub const ADMIN: (&str, &str) = ("han-admin", "韩立行管理");
pub const RETURN_COMMENT: &str = "内部意见：请补拍三号窗口全景后重报";
pub const PERSONS: &str = "窗口工作人员刘某某";
pub const EVIDENCE_NAME: &str = "DSC_0417_covert.JPG";
pub const UNIT: &str = "城南区政务服务中心";
pub const OTHER_UNIT: &str = "城北区不动产登记中心";
pub const UNIT_CONTACT: &str = "cn-contact";
pub const PASSWORD: &str = "correct horse battery";
/// The wording the office accepted, and the office's answer to the unit's first report.
pub const WORDING: &str = "3号窗口工作人员上班时间脱岗约20分钟，群众排队无人办理";
pub const VERIFY_COMMENT: &str = "回头看时3号窗口仍无人值守";

/// A browser: signed in with a session cookie, or not at all.
#[derive(Debug, Clone)]
pub struct Browser {
    addr: SocketAddr,
    cookie: Option<String>,
    /// The account, if any: what `POST /api/console/login` is tried with.
    pub username: Option<String>,
}

impl Browser {
    pub fn anonymous(app: &App) -> Self {
        Self { addr: app.addr(), cookie: None, username: None }
    }

    /// A new account of `role` (bound to `unit` if given), signed in.
    pub async fn sign_in(app: &App, (username, display_name): (&str, &str), role: Role, unit: Option<&str>) -> Self {
        let input = NewAccount {
            username: username.into(),
            display_name: display_name.into(),
            role,
            password: PASSWORD.into(),
            unit: unit.map(Into::into),
        };
        create_account(app.repo(), input, "test").await.unwrap();
        let mut browser = Self { addr: app.addr(), cookie: None, username: Some(username.into()) };
        let r = browser.post("/api/console/login", json!({"username": username, "password": PASSWORD})).await;
        assert_eq!(r.status, 200, "{}", r.text());
        let set = r.header("set-cookie").expect("a session cookie");
        browser.cookie = Some(crate::support::session_cookie(set));
        browser
    }

    /// Keep the session cookie an answer sets, as a browser does (a password change ends every
    /// session and answers with a new one).
    pub fn adopt_cookie(&mut self, r: &Response) {
        if self.cookie.is_some()
            && let Some(set) = r.header("set-cookie")
        {
            self.cookie = Some(crate::support::session_cookie(set));
        }
    }

    /// A request as this browser makes it: its cookie, and the console's header on every call.
    pub async fn send(&self, method: &str, path: &str, body: &[u8], extra: &[(String, String)]) -> Response {
        let mut headers = vec![("x-mingcha-console".to_owned(), "1".to_owned())];
        if let Some(c) = &self.cookie {
            headers.push(("cookie".into(), c.clone()));
        }
        headers.extend_from_slice(extra);
        http(self.addr, method, path, &headers, body).await
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send("GET", path, b"", &[]).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.send("POST", path, body.to_string().as_bytes(), &[]).await
    }

    pub async fn ok(&self, path: &str, body: Value) -> Value {
        let r = self.post(path, body).await;
        assert_eq!(r.status, 200, "POST {path}: {}", r.text());
        r.json()
    }

    pub async fn read(&self, path: &str) -> Value {
        let r = self.get(path).await;
        assert_eq!(r.status, 200, "GET {path}: {}", r.text());
        r.json()
    }

    /// Upload `bytes` as a JPEG named `name` to `path` (`/api/console/uploads` or a link's).
    pub async fn upload(&self, path: &str, name: &str, bytes: &[u8]) -> Response {
        self.send("POST", path, bytes, &upload_headers(name)).await
    }
}

pub fn upload_headers(name: &str) -> Vec<(String, String)> {
    vec![("content-type".into(), "image/jpeg".into()), ("x-file-name".into(), percent(name))]
}

pub fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect()
}

pub use crate::support::jpeg_of as jpeg;

/// What the fixture made, by id.
#[derive(Debug)]
pub struct Covert {
    pub device: Device,
    pub inspector_id: String,
    pub batch_id: String,
    pub finding: String,
    pub other_finding: String,
    pub problem: String,
    pub other_problem: String,
    pub evidence_sha256: String,
    /// A file the reviewer attached to the other unit's report.
    pub other_report_file: String,
    pub notice: String,
    /// A live one-time link for the unit's problem.
    pub token: String,
    pub reviewer: Browser,
    pub unit_contact: Browser,
}

fn local(day: u32, hour: u32, minute: u32) -> chrono::DateTime<FixedOffset> {
    FixedOffset::east_opt(8 * 3600).unwrap().with_ymd_and_hms(2026, 11, day, hour, minute, 0).unwrap()
}

fn finding(id: &str, visit: &str, unit: &str, spot: Option<&str>, text: &str, minute: u32) -> Value {
    json!({
        "id": id, "visit_id": visit, "unit_id": unit, "spot_id": spot, "observed_at": local(10, 9, minute),
        "method": "covert", "category": "san.absent", "severity": "serious", "description": text,
        "persons_involved": PERSONS, "checklist_item": null, "status": "submitted",
        "created_at": Utc::now(), "updated_at": Utc::now(),
    })
}

fn visit(id: &str, unit: &str) -> Value {
    json!({
        "id": id, "plan_id": null, "unit_id": unit, "spot_id": null, "kind": "covert", "date": "2026-11-10",
        "arrived_at": null, "left_at": null, "inspectors": [INSPECTOR], "notes": null, "created_at": Utc::now(),
    })
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// What a unit reads, as a unit contact or a viewer bound to the unit: its session, its own
/// ledger (rows, export, each problem, lights) and the categories of its own problems.
pub const UNIT_READS: &[&str] = &[
    "/api/console/me",
    "/api/console/categories",
    "/api/console/problems",
    "/api/console/ledger.xlsx",
    "/api/console/problems/{id}",
    "/api/console/lights",
];

/// The covert office, built through the API as its people would.
pub async fn covert_office(app: &App) -> Covert {
    // The inspector's laptop enrolls under its own, telling name.
    let device = app.enrolled_laptop(INSPECTOR, DEVICE_NAME).await;
    let inspector_id = app.repo().inspector_by_name(INSPECTOR).await.unwrap().unwrap().id.to_string();

    // The day's batch: two units, a spot, two covert visits and findings, and a photo.
    let (unit, other_unit, spot, v1, v2, f1, f2, evidence) =
        (new_id(), new_id(), new_id(), new_id(), new_id(), new_id(), new_id(), new_id());
    let photo = jpeg(7);
    let changes = vec![
        device.change(1, EntityKind::Unit, &unit, json!({"id": unit, "name": UNIT, "region": "城南区", "created_at": Utc::now()})),
        device.change(
            2,
            EntityKind::Unit,
            &other_unit,
            json!({"id": other_unit, "name": OTHER_UNIT, "region": "城北区", "created_at": Utc::now()}),
        ),
        device.change(3, EntityKind::Spot, &spot, json!({"id": spot, "unit_id": unit, "name": "3号窗口", "created_at": Utc::now()})),
        device.change(4, EntityKind::Visit, &v1, visit(&v1, &unit)),
        device.change(5, EntityKind::Visit, &v2, visit(&v2, &other_unit)),
        device.change(6, EntityKind::Finding, &f1, finding(&f1, &v1, &unit, Some(&spot), "3号窗口无人", 20)),
        device.change(7, EntityKind::Finding, &f2, finding(&f2, &v2, &other_unit, None, "2号窗口无人", 40)),
        device.change(8, EntityKind::Evidence, &evidence, json!({
            "evidence": {"id": evidence, "target": {"kind": "finding", "finding_id": f1}, "sha256": sha256(&photo),
                         "size": photo.len(), "media_type": "image/jpeg", "original_name": EVIDENCE_NAME,
                         "imported_at": Utc::now()},
            "meta": {"taken_at": "2026-11-10T09:21:04", "taken_offset": null, "gps": null, "make": null, "model": null,
                     "orientation": null, "width": 16, "height": 12},
            "damaged": null, "sha256": sha256(&photo), "size": photo.len(),
        })),
    ];
    let batch = device.batch(0, changes);
    assert_eq!(device.offer(app, &batch).await.status, 200);
    assert_eq!(device.put(app, &sha256(&photo), 0, &photo).await.status, 200);
    let r = device.commit(app, &batch).await;
    assert_eq!(r.status, 200, "{}", r.text());

    // The office reviews: rewords, returns once with an internal comment, accepts, hands it over.
    let admin = Browser::sign_in(app, ADMIN, Role::Admin, None).await;
    let reviewer = Browser::sign_in(app, REVIEWER, Role::Reviewer, None).await;
    admin.ok(&format!("/api/console/findings/{f1}/wording"), json!({"text": WORDING})).await;
    reviewer.ok(&format!("/api/console/findings/{f1}/return"), json!({"comment": RETURN_COMMENT})).await;
    let problem = reviewer.ok(&format!("/api/console/findings/{f1}/accept"), json!({})).await["problem_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other_problem = reviewer.ok(&format!("/api/console/findings/{f2}/accept"), json!({})).await["problem_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let deadline = (Local::now().date_naive() + Duration::days(10)).to_string();
    let assign =
        |unit: &str| json!({"unit": unit, "person": "王科长", "deadline": deadline, "measures": "落实AB岗，离岗登记"});
    reviewer.ok(&format!("/api/console/problems/{problem}/assign"), assign(UNIT)).await;
    reviewer.ok(&format!("/api/console/problems/{other_problem}/assign"), assign(OTHER_UNIT)).await;

    // The other unit's report, entered by the office with a file.
    let r = reviewer.upload("/api/console/uploads", "城北整改照片.jpg", &jpeg(21)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let other_report_file = r.json::<Value>()["sha256"].as_str().unwrap().to_owned();
    reviewer
        .ok(
            &format!("/api/console/problems/{other_problem}/feedback"),
            json!({"text": "已调整排班", "files": [other_report_file]}),
        )
        .await;

    let notice = reviewer
        .ok(
            "/api/console/notices",
            json!({"title": "关于作风效能暗访情况的通报", "problem_ids": [problem, other_problem],
                   "name_persons": true, "include_photos": true}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The unit reports once through its contact, and the office answers.
    let unit_contact = Browser::sign_in(app, (UNIT_CONTACT, "城南中心联系人小周"), Role::Unit, Some(UNIT)).await;
    unit_contact
        .ok(&format!("/api/console/problems/{problem}/feedback"), json!({"text": "已调整排班，设置AB岗"}))
        .await;
    reviewer
        .ok(&format!("/api/console/problems/{problem}/verify"), json!({"pass": false, "comment": VERIFY_COMMENT}))
        .await;
    let token = reviewer.ok(&format!("/api/console/problems/{problem}/link"), json!({})).await["token"]
        .as_str()
        .unwrap()
        .to_owned();

    Covert {
        inspector_id,
        batch_id: batch.manifest.batch_id.to_string(),
        device,
        finding: f1,
        other_finding: f2,
        problem,
        other_problem,
        evidence_sha256: sha256(&photo),
        other_report_file,
        notice,
        token,
        reviewer,
        unit_contact,
    }
}

impl Covert {
    /// Everything whose presence in an answer would tell the unit who inspected it, with what,
    /// or who at the office handled it.
    pub fn secrets(&self) -> Vec<String> {
        let mut s: Vec<String> =
            [INSPECTOR, DEVICE_NAME, REVIEWER.0, REVIEWER.1, ADMIN.0, ADMIN.1, RETURN_COMMENT, PERSONS, EVIDENCE_NAME]
                .map(str::to_owned)
                .to_vec();
        s.extend([
            self.device.id.to_string(),
            self.inspector_id.clone(),
            self.batch_id.clone(),
            self.evidence_sha256.clone(),
        ]);
        s
    }
}
