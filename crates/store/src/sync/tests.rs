//! The device's sync bookkeeping without a network: batches, receipts and office events
//! against a real encrypted store. The exchange with a real office is tested through the
//! `mingcha` binary (crates/cli/tests/sync.rs) and in the journeys (tests/).

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use ed25519_dalek::{Signer, SigningKey};
use mingcha_core::change::{ChangeOp, EntityKind};
use mingcha_core::clock::FixedClock;
use mingcha_core::finding::{FindingStatus, Severity};
use mingcha_core::id::PlanId;
use mingcha_core::id::{FindingId, InspectorId};
use mingcha_core::inspection::InspectionKind;
use mingcha_core::sync::{
    EnrollResponse, ItemOutcome, Manifest, OfficeEvent, OfficeEventBody, PlanAssignment, Pull, Receipt, ReceiptItem,
    SignedReceipt,
};
use mingcha_core::taxonomy::{Category, Taxonomy};
use mingcha_core::unit::NewUnit;
use uuid::Uuid;

use super::events;
use super::push::rebuild;
use super::state::{self, BatchRow};
use super::*;
use crate::findings::{FindingEdit, NewFinding};
use crate::{DataDir, InitOptions, KdfParams, Store};

const OFFICE_SEED: [u8; 32] = [9; 32];

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 10, 2, 0, 0).unwrap()
}

fn store(dir: &tempfile::TempDir) -> Store {
    let opts = InitOptions {
        inspector_name: "赵督查".into(),
        device_name: "t".into(),
        kdf: KdfParams { memory_kib: 1024, iterations: 1, parallelism: 1 },
    };
    let clock = Arc::new(FixedClock(now()));
    Store::init(&DataDir::new(dir.path().join("d")), "sync test pass", &opts, clock).unwrap()
}

/// A store with one finding; returns the store and the finding id.
fn with_finding(dir: &tempfile::TempDir) -> (Store, String) {
    let mut s = store(dir);
    s.add_unit(NewUnit::parse("城北区医保服务大厅", None, &[]).unwrap()).unwrap();
    let visit = s
        .add_visit(crate::visits::NewVisit {
            unit: "城北区医保服务大厅".into(),
            spot: None,
            plan: None,
            kind: InspectionKind::Open,
            date: chrono::NaiveDate::from_ymd_opt(2026, 11, 10).unwrap(),
            arrived_at: None,
            inspectors: vec![],
            notes: None,
        })
        .unwrap();
    let at = chrono::FixedOffset::east_opt(8 * 3600).unwrap().with_ymd_and_hms(2026, 11, 10, 9, 0, 0).unwrap();
    let f = s
        .add_finding(NewFinding {
            visit: visit.id.to_string(),
            spot: None,
            observed_at: at,
            method: None,
            category: Some("脱岗离岗".into()),
            severity: Severity::Minor,
            description: "窗口无人值守".into(),
            persons_involved: None,
            checklist_item: None,
        })
        .unwrap();
    (s, f.finding.id.to_string())
}

/// Persist the batch a sync would send next, as `push` does before sending.
fn persist_next_batch(s: &Store) -> (BatchRow, Manifest) {
    let acked = state::position(&s.conn).unwrap().acked_seq;
    let chain = s.chain_at(acked).unwrap();
    let m = Manifest::new(
        Uuid::from_u128(42),
        s.identity.device_id,
        acked,
        chain,
        s.changes_page(acked, Some(2000)).unwrap(),
    );
    let row = BatchRow {
        batch_id: m.batch_id,
        after_seq: acked,
        last_seq: m.last_seq(),
        manifest_sha256: state::manifest_digest(&m),
    };
    state::create_batch(&s.conn, &row, now()).unwrap();
    (row, m)
}

/// The office's log with two earlier batches of other devices, and this one appended.
fn office_log_position(m: &Manifest, committed_at: chrono::DateTime<Utc>) -> mingcha_core::custody::LogPosition {
    let mut log = mingcha_core::custody::Frontier::of(&[
        mingcha_core::custody::leaf_hash(b"an earlier batch"),
        mingcha_core::custody::leaf_hash(b"another earlier batch"),
    ]);
    log.append(m.log_entry(&state::manifest_digest(m), committed_at).leaf_hash())
}

fn office_receipt(m: &Manifest) -> SignedReceipt {
    let committed_at = Utc.with_ymd_and_hms(2026, 11, 10, 10, 0, 0).unwrap();
    let receipt = Receipt {
        batch_id: m.batch_id,
        device_id: m.device_id,
        manifest_sha256: state::manifest_digest(m),
        items: m
            .changes
            .iter()
            .map(|c| ReceiptItem { seq: c.seq, change_id: c.id, outcome: ItemOutcome::Stored })
            .collect(),
        blobs: vec![],
        acked_seq: m.last_seq(),
        committed_at,
        chain_head: m.chain_head,
        log: office_log_position(m, committed_at),
    };
    let signature =
        mingcha_core::hex::encode(&SigningKey::from_bytes(&OFFICE_SEED).sign(&receipt.signing_message()).to_bytes());
    SignedReceipt { receipt, signature }
}

fn office_key() -> String {
    mingcha_core::hex::encode(SigningKey::from_bytes(&OFFICE_SEED).verifying_key().as_bytes())
}

#[test]
fn a_receipt_counts_only_when_the_office_signed_it_for_exactly_this_batch() {
    let dir = tempfile::tempdir().unwrap();
    let (s, _) = with_finding(&dir);
    let (_, m) = persist_next_batch(&s);
    let good = office_receipt(&m);
    assert_eq!(state::check_receipt(&office_key(), &m, &good), Ok(()));

    let other_key = mingcha_core::hex::encode(SigningKey::from_bytes(&[1; 32]).verifying_key().as_bytes());
    assert!(state::check_receipt(&other_key, &m, &good).unwrap_err().to_string().contains("signature"));

    let mut forged = good.clone();
    forged.receipt.acked_seq += 1; // changed after signing
    assert!(state::check_receipt(&office_key(), &m, &forged).unwrap_err().to_string().contains("signature"));

    let mut other_batch = m.clone();
    other_batch.batch_id = Uuid::from_u128(43);
    assert!(state::check_receipt(&office_key(), &other_batch, &good).unwrap_err().to_string().contains("batch"));

    let mut fewer = m.clone();
    fewer.changes.pop();
    assert!(state::check_receipt(&office_key(), &fewer, &good).is_err(), "other content");

    // Signed by the office, but for another chain state or another place in its log.
    let sign = |r: Receipt| SignedReceipt {
        signature: mingcha_core::hex::encode(
            &SigningKey::from_bytes(&OFFICE_SEED).sign(&r.signing_message()).to_bytes(),
        ),
        receipt: r,
    };
    let mut other_chain = good.receipt.clone();
    other_chain.chain_head = mingcha_core::custody::Hash([7; 32]);
    let e = state::check_receipt(&office_key(), &m, &sign(other_chain)).unwrap_err();
    assert!(matches!(e, state::ReceiptProblem::OtherChain { .. }), "{e}");
    let mut not_logged = good.receipt.clone();
    not_logged.log.proof[0].0[5] ^= 0x10;
    let e = state::check_receipt(&office_key(), &m, &sign(not_logged)).unwrap_err();
    assert!(matches!(e, state::ReceiptProblem::NotInLog { index: 2, size: 3 }), "{e}");
}

#[test]
fn every_change_is_linked_in_the_custody_chain_and_an_altered_one_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, finding) = with_finding(&dir);
    let edit = FindingEdit { description: Some("窗口无人值守二十分钟".into()), ..FindingEdit::default() };
    s.edit_finding(&finding, edit).unwrap();
    let log = s.changes_after(0).unwrap();
    let check = s.check_chain().unwrap();
    assert_eq!(check.problems, []);
    assert_eq!(check.changes, log.len() as u64);
    assert_eq!(check.head, mingcha_core::custody::fold(mingcha_core::custody::Hash::GENESIS, &log));
    assert_eq!(s.chain_at(log.len() as u64).unwrap(), check.head);

    // Someone with the key rewrites the first wording of the finding behind the log's back.
    let first = log.iter().find(|c| c.entity == EntityKind::Finding).unwrap();
    s.conn.execute_batch("DROP TRIGGER change_log_no_update").unwrap();
    s.conn
        .execute(
            "UPDATE change_log SET payload = replace(payload, '窗口无人值守', '窗口有人值守') WHERE seq = ?1",
            [first.seq],
        )
        .unwrap();
    let check = s.check_chain().unwrap();
    assert_eq!(check.problems.len(), 1, "{:?}", check.problems);
    let said = check.problems[0].to_string();
    assert!(said.contains(&format!("change {} (finding {finding}, create)", first.seq)), "{said}");
}

#[test]
fn a_stored_receipt_moves_the_acknowledged_seq_and_an_edit_is_unsynced_again() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, finding) = with_finding(&dir);
    let before = s.sync_status().unwrap();
    assert!(before.unsynced_changes > 0 && before.acked_seq == 0 && before.server.is_none());
    let (row, m) = persist_next_batch(&s);
    assert_eq!(s.sync_status().unwrap().open_batch, Some(row.batch_id));

    state::store_receipt(&mut s.conn, &row, &office_receipt(&m), &office_key(), now()).unwrap();
    let after = s.sync_status().unwrap();
    assert_eq!((after.acked_seq, after.unsynced_changes, after.open_batch), (m.last_seq(), 0, None));
    assert_eq!(s.finding(&finding).unwrap().finding.status, FindingStatus::Submitted, "the office holds it");
    // Storing the same receipt again (a replayed commit answer) changes nothing.
    state::store_receipt(&mut s.conn, &row, &office_receipt(&m), &office_key(), now()).unwrap();
    assert_eq!(s.sync_status().unwrap().acked_seq, m.last_seq());

    let edit = FindingEdit { description: Some("窗口无人值守二十分钟".into()), ..FindingEdit::default() };
    s.edit_finding(&finding, edit).unwrap();
    assert_eq!(s.finding(&finding).unwrap().finding.status, FindingStatus::Draft);
    assert_eq!(s.sync_status().unwrap().unsynced_changes, 1, "just the edit");
}

#[test]
fn a_persisted_batch_is_rebuilt_byte_for_byte_even_after_more_work() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, finding) = with_finding(&dir);
    let (row, m) = persist_next_batch(&s);
    let edit = FindingEdit { severity: Some(Severity::Grave), ..FindingEdit::default() };
    s.edit_finding(&finding, edit).unwrap();
    let again = rebuild(&s, &row).unwrap();
    assert_eq!(again.canonical_bytes(), m.canonical_bytes());

    let wrong = BatchRow { manifest_sha256: "0".repeat(64), ..row };
    assert!(matches!(rebuild(&s, &wrong), Err(SyncError::BatchChanged { .. })));
}

fn event(seq: u64, body: OfficeEventBody) -> OfficeEvent {
    OfficeEvent { seq, at: Utc.with_ymd_and_hms(2026, 11, 11, 1, 0, 0).unwrap(), body }
}

#[test]
fn office_decisions_apply_once_move_the_status_and_are_not_device_changes() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, finding) = with_finding(&dir);
    let id: FindingId = finding.parse().unwrap();
    let log_before = s.changes_after(0).unwrap().len();
    let returned =
        OfficeEventBody::FindingReturned {
            finding_id: id, comment: "请补充窗口编号".into(), by: "王审核".into()
        };
    let elsewhere = OfficeEventBody::FindingAccepted {
        finding_id: FindingId::from_uuid(Uuid::from_u128(5)),
        by: "王审核".into(),
    };
    let page = Pull { cursor: 2, events: vec![event(1, returned), event(2, elsewhere)], more: false };

    assert_eq!(events::apply_pull(&mut s, &page).unwrap().events, 2);
    assert_eq!(s.finding(&finding).unwrap().finding.status, FindingStatus::Returned);
    assert_eq!(s.return_comment(&finding).unwrap().as_deref(), Some("请补充窗口编号"));
    assert_eq!(state::position(&s.conn).unwrap().pull_cursor, 2);
    assert_eq!(s.changes_after(0).unwrap().len(), log_before, "the office's move is not logged as ours");

    // The same page again (an answer that was lost) applies nothing.
    assert_eq!(events::apply_pull(&mut s, &page).unwrap().events, 0);
    assert_eq!(s.office_decisions(&finding).unwrap().len(), 1);

    let accepted = OfficeEventBody::FindingAccepted { finding_id: id, by: "王审核".into() };
    let broken = OfficeEventBody::TaxonomyPublished { taxonomy: serde_json::json!({"format": "mingcha.taxonomy"}) };
    let page = Pull { cursor: 4, events: vec![event(3, accepted), event(4, broken)], more: false };
    let applied = events::apply_pull(&mut s, &page).unwrap();
    assert_eq!(applied.events, 2);
    assert!(applied.notes[0].contains("taxonomy"), "{:?}", applied.notes);
    assert_eq!(s.finding(&finding).unwrap().finding.status, FindingStatus::Accepted);
    assert_eq!(s.return_comment(&finding).unwrap(), None, "no longer returned");
    let kept: u64 = s.conn.query_row("SELECT count(*) FROM office_event", [], |r| r.get(0)).unwrap();
    assert_eq!(kept, 1, "the unreadable taxonomy is kept for a later build");
    assert_eq!(s.taxonomy().leaves().count(), 57, "and the categories are unchanged");
}

#[test]
fn enrolling_again_resends_what_the_new_office_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, _) = with_finding(&dir);
    let (row, m) = persist_next_batch(&s);
    state::store_receipt(&mut s.conn, &row, &office_receipt(&m), &office_key(), now()).unwrap();
    s.conn.execute("UPDATE sync_state SET pull_cursor = 7", []).unwrap();

    let resp = EnrollResponse {
        device_id: s.identity.device_id,
        inspector_id: InspectorId::from_uuid(Uuid::from_u128(3)),
        inspector_name: "赵督查".into(),
        server_key: office_key(),
        acked_seq: 0,
    };
    state::save_enrollment(&mut s.conn, "http://office.example", None, &resp, now()).unwrap();
    let st = s.sync_status().unwrap();
    assert_eq!((st.server.as_deref(), st.acked_seq), (Some("http://office.example"), 0));
    assert_eq!(st.unsynced_changes, m.last_seq(), "everything goes to the new office");
    assert_eq!(state::position(&s.conn).unwrap().pull_cursor, 0);
}

#[test]
fn sync_before_enrolling_says_so() {
    struct NoBlobs;
    impl BlobSource for NoBlobs {
        fn open(&self, _: &Sha256Hex) -> std::io::Result<Box<dyn BlobRead>> {
            Err(std::io::ErrorKind::NotFound.into())
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(&dir);
    let err = s.sync(&NoBlobs, &mut |_| {}).unwrap_err();
    assert_eq!(err.code(), "not_enrolled");
    let err = s.enroll("office.example:8080", "t").unwrap_err();
    assert_eq!(err.code(), "bad_url");
}

fn assignment(title: &str, units: &[&str], templates: &[&str]) -> PlanAssignment {
    PlanAssignment {
        plan_id: PlanId::from_uuid(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001)),
        title: title.into(),
        kind: InspectionKind::Covert,
        starts_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 10).unwrap(),
        ends_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 12).unwrap(),
        units: units.iter().map(|u| (*u).to_owned()).collect(),
        templates: templates.iter().map(|t| (*t).to_owned()).collect(),
        team: vec!["赵督查".into(), "周强".into()],
    }
}

fn pull_of(first_seq: u64, bodies: Vec<OfficeEventBody>) -> Pull {
    let events: Vec<_> = bodies.into_iter().zip(first_seq..).map(|(b, seq)| event(seq, b)).collect();
    Pull { cursor: events.last().map_or(first_seq, |e| e.seq), events, more: false }
}

#[test]
fn an_assigned_plan_appears_once_with_its_units_even_when_pulled_twice() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, _) = with_finding(&dir);
    let known = s.unit("城北区医保服务大厅").unwrap();
    let log_before = s.changes_after(0).unwrap().len();
    let plan = assignment(
        "十一月作风暗访",
        &["城北区医保服务大厅", "城南区政务服务中心"],
        &["work-discipline", "no-such-checklist"],
    );
    let page = pull_of(1, vec![OfficeEventBody::PlanAssigned { plan: plan.clone() }]);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 10).unwrap();

    let applied = events::apply_pull(&mut s, &page).unwrap();
    assert_eq!(applied.events, 1);
    assert_eq!(applied.notes.len(), 1, "{:?}", applied.notes);
    assert!(applied.notes[0].contains("no-such-checklist"), "the inspector is told what was left out");
    let plans = s.plans(None, today).unwrap();
    assert_eq!(plans.len(), 1);
    let p = &plans[0];
    assert_eq!(p.plan.id, plan.plan_id, "the office's id, so both sides mean the same plan");
    assert_eq!((p.plan.title.as_str(), p.plan.kind), ("十一月作风暗访", InspectionKind::Covert));
    assert_eq!((p.plan.starts_on, p.plan.ends_on), (plan.starts_on, plan.ends_on));
    assert_eq!(p.plan.team, ["赵督查", "周强"]);
    assert_eq!(p.plan.checklists, ["work-discipline"], "the unknown checklist is left out, the plan is kept");
    assert_eq!(p.target_names, ["城北区医保服务大厅", "城南区政务服务中心"]);
    assert_eq!(p.plan.target_units[0], known.id, "a unit of that exact name is reused");
    let units = s.units().unwrap();
    assert_eq!(units.len(), 2);
    let made = units.iter().find(|u| u.unit.name == "城南区政务服务中心").unwrap();
    assert!(made.spots.is_empty(), "spots are met on site");

    let log = s.changes_after(0).unwrap();
    let new: Vec<_> = log[log_before..].iter().map(|c| (c.entity, c.op)).collect();
    assert_eq!(new, [(EntityKind::Unit, ChangeOp::Create), (EntityKind::Plan, ChangeOp::Create)], "logged like ours");
    assert_eq!(log.last().unwrap().entity_id, plan.plan_id.to_string());

    // The same page again (its answer was lost), and the same plan sent again: nothing new.
    assert_eq!(events::apply_pull(&mut s, &page).unwrap(), events::Applied::default());
    let again = pull_of(2, vec![OfficeEventBody::PlanAssigned { plan: plan.clone() }]);
    assert_eq!(events::apply_pull(&mut s, &again).unwrap().events, 1);
    assert_eq!(s.plans(None, today).unwrap().len(), 1);
    assert_eq!(s.units().unwrap().len(), 2);
    assert_eq!(s.changes_after(0).unwrap().len(), log.len(), "nothing logged twice");

    // The office changes the plan: the same plan, updated, with the update logged.
    let changed = PlanAssignment {
        title: "十一月作风暗访（调整）".into(),
        ends_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 13).unwrap(),
        units: vec!["城南区政务服务中心".into()],
        templates: vec!["窗口服务规范".into()],
        ..plan.clone()
    };
    events::apply_pull(&mut s, &pull_of(3, vec![OfficeEventBody::PlanAssigned { plan: changed }])).unwrap();
    let plans = s.plans(None, today).unwrap();
    assert_eq!(plans.len(), 1);
    assert_eq!(plans[0].plan.title, "十一月作风暗访（调整）");
    assert_eq!(plans[0].plan.ends_on, chrono::NaiveDate::from_ymd_opt(2026, 11, 13).unwrap());
    assert_eq!(plans[0].target_names, ["城南区政务服务中心"]);
    assert_eq!(plans[0].plan.checklists, ["window-service"], "a template named by its name is found by it");
    assert_eq!(plans[0].plan.created_at, p.plan.created_at);
    let last = s.changes_after(0).unwrap().pop().unwrap();
    assert_eq!((last.entity, last.op), (EntityKind::Plan, ChangeOp::Update));
    assert_eq!(s.sync_status().unwrap().unsynced_changes, s.changes_after(0).unwrap().len() as u64);
}

#[test]
fn a_plan_the_laptop_cannot_take_is_kept_as_received_and_the_pull_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = store(&dir);
    let log_before = s.changes_after(0).unwrap().len();
    let bad = PlanAssignment { title: "  ".into(), ..assignment("x", &["城南区政务服务中心"], &[]) };
    let page = pull_of(1, vec![OfficeEventBody::PlanAssigned { plan: bad }]);
    let applied = events::apply_pull(&mut s, &page).unwrap();
    assert_eq!(applied.events, 1);
    assert!(applied.notes[0].contains("was not taken"), "{:?}", applied.notes);
    assert!(s.plans(None, now().date_naive()).unwrap().is_empty());
    assert!(s.units().unwrap().is_empty(), "nothing half-made");
    assert_eq!(s.changes_after(0).unwrap().len(), log_before);
    assert_eq!(state::position(&s.conn).unwrap().pull_cursor, 1, "the cursor moves past it");
    let note: Option<String> = s.conn.query_row("SELECT note FROM office_event", [], |r| r.get(0)).unwrap();
    assert!(note.is_some_and(|n| n.contains("title")));
}

/// The built-in taxonomy as the office would publish it, changed by `edit`.
fn published(edit: impl FnOnce(&mut Taxonomy)) -> OfficeEventBody {
    let mut t = crate::catalog::builtin().unwrap().0;
    edit(&mut t);
    let mut value = serde_json::to_value(&t).unwrap();
    value["format"] = "mingcha.taxonomy".into();
    value["format_version"] = 1.into();
    OfficeEventBody::TaxonomyPublished { taxonomy: value }
}

fn leaf(code: &str, name: &str) -> Category {
    Category { code: code.into(), name: name.into(), description: format!("{name}的表现"), children: vec![] }
}

#[test]
fn a_published_taxonomy_adds_and_renames_categories_and_keeps_retired_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, finding) = with_finding(&dir); // recorded under 脱岗离岗, san.absent
    let log_before = s.changes_after(0).unwrap().len();
    let v2 = published(|t| {
        t.version = 2;
        let san = t.categories.iter_mut().find(|c| c.code == "san").unwrap();
        san.children.retain(|c| c.code != "san.absent" && c.code != "san.empty-post");
        let gaming = san.children.iter_mut().find(|c| c.code == "san.gaming").unwrap();
        gaming.name = "上班玩电子游戏".into();
        gaming.description = "上班时间玩电脑或手机游戏".into();
        san.children.insert(0, leaf("san.phone", "上班刷手机"));
        san.children.push(leaf("san.vacant", "空岗")); // the name of the code it replaces
    });

    let applied = events::apply_pull(&mut s, &pull_of(1, vec![v2])).unwrap();
    assert_eq!(applied, events::Applied { events: 1, notes: vec![] });
    // The store's taxonomy and labels changed without reopening it.
    let t = s.taxonomy();
    assert_eq!(t.version, 2);
    assert_eq!(t.resolve("上班刷手机").unwrap().leaf.code, "san.phone", "a new category is offered");
    assert_eq!(t.resolve("空岗").unwrap().leaf.code, "san.vacant");
    assert_eq!(t.categories.iter().find(|c| c.code == "san").unwrap().children[0].code, "san.phone", "in order");
    assert_eq!(t.resolve("san.gaming").unwrap().leaf.description, "上班时间玩电脑或手机游戏");
    assert_eq!(s.category_label("san.gaming"), "散 / 上班玩电子游戏", "renamed");
    assert!(t.resolve("脱岗离岗").is_err(), "a retired category is not offered for a new finding");
    assert!(t.search("").all(|p| p.leaf.code != "san.absent"), "nor in the picker");
    assert_eq!(s.category_label("san.absent"), "散 / 脱岗离岗", "but its findings still show its name");
    assert_eq!(s.category_label("san.empty-post"), "散 / 空岗（已停用，san.empty-post）");
    let shown = s.finding(&finding).unwrap();
    assert_eq!((shown.finding.category.as_str(), shown.category_label.as_str()), ("san.absent", "散 / 脱岗离岗"));
    let rows: u64 = s.conn.query_row("SELECT count(*) FROM category", [], |r| r.get(0)).unwrap();
    assert_eq!(rows, 9 + 57 + 2, "nothing deleted");
    assert_eq!(s.changes_after(0).unwrap().len(), log_before, "the catalogue is the office's, not logged");

    // A checklist item that still suggests a retired category cannot file a finding under it.
    let visit = shown.finding.visit_id.to_string();
    let answer = crate::checklists::AnswerInput {
        item: "wd-05".into(),
        result: mingcha_core::checklist::ItemResult::NonConforming,
        note: None,
    };
    s.fill_checklist(&visit, "work-discipline", &[answer]).unwrap();
    let from_item = NewFinding {
        visit: visit.clone(),
        spot: None,
        observed_at: shown.finding.observed_at,
        method: None,
        category: None,
        severity: Severity::Minor,
        description: "综合窗口工作人员离岗".into(),
        persons_involved: None,
        checklist_item: Some(("work-discipline".into(), "wd-05".into())),
    };
    let refused = s.add_finding(from_item.clone()).unwrap_err().to_string();
    assert!(refused.contains("脱岗离岗") && refused.contains("retired"), "{refused}");
    let chosen = s.add_finding(NewFinding { category: Some("上班刷手机".into()), ..from_item }).unwrap();
    assert_eq!(chosen.finding.category, "san.phone", "with a live category it goes in");

    // The same page again changes nothing; reopening the store finds the same taxonomy.
    assert_eq!(events::apply_pull(&mut s, &pull_of(1, vec![])).unwrap().events, 0);
    let labels = s.labels.clone();
    drop(s);
    let clock = Arc::new(FixedClock(now()));
    let mut s = Store::unlock(&DataDir::new(dir.path().join("d")), "sync test pass", clock).unwrap();
    assert_eq!((s.taxonomy().version, s.taxonomy().leaves().count()), (2, 57));
    assert_eq!(s.labels, labels);

    // An older version is not taken; a later one that lists a retired code brings it back.
    let v1 = published(|_| {});
    let v3 = published(|t| t.version = 3);
    let applied = events::apply_pull(&mut s, &pull_of(2, vec![v1, v3])).unwrap();
    assert_eq!(applied.notes.len(), 1, "{:?}", applied.notes);
    assert!(applied.notes[0].contains("older"), "{:?}", applied.notes);
    assert_eq!(s.taxonomy().version, 3);
    assert_eq!(s.taxonomy().resolve("脱岗离岗").unwrap().leaf.code, "san.absent", "offered again");
    assert_eq!(s.category_label("san.empty-post"), "散 / 空岗");
    assert!(s.taxonomy().resolve("上班刷手机").is_err(), "v3 retired what v2 added");
}

/// What the office at `seed` would say when the laptop enrolls with it.
fn enrolled_with(s: &mut Store, seed: [u8; 32]) {
    let resp = EnrollResponse {
        device_id: s.identity.device_id,
        inspector_id: InspectorId::from_uuid(Uuid::from_u128(3)),
        inspector_name: "赵督查".into(),
        server_key: mingcha_core::hex::encode(SigningKey::from_bytes(&seed).verifying_key().as_bytes()),
        acked_seq: 0,
    };
    state::save_enrollment(&mut s.conn, "http://office.example", None, &resp, now()).unwrap();
}

#[test]
fn another_offices_events_are_its_own_even_with_the_same_seqs() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, x) = with_finding(&dir);
    let visit = s.finding(&x).unwrap().finding.visit_id.to_string();
    let at = chrono::FixedOffset::east_opt(8 * 3600).unwrap().with_ymd_and_hms(2026, 11, 10, 9, 30, 0).unwrap();
    let y = s
        .add_finding(NewFinding {
            visit,
            spot: None,
            observed_at: at,
            method: None,
            category: Some("脱岗离岗".into()),
            severity: Severity::Minor,
            description: "叫号机停用".into(),
            persons_involved: None,
            checklist_item: None,
        })
        .unwrap()
        .finding
        .id
        .to_string();
    let returned = |f: &str, comment: &str| OfficeEventBody::FindingReturned {
        finding_id: f.parse().unwrap(),
        comment: comment.into(),
        by: "王审核".into(),
    };
    let broken = OfficeEventBody::TaxonomyPublished { taxonomy: serde_json::json!({"format": "mingcha.taxonomy"}) };

    // Office A: its event 1 returns X, its event 2 is kept as received.
    enrolled_with(&mut s, OFFICE_SEED);
    let from_a = pull_of(1, vec![returned(&x, "请补充窗口编号"), broken]);
    assert_eq!(events::apply_pull(&mut s, &from_a).unwrap().events, 2);

    // Office B (another key) starts its events at 1 again: they are B's, not A's seen before.
    enrolled_with(&mut s, [8; 32]);
    assert_eq!(state::position(&s.conn).unwrap().pull_cursor, 0);
    let plan = assignment("十一月作风暗访", &["城南区政务服务中心"], &[]);
    let from_b = pull_of(1, vec![returned(&y, "请补拍叫号机照片"), OfficeEventBody::PlanAssigned { plan }]);
    assert_eq!(events::apply_pull(&mut s, &from_b).unwrap().events, 2);
    for (f, comment) in [(&x, "请补充窗口编号"), (&y, "请补拍叫号机照片")] {
        assert_eq!(s.finding(f).unwrap().finding.status, FindingStatus::Returned, "{comment}");
        assert_eq!(s.return_comment(f).unwrap().as_deref(), Some(comment));
        assert_eq!(s.office_decisions(f).unwrap().len(), 1);
    }
    assert_eq!(s.plans(None, now().date_naive()).unwrap().len(), 1, "B's event 2 is taken too");
    let kept: u64 = s.conn.query_row("SELECT count(*) FROM office_event", [], |r| r.get(0)).unwrap();
    assert_eq!(kept, 2, "A's taxonomy and B's plan");

    // B's events again, and again after enrolling with B once more: nothing changes.
    let log = s.changes_after(0).unwrap().len();
    assert_eq!(events::apply_pull(&mut s, &from_b).unwrap(), events::Applied::default());
    enrolled_with(&mut s, [8; 32]);
    assert_eq!(events::apply_pull(&mut s, &from_b).unwrap(), events::Applied::default());
    let decisions: u64 = s.conn.query_row("SELECT count(*) FROM office_decision", [], |r| r.get(0)).unwrap();
    let kept: u64 = s.conn.query_row("SELECT count(*) FROM office_event", [], |r| r.get(0)).unwrap();
    assert_eq!((decisions, kept), (2, 2));
    assert_eq!(s.changes_after(0).unwrap().len(), log, "the plan is not made again");
    assert_eq!(s.return_comment(&y).unwrap().as_deref(), Some("请补拍叫号机照片"));
    assert_eq!(s.plans(None, now().date_naive()).unwrap().len(), 1);
}

/// A store at schema 3 with office rows, brought to schema 4: the rows are the enrolled
/// office's (or 'unenrolled'), in the order of their seqs, and nothing else changed.
#[test]
fn migration_0004_attributes_kept_events_to_the_enrolled_office() {
    for enrolled in [true, false] {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for m in &crate::db::MIGRATIONS[..3] {
            conn.execute_batch(m.sql).unwrap();
        }
        if enrolled {
            conn.execute(
                "INSERT INTO sync_server VALUES (1, 'http://office.example', ?1, 'i', '2026-11-10T02:00:00Z')",
                [office_key()],
            )
            .unwrap();
        }
        conn.execute_batch(
            "INSERT INTO office_decision VALUES (2, 'f1', 'accepted', NULL, '王审核', 'b', 'c');
             INSERT INTO office_decision VALUES (1, 'f1', 'returned', '请补充', '王审核', 'a', 'c');
             INSERT INTO office_event VALUES (3, 'taxonomy_published', '{}', 'a', 'b', NULL, 'not taken');",
        )
        .unwrap();
        conn.execute_batch(crate::db::MIGRATIONS[3].sql).unwrap();

        let office = if enrolled { office_key() } else { "unenrolled".into() };
        let mut stmt = conn
            .prepare("SELECT office_key, event_seq, kind, comment FROM office_decision ORDER BY local_seq")
            .unwrap();
        let rows: Vec<(String, u64, String, Option<String>)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            rows,
            [
                (office.clone(), 1, "returned".into(), Some("请补充".into())),
                (office.clone(), 2, "accepted".into(), None)
            ]
        );
        let event: (String, u64, Option<String>) = conn
            .query_row("SELECT office_key, event_seq, note FROM office_event", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert_eq!(event, (office.clone(), 3, Some("not taken".into())));
        let index: u64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'office_decision_by_finding'
                   AND tbl_name = 'office_decision'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(index, 1, "the lookup by finding is kept");
        let leftovers: u64 =
            conn.query_row("SELECT count(*) FROM sqlite_master WHERE name LIKE '%_new'", [], |r| r.get(0)).unwrap();
        assert_eq!(leftovers, 0);
        // The same office's event again is already there; another office's is not.
        let insert = "INSERT INTO office_event (office_key, event_seq, kind, body, at, received_at)
                      VALUES (?1, 3, 'k', '{}', 'a', 'b') ON CONFLICT (office_key, event_seq) DO NOTHING";
        assert_eq!(conn.execute(insert, [&office]).unwrap(), 0);
        assert_eq!(conn.execute(insert, ["b".repeat(64)]).unwrap(), 1);
    }
}
