#![allow(clippy::unwrap_used)]
//! An anonymous client: no session, no enrolled key, no link. It walks every route of the
//! console and of the device API and gets a refusal with a code, never the office's data; it
//! floods enrollment with huge names and finds itself refused at the edge, rate limited, and
//! the audit log barely grown; it floods sign-in and finds no more passwords checked at once
//! than the office allows.

use chrono::Utc;
use mingcha_core::sync::EnrollRequest;
use mingcha_office::account::Role;
use mingcha_server::console::session::{NewAccount, create_account};
use mingcha_server::repo::{AuditQuery, Repo};
use serde_json::{Value, json};

use crate::support::{App, Device, FieldDay, Response, field_day, http, session_cookie};

on_both_backends!(
    every_route_refuses_an_anonymous_client_with_a_code_and_no_data,
    an_enrollment_flood_is_refused_at_the_edge_rate_limited_and_leaves_a_few_audit_rows,
    while_the_password_checks_are_all_taken_no_further_sign_in_is_checked,
);

const INSPECTOR: &str = "李明";
const LAPTOP: &str = "李明的笔记本";
const STAFF: &str = "王审核";
const DESCRIPTION: &str = "3号窗口工作人员上班时间玩手机游戏";
const PASSWORD: &str = "correct horse battery";

fn csrf() -> (String, String) {
    ("x-mingcha-console".into(), "1".into())
}

/// What the office holds before the walk: an enrolled laptop's committed day (a unit, a covert
/// finding with a photo), a reviewer who accepted the finding into the ledger.
struct Held {
    day: FieldDay,
    problem: String,
}

async fn sign_in(app: &App, username: &str, role: Role) -> String {
    let input = NewAccount {
        username: username.into(),
        display_name: STAFF.into(),
        role,
        password: PASSWORD.into(),
        unit: None,
    };
    create_account(app.repo(), input, "test").await.unwrap();
    let body = json!({"username": username, "password": PASSWORD}).to_string();
    let r = http(app.addr(), "POST", "/api/console/login", &[csrf()], body.as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.text());
    session_cookie(r.header("set-cookie").unwrap())
}

async fn hold_a_day(app: &App) -> Held {
    let day = field_day(app, INSPECTOR, LAPTOP, DESCRIPTION).await;
    let reviewer = sign_in(app, "wangsh", Role::Reviewer).await;
    let headers = [("cookie".to_owned(), reviewer), csrf()];
    let r = http(app.addr(), "POST", &format!("/api/console/findings/{}/accept", day.finding), &headers, b"{}").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let problem = r.json::<Value>()["problem_id"].as_str().unwrap().to_owned();
    Held { day, problem }
}

/// A route's path with its parameters filled with what the office really holds.
fn concrete(path: &str, held: &Held) -> String {
    let problem_route = path.contains("/problems/");
    let device = held.day.device.id.to_string();
    let id = if problem_route {
        &held.problem
    } else if path.contains("/devices/") {
        &device
    } else {
        &held.day.finding
    };
    path.replace("{id}", id)
        .replace("{sha256}", &held.day.photo)
        .replace("{batch_id}", &held.day.batch_id)
        .replace("{username}", "wangsh")
        .replace("{name}", "%E6%9D%8E%E6%98%8E")
        .replace("{code}", "work-discipline")
        .replace("{token}", &"ab".repeat(32))
        .replace("{*path}", "index.js")
}

/// The bytes that would tell who inspected, or what the office holds.
fn identity_in(r: &Response, held: &Held) -> Option<String> {
    let text = format!("{}{}", r.head, r.text());
    [
        INSPECTOR,
        LAPTOP,
        STAFF,
        "wangsh",
        DESCRIPTION,
        "刘某",
        "城南区政务服务中心",
        held.day.finding.as_str(),
        held.problem.as_str(),
    ]
    .into_iter()
    .find(|needle| text.contains(needle))
    .map(str::to_owned)
}

async fn every_route_refuses_an_anonymous_client_with_a_code_and_no_data(app: App) {
    let held = hold_a_day(&app).await;
    let mut routes: Vec<(String, String)> = mingcha_server::console::routes()
        .into_iter()
        .chain(mingcha_server::api::routes())
        .map(|(m, p)| (m.to_string(), p.to_owned()))
        .collect();
    routes.sort();
    assert!(routes.len() > 50, "the walk covers the office: {}", routes.len());
    for (method, route) in &routes {
        let path = concrete(route, &held);
        // The console's pages and the API's description are public and hold nothing.
        let public = matches!(route.as_str(), "/" | "/assets/{*path}" | "/api/health" | "/api/openapi.json");
        let body: Vec<u8> = match route.as_str() {
            "/api/console/login" => json!({"username": "wangsh", "password": "a guess at it"}).to_string().into_bytes(),
            "/api/v1/enroll" => {
                let guesser = Device::new(INSPECTOR);
                let req = EnrollRequest {
                    token: "mc1.guess".into(),
                    device_id: guesser.id,
                    device_name: "x".into(),
                    public_key: guesser.public_key(),
                    inspector_name: INSPECTOR.into(),
                };
                serde_json::to_vec(&req).unwrap()
            }
            "/api/feedback/{token}" if method == "POST" => json!({"text": "已整改"}).to_string().into_bytes(),
            _ if method == "GET" => Vec::new(),
            _ => b"{}".to_vec(),
        };
        // The console header too: it stops a browser's cross-site request, not a client.
        let r = http(app.addr(), method, &path, &[csrf()], &body).await;
        if let Some(found) = identity_in(&r, &held) {
            panic!("{method} {path} answered {} with `{found}` in it: {}", r.status, r.text());
        }
        if public {
            // (503: a server built without the console's pages says so.)
            assert!(matches!(r.status, 200 | 404 | 503), "{method} {path}: {}", r.status);
            continue;
        }
        // A device route without its signature is `401 unsigned_request`, never a 400.
        let device_route = route.starts_with("/api/v1/") && route != "/api/v1/enroll";
        if device_route {
            assert_eq!(r.status, 401, "{method} {path} unsigned: {}", r.text());
        }
        let refused = matches!(r.status, 401 | 403 | 404);
        assert!(refused, "{method} {path} answered {} to an anonymous client: {}", r.status, r.text());
        let code: Value = serde_json::from_slice(&r.body).unwrap_or_else(|_| panic!("{method} {path}: {}", r.text()));
        assert!(code["code"].as_str().is_some_and(|c| !c.is_empty()), "{method} {path}: {code}");
    }
    // The refused writes are in the audit log, and a path of any length is kept short there.
    let huge = format!("/api/console/accounts/{}", "a".repeat(8_000));
    let r = http(app.addr(), "PATCH", &huge, &[csrf()], b"{}").await;
    assert_eq!(r.error(401).code, "not_signed_in");
    let rows = app
        .repo()
        .audit(&AuditQuery {
            action: Some("PATCH /api/console/accounts/{username}".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let longest = rows.rows.iter().filter_map(|r| r.entry.target.as_ref()).map(|t| t.chars().count()).max();
    assert!(longest.is_some_and(|n| n <= mingcha_server::bounds::AUDIT_TEXT_MAX), "{longest:?}");
}

/// The audit log's size, as the rows read back.
async fn audit_bytes(repo: &dyn Repo) -> (u64, usize) {
    let page = repo.audit(&AuditQuery { limit: 10_000, ..Default::default() }).await.unwrap();
    (page.total, page.rows.iter().map(|r| serde_json::to_string(&r.entry).unwrap().len()).sum())
}

async fn an_enrollment_flood_is_refused_at_the_edge_rate_limited_and_leaves_a_few_audit_rows(app: App) {
    let before = app.counts().await;
    let (rows_before, bytes_before) = audit_bytes(app.repo()).await;
    let name = "李".repeat(350_000); // about 1 MB of UTF-8
    let mut answers = Vec::new();
    for _ in 0..20 {
        let device = Device::new("flood");
        let req = EnrollRequest {
            token: "mc1.not-a-token".into(),
            device_id: device.id,
            device_name: "flood".into(),
            public_key: "not a key".into(),
            inspector_name: name.clone(),
        };
        answers.push(app.send("POST", "/api/v1/enroll", &serde_json::to_vec(&req).unwrap()).await);
    }
    // Refused before anything is looked up, naming the field and its limit…
    for r in &answers[..10] {
        let e = r.error(400);
        assert_eq!(e.code, "too_long");
        assert_eq!(e.detail, Some(json!({"field": "inspector_name", "max": 100})));
    }
    // …and after ten refusals, refused at the door.
    for r in &answers[10..] {
        assert_eq!(r.error(429).code, "rate_limited");
        assert!(r.header("retry-after").is_some());
    }
    app.assert_nothing_stored_since(before).await;

    // A few short rows, not 20 MB: five refusals written, the rest counted, one trip.
    let (rows, bytes) = audit_bytes(app.repo()).await;
    assert_eq!(rows - rows_before, 6, "five refusals and the trip");
    assert!(bytes - bytes_before < 4096, "the audit log grew by {} bytes", bytes - bytes_before);
    let later = Utc::now() + chrono::Duration::minutes(mingcha_server::audit::REPEAT_WINDOW_MINUTES + 1);
    mingcha_server::audit::flush_repeats(app.repo(), &app.server.office.repeats, Some(later)).await;
    let failed = app
        .repo()
        .audit(&AuditQuery { action: Some("enroll_failed".into()), limit: 50, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(failed.total, 6, "five rows and one that counts the rest");
    let counted = &failed.rows[0].entry;
    assert_eq!((counted.detail["repeated"].as_u64(), counted.detail["code"].as_str()), (Some(5), Some("too_long")));
    assert!(counted.detail["first_at"].is_string() && counted.detail["last_at"].is_string(), "{}", counted.detail);
    assert!(
        failed.rows.iter().all(|r| r.entry.target.is_none() && r.entry.actor == "anonymous"),
        "a refused body names no one"
    );
    let (_, bytes) = audit_bytes(app.repo()).await;
    assert!(bytes - bytes_before < 4096, "the audit log grew by {} bytes", bytes - bytes_before);

    // The address stays locked, a good token included.
    let (device, token) = (Device::new(INSPECTOR), app.token(INSPECTOR).await);
    assert_eq!(app.enroll(&device, &token).await.error(429).code, "rate_limited");
}

async fn while_the_password_checks_are_all_taken_no_further_sign_in_is_checked(app: App) {
    let input = NewAccount {
        username: "wangsh".into(),
        display_name: STAFF.into(),
        role: Role::Reviewer,
        password: PASSWORD.into(),
        unit: None,
    };
    create_account(app.repo(), input, "test").await.unwrap();
    let limits = std::sync::Arc::clone(&app.server.office.limits);
    // Both turns taken, as by two slow verifications in progress.
    let turns = (limits.hashing.enter().await.unwrap(), limits.hashing.enter().await.unwrap());
    let flood: Vec<_> = (0..8)
        .map(|i| {
            let addr = app.addr();
            tokio::spawn(async move {
                let body = json!({"username": "wangsh", "password": format!("guess number {i}")}).to_string();
                http(addr, "POST", "/api/console/login", &[csrf()], body.as_bytes()).await
            })
        })
        .collect();
    let mut codes = Vec::new();
    for r in flood {
        let r = r.await.unwrap();
        codes.push(r.error(429).code);
    }
    codes.sort();
    // No guess was checked: five were counted and waited for a turn in vain; the other three
    // found the username locked by the five counted before them.
    assert_eq!(codes, [vec!["busy"; 5], vec!["rate_limited"; 3]].concat(), "{codes:?}");
    drop(turns);
    // The waits were not failures: the right password signs in at once.
    let body = json!({"username": "wangsh", "password": PASSWORD}).to_string();
    let r = http(app.addr(), "POST", "/api/console/login", &[csrf()], body.as_bytes()).await;
    assert_eq!(r.status, 200, "{}", r.text());
}
