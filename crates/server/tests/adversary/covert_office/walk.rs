//! The walk: every route of the console, as one caller, each answer held to what the caller
//! may get and searched for every secret of the covert office.

use std::io::Read;

use axum::http::Method;
use chrono::{Duration, Local};
use serde_json::{Value, json};

use super::{Browser, Covert, INSPECTOR, OTHER_UNIT, PASSWORD, REVIEWER, jpeg, percent, upload_headers};
use crate::support::Response;

impl Covert {
    /// The request a caller makes of a route: the path with real ids (and `token` for a
    /// link's), and a body that would do something real if the caller were let through.
    pub fn request(&self, method: &Method, route: &str, caller: &Caller) -> (String, Vec<u8>, Vec<(String, String)>) {
        let mut path = String::new();
        let mut before = "";
        for part in route.split('/').skip(1) {
            let filled = match part {
                "{username}" => REVIEWER.0.to_owned(),
                "{name}" => percent(INSPECTOR),
                "{code}" => "window-service".to_owned(),
                "{sha256}" => self.evidence_sha256.clone(),
                "{token}" => caller.token.clone(),
                "{*path}" => "index.js".to_owned(),
                "{id}" => match before {
                    "devices" => self.device.id.to_string(),
                    "findings" => self.finding.clone(),
                    "problems" => self.problem.clone(),
                    "notices" => self.notice.clone(),
                    other => panic!("teach the adversary walk what {{id}} after `{other}` is, in {route}"),
                },
                p if p.starts_with('{') => panic!("teach the adversary walk what {p} is, in {route}"),
                p => p.to_owned(),
            };
            path.push('/');
            path.push_str(&filled);
            before = part;
        }
        let deadline = (Local::now().date_naive() + Duration::days(5)).to_string();
        let body = match (method.as_str(), route) {
            ("GET", _) => return (path, Vec::new(), Vec::new()),
            (_, r) if r.ends_with("/uploads") => return (path, jpeg(99), upload_headers("整改照片.jpg")),
            (_, "/api/console/login") => json!({"username": caller.browser.username, "password": PASSWORD}),
            (_, "/api/console/password") => json!({"old": PASSWORD, "new": PASSWORD}),
            (_, "/api/console/accounts") => json!({"username": "intruder", "display_name": "冒名者",
                "role": "admin", "password": PASSWORD}),
            (_, "/api/console/accounts/{username}") => json!({"role": "viewer"}),
            (_, "/api/console/inspectors") => json!({"name": "冒名督查"}),
            (_, "/api/console/findings/{id}/return") => json!({"comment": "退回"}),
            (_, "/api/console/findings/{id}/wording") => json!({"text": "另一种表述"}),
            (_, "/api/console/findings/{id}/merge") => json!({"into": self.other_finding}),
            (_, "/api/console/problems/{id}/assign") => json!({"unit": OTHER_UNIT, "deadline": deadline}),
            (_, "/api/console/problems/{id}/feedback") | (_, "/api/feedback/{token}") => {
                json!({"text": "已整改完毕", "files": []})
            }
            (_, "/api/console/problems/{id}/verify") => json!({"pass": true, "comment": "通过"}),
            (_, "/api/console/settings") => json!({"issuer": "某办", "issuer_short": "某", "signer": "某办",
                "addressees": "各单位："}),
            (_, "/api/console/notices") => json!({"title": "通报", "problem_ids": [self.problem]}),
            _ => json!({}),
        };
        (path, body.to_string().into_bytes(), Vec::new())
    }
}

/// Who walks: a browser, and the link token it holds (a made-up one if it holds none).
#[derive(Debug)]
pub struct Caller {
    pub browser: Browser,
    pub token: String,
    pub name: &'static str,
}

/// What a caller must get from a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// 2xx.
    Allowed,
    /// This status and code.
    Refused(u16, &'static str),
    /// Any 4xx with a code.
    AnyRefusal,
    /// The console's pages: whatever they answer.
    Page,
}

/// Reads first, then writes; a report through a link, a password change (it ends every
/// session of the account), signing in and signing out last, as they end what came before.
fn order(method: &Method, route: &str) -> u8 {
    match (method.as_str(), route) {
        ("GET", _) => 0,
        (_, "/api/feedback/{token}") => 2,
        (_, "/api/console/password") => 3,
        (_, "/api/console/login") => 4,
        (_, "/api/console/logout") => 5,
        _ => 1,
    }
}

/// Walk every route of the console (`console::routes()`, so a new route is walked too) as
/// `caller`, and hold each answer to `expect` and to [`assert_tells_nothing`].
pub async fn walk(office: &Covert, caller: &Caller, expect: impl Fn(&Method, &str) -> Expect) {
    let mut routes = mingcha_server::console::routes();
    routes.sort_by_key(|(m, r)| order(m, r));
    let secrets = office.secrets();
    let mut browser = caller.browser.clone();
    for (method, route) in routes {
        let (path, body, headers) = office.request(&method, route, caller);
        let r = browser.send(method.as_str(), &path, &body, &headers).await;
        browser.adopt_cookie(&r);
        let what = format!("{method} {route} as {}", caller.name);
        assert_tells_nothing(&secrets, &what, &r);
        let code = serde_json::from_slice::<Value>(&r.body).ok().and_then(|v| v["code"].as_str().map(str::to_owned));
        match expect(&method, route) {
            Expect::Allowed => assert!((200..300).contains(&r.status), "{what}: {} {}", r.status, r.text()),
            Expect::Refused(status, want) => {
                assert_eq!((r.status, code.as_deref()), (status, Some(want)), "{what}: {}", r.text());
            }
            Expect::AnyRefusal => assert!(r.status >= 400 && code.is_some(), "{what}: {} {}", r.status, r.text()),
            Expect::Page => {}
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// No secret in the answer: not in its status line and headers (raw or percent-encoded), not
/// in its body, and not inside the parts of a zip body (.xlsx, .docx).
pub fn assert_tells_nothing(secrets: &[String], what: &str, r: &Response) {
    let mut texts: Vec<(String, Vec<u8>)> =
        vec![("the headers".into(), r.head.clone().into_bytes()), ("the body".into(), r.body.clone())];
    if r.body.starts_with(b"PK\x03\x04") {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(r.body.clone())).expect("a zip body opens");
        for i in 0..zip.len() {
            let mut part = zip.by_index(i).unwrap();
            let mut bytes = Vec::new();
            part.read_to_end(&mut bytes).unwrap();
            texts.push((part.name().to_owned(), bytes));
        }
    }
    for secret in secrets {
        let forms =
            [secret.clone(), secret.to_ascii_lowercase(), percent(secret), percent(secret).to_ascii_lowercase()];
        for (part, bytes) in &texts {
            for form in &forms {
                assert!(
                    !contains(bytes, form.as_bytes()),
                    "{what}: {part} holds `{secret}`:\n{}",
                    String::from_utf8_lossy(bytes)
                );
            }
        }
    }
}
