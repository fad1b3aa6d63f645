//! A viewer (查看) account bound to the inspected unit, e.g. its director given a look: it
//! reads as the unit does, and writes nothing at all, not even the unit's report.

use axum::http::Method;
use mingcha_office::account::Role;

use crate::covert_office::{Browser, Caller, Expect, UNIT, UNIT_READS, covert_office, walk};
use crate::support::App;

on_both_backends!(a_viewer_bound_to_a_unit_reads_as_the_unit_and_writes_nothing);

/// Reads of its unit's ledger, and its own session; nothing else.
fn viewer_with_a_unit_may(method: &Method, route: &str) -> Expect {
    match (method.as_str(), route) {
        ("GET", "/" | "/assets/{*path}") => Expect::Page,
        (_, r) if r.starts_with("/api/feedback/") => Expect::Refused(404, "not_found"),
        ("POST", "/api/console/login" | "/api/console/logout" | "/api/console/password") => Expect::Allowed,
        ("GET", r) if UNIT_READS.contains(&r) => Expect::Allowed,
        _ => Expect::Refused(403, "forbidden"),
    }
}

/// The documents a write could change, with their versions (not sessions, nor the viewer's own
/// account, whose password it may change).
async fn documents(app: &App) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for kind in ["review", "problem", "notice", "notice_serial", "upload", "feedback_link", "settings", "template"] {
        for d in app.repo().docs(kind).await.unwrap() {
            out.push((format!("{kind}/{}", d.id), d.version));
        }
    }
    out.extend(app.repo().docs("account").await.unwrap().into_iter().map(|d| (format!("account/{}", d.id), 0)));
    out
}

async fn a_viewer_bound_to_a_unit_reads_as_the_unit_and_writes_nothing(app: App) {
    let office = covert_office(&app).await;
    let viewer = Browser::sign_in(&app, ("cn-director", "城南中心主任"), Role::Viewer, Some(UNIT)).await;
    let (docs, counts) = (documents(&app).await, app.counts().await);

    let caller = Caller { browser: viewer.clone(), token: "0".repeat(64), name: "a viewer bound to the unit" };
    walk(&office, &caller, viewer_with_a_unit_may).await;

    assert_eq!(documents(&app).await, docs, "no document was written, and no account made");
    assert_eq!(app.counts().await, counts, "no file, record or event either");
    // It read the unit's view of the problem, not the office's.
    let seen = office.unit_contact.read(&format!("/api/console/problems/{}", office.problem)).await;
    let again = Browser::sign_in(&app, ("cn-deputy", "城南中心副主任"), Role::Viewer, Some(UNIT)).await;
    assert_eq!(again.read(&format!("/api/console/problems/{}", office.problem)).await, seen);
}
