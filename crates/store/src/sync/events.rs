//! Office events brought down by the pull (step 5 of `docs/sync-protocol.md`), applied a page
//! at a time in one transaction that also moves the pull cursor. Each event is taken once, by
//! the office that sent it and its seq: a page applied twice changes nothing the second time,
//! and another office's events (the laptop enrolled elsewhere, whose seqs start at 1 again)
//! are that office's own, never mistaken for ones already taken (migration 0004).
//!
//! Two kinds of writes, on purpose:
//! - what the office decides about a finding (退回 returned, 已采纳 accepted) and the catalogue
//!   it publishes (templates, the taxonomy) are the office's: stored as such, not appended to
//!   the laptop's change log;
//! - a plan assigned to the inspector becomes an ordinary plan record with its units, written
//!   through the store's [`Writer`] and logged, because the inspector visits and records
//!   findings under it (see [`Writer::put_assigned_plan`]).
//!
//! What the laptop cannot take (an unreadable file, a checklist it does not have) never stops
//! the pull: the event stays in `office_event` as received, with a note saying what was left
//! out, and the note is shown at the end of the sync.

use chrono::{DateTime, Utc};
use mingcha_core::inspection::NewPlan;
use mingcha_core::sync::{OfficeEventBody, PlanAssignment, Pull};
use mingcha_core::taxonomy::Taxonomy;
use mingcha_core::unit::NewUnit;
use rusqlite::{Connection, OptionalExtension};

use crate::error::Result;
use crate::{Store, Writer, catalog, db, time_text};

/// What one page of office events did.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Applied {
    /// Events new to this laptop.
    pub events: u64,
    /// What could not be taken in full, one line each, for the inspector.
    pub notes: Vec<String>,
}

/// What became of one event kept in `office_event`.
struct Outcome {
    applied: bool,
    note: Option<String>,
}

impl Outcome {
    fn applied() -> Self {
        Self { applied: true, note: None }
    }
    fn kept(note: Option<String>) -> Self {
        Self { applied: false, note }
    }
}

/// Apply a page of office events and move the cursor, in one transaction. A published
/// taxonomy is in the store's in-memory taxonomy and labels when this returns.
pub(crate) fn apply_pull(store: &mut Store, pull: &Pull) -> Result<Applied> {
    let now = store.clock.now();
    let mut taxonomy = store.taxonomy.clone();
    let mut taxonomy_changed = false;
    let applied = crate::write(&mut store.conn, store.identity.device_id, now, |w| {
        let office = office_key(w)?;
        let office = office.as_str();
        let mut applied = Applied::default();
        for e in &pull.events {
            let at = time_text(e.at);
            let outcome = match &e.body {
                OfficeEventBody::FindingReturned { finding_id, comment, by } => {
                    let new =
                        decide(w, (office, e.seq), &finding_id.to_string(), "returned", Some(comment), by, &at, now)?;
                    applied.events += u64::from(new);
                    continue;
                }
                OfficeEventBody::FindingAccepted { finding_id, by } => {
                    let new = decide(w, (office, e.seq), &finding_id.to_string(), "accepted", None, by, &at, now)?;
                    applied.events += u64::from(new);
                    continue;
                }
                body => {
                    if !keep(w, (office, e.seq), body, &at, now)? {
                        continue;
                    }
                    applied.events += 1;
                    match body {
                        OfficeEventBody::TemplatePublished { template } => apply_template(w, &taxonomy, template, now)?,
                        OfficeEventBody::TaxonomyPublished { taxonomy: published } => {
                            let outcome = apply_taxonomy(w, published, now)?;
                            if outcome.applied {
                                taxonomy = catalog::taxonomy(w)?;
                                taxonomy_changed = true;
                            }
                            outcome
                        }
                        OfficeEventBody::PlanAssigned { plan } => apply_plan(w, plan)?,
                        _ => Outcome::kept(None),
                    }
                }
            };
            w.execute(
                "UPDATE office_event SET applied_at = ?3, note = ?4 WHERE office_key = ?1 AND event_seq = ?2",
                (office, e.seq, outcome.applied.then(|| time_text(now)), &outcome.note),
            )?;
            applied.notes.extend(outcome.note);
        }
        w.execute("UPDATE sync_state SET pull_cursor = max(pull_cursor, ?1) WHERE slot = 1", [pull.cursor])?;
        Ok(applied)
    })?;
    if taxonomy_changed {
        store.reload_catalogue()?;
    }
    Ok(applied)
}

/// Who sent the events: the enrolled office's public key, or [`UNENROLLED`] when there is none
/// (only the store's own tests apply events without an office).
fn office_key(conn: &Connection) -> Result<String> {
    let key: Option<String> =
        conn.query_row("SELECT server_key FROM sync_server WHERE slot = 1", [], |r| r.get(0)).optional()?;
    Ok(key.unwrap_or_else(|| UNENROLLED.to_owned()))
}

/// The office of events taken with no office enrolled, as migration 0004 names it.
const UNENROLLED: &str = "unenrolled";

/// Record an office decision and move the finding's status. Not a device change, so not
/// logged. True when the decision is new (the event is the office's key and its seq).
#[allow(clippy::too_many_arguments)]
fn decide(
    conn: &Connection,
    (office, seq): (&str, u64),
    finding_id: &str,
    kind: &str,
    comment: Option<&str>,
    by: &str,
    at: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let new = conn.execute(
        "INSERT INTO office_decision (office_key, event_seq, finding_id, kind, comment, decided_by, decided_at, applied_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (office_key, event_seq) DO NOTHING",
        (office, seq, finding_id, kind, comment, by, at, time_text(now)),
    )?;
    if new == 1 {
        conn.execute("UPDATE finding SET status = ?2 WHERE id = ?1", (finding_id, kind))?;
    }
    Ok(new == 1)
}

/// Keep any other event as received, so nothing the office sent is lost. True when it is new.
fn keep(
    conn: &Connection,
    (office, seq): (&str, u64),
    body: &OfficeEventBody,
    at: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let value = serde_json::to_value(body)?;
    let kind = value.get("kind").and_then(serde_json::Value::as_str).unwrap_or("unknown").to_owned();
    let new = conn.execute(
        "INSERT INTO office_event (office_key, event_seq, kind, body, at, received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (office_key, event_seq) DO NOTHING",
        (office, seq, &kind, value.to_string(), at, time_text(now)),
    )?;
    Ok(new == 1)
}

/// A template the office published, stored when it is valid and newer than what the store
/// has. One that is not valid stays in `office_event` for a later build to look at.
fn apply_template(
    conn: &Connection,
    taxonomy: &Taxonomy,
    template: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    let t = match mingcha_core::assets::parse_template("office", &template.to_string(), taxonomy) {
        Ok(t) => t,
        Err(e) => return Ok(Outcome::kept(Some(format!("a checklist template from the office was not taken: {e}")))),
    };
    let newest: Option<u32> =
        conn.query_row("SELECT max(version) FROM checklist_template WHERE code = ?1", [&t.code], |r| r.get(0))?;
    if newest.is_some_and(|n| t.version <= n) {
        return Ok(Outcome::kept(None));
    }
    catalog::insert_template(conn, &t, "office", now)?;
    Ok(Outcome::applied())
}

/// The taxonomy the office published, checked with the same parser as the built-in file, and
/// then made the store's taxonomy unless it is older than the one the store has (a later
/// publication of the same version replaces it). Codes it no longer lists are retired, never
/// deleted: see [`catalog::store_taxonomy`].
fn apply_taxonomy(conn: &Connection, published: &serde_json::Value, now: DateTime<Utc>) -> Result<Outcome> {
    let t = match mingcha_core::assets::parse_taxonomy("office taxonomy", &published.to_string()) {
        Ok(t) => t,
        Err(e) => {
            return Ok(Outcome::kept(Some(format!(
                "the taxonomy from the office was not taken, the categories are unchanged: {e}"
            ))));
        }
    };
    let stored: u32 = db::meta(conn, "taxonomy_version")?.and_then(|v| v.parse().ok()).unwrap_or(0);
    if t.version < stored {
        return Ok(Outcome::kept(Some(format!(
            "the office's taxonomy v{} is older than this laptop's v{stored}; the categories are unchanged",
            t.version
        ))));
    }
    catalog::store_taxonomy(conn, &t, now)?;
    Ok(Outcome::applied())
}

/// A plan assigned to this inspector, made (or updated) under the office's plan id. A plan
/// whose title, dates or team this laptop would refuse is not taken. A unit name it would
/// refuse, or a checklist template it does not have, is left out of the plan and named in
/// the note; the plan is still taken, because the visits are what matter, and a template the
/// office publishes later can be filled by its code on any visit.
fn apply_plan(w: &Writer<'_>, plan: &PlanAssignment) -> Result<Outcome> {
    let new = match NewPlan::parse(&plan.title, plan.kind, plan.starts_on, plan.ends_on, &plan.team) {
        Ok(new) => new,
        Err(e) => return Ok(Outcome::kept(Some(format!("plan `{}` from the office was not taken: {e}", plan.title)))),
    };
    let mut left_out = Vec::new();
    let mut units = Vec::new();
    for name in &plan.units {
        match NewUnit::parse(name, None, &[]) {
            Ok(u) => units.push(u),
            Err(e) => left_out.push(format!("unit `{name}` ({e})")),
        }
    }
    let mut checklists = Vec::new();
    for code in &plan.templates {
        match catalog::template_code(w, code)? {
            Some(code) => checklists.push(code),
            None => left_out.push(format!("checklist `{code}` (not on this laptop)")),
        }
    }
    w.put_assigned_plan(plan.plan_id, new, &units, &checklists)?;
    let note = (!left_out.is_empty())
        .then(|| format!("plan `{}` was taken without {}", plan.title.trim(), left_out.join(", ")));
    Ok(Outcome { applied: true, note })
}
