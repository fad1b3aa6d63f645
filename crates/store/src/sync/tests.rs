//! The device's sync bookkeeping without a network: batches, receipts and office events
//! against a real encrypted store. The exchange with a real office is tested through the
//! `mingcha` binary (crates/cli/tests/sync.rs) and in the journeys (tests/).

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use ed25519_dalek::{Signer, SigningKey};
use mingcha_core::clock::FixedClock;
use mingcha_core::finding::{FindingStatus, Severity};
use mingcha_core::id::{FindingId, InspectorId};
use mingcha_core::inspection::InspectionKind;
use mingcha_core::sync::{
    EnrollResponse, ItemOutcome, Manifest, OfficeEvent, OfficeEventBody, Pull, Receipt, ReceiptItem, SignedReceipt,
};
use mingcha_core::unit::NewUnit;
use uuid::Uuid;

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
    let m = Manifest::new(Uuid::from_u128(42), s.identity.device_id, acked, s.changes_page(acked, Some(2000)).unwrap());
    let row = BatchRow {
        batch_id: m.batch_id,
        after_seq: acked,
        last_seq: m.last_seq(),
        manifest_sha256: state::manifest_digest(&m),
    };
    state::create_batch(&s.conn, &row, now()).unwrap();
    (row, m)
}

fn office_receipt(m: &Manifest) -> SignedReceipt {
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
        committed_at: Utc.with_ymd_and_hms(2026, 11, 10, 10, 0, 0).unwrap(),
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
    assert!(state::check_receipt(&other_key, &m, &good).unwrap_err().contains("signature"));

    let mut forged = good.clone();
    forged.receipt.acked_seq += 1; // changed after signing
    assert!(state::check_receipt(&office_key(), &m, &forged).unwrap_err().contains("signature"));

    let mut other_batch = m.clone();
    other_batch.batch_id = Uuid::from_u128(43);
    assert!(state::check_receipt(&office_key(), &other_batch, &good).unwrap_err().contains("batch"));

    let mut fewer = m.clone();
    fewer.changes.pop();
    assert!(state::check_receipt(&office_key(), &fewer, &good).is_err(), "other content");
}

#[test]
fn a_stored_receipt_moves_the_acknowledged_seq_and_an_edit_is_unsynced_again() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, finding) = with_finding(&dir);
    let before = s.sync_status().unwrap();
    assert!(before.unsynced_changes > 0 && before.acked_seq == 0 && before.server.is_none());
    let (row, m) = persist_next_batch(&s);
    assert_eq!(s.sync_status().unwrap().open_batch, Some(row.batch_id));

    state::store_receipt(&mut s.conn, &row, &office_receipt(&m), now()).unwrap();
    let after = s.sync_status().unwrap();
    assert_eq!((after.acked_seq, after.unsynced_changes, after.open_batch), (m.last_seq(), 0, None));
    assert_eq!(s.finding(&finding).unwrap().finding.status, FindingStatus::Submitted, "the office holds it");
    // Storing the same receipt again (a replayed commit answer) changes nothing.
    state::store_receipt(&mut s.conn, &row, &office_receipt(&m), now()).unwrap();
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
    let taxonomy = s.taxonomy.clone();

    assert_eq!(state::apply_pull(&mut s.conn, &taxonomy, &page, now()).unwrap(), 2);
    assert_eq!(s.finding(&finding).unwrap().finding.status, FindingStatus::Returned);
    assert_eq!(s.return_comment(&finding).unwrap().as_deref(), Some("请补充窗口编号"));
    assert_eq!(state::position(&s.conn).unwrap().pull_cursor, 2);
    assert_eq!(s.changes_after(0).unwrap().len(), log_before, "the office's move is not logged as ours");

    // The same page again (an answer that was lost) applies nothing.
    assert_eq!(state::apply_pull(&mut s.conn, &taxonomy, &page, now()).unwrap(), 0);
    assert_eq!(s.office_decisions(&finding).unwrap().len(), 1);

    let accepted = OfficeEventBody::FindingAccepted { finding_id: id, by: "王审核".into() };
    let plan = OfficeEventBody::TaxonomyPublished { taxonomy: serde_json::json!({"format": "mingcha.taxonomy"}) };
    let page = Pull { cursor: 4, events: vec![event(3, accepted), event(4, plan)], more: false };
    assert_eq!(state::apply_pull(&mut s.conn, &taxonomy, &page, now()).unwrap(), 2);
    assert_eq!(s.finding(&finding).unwrap().finding.status, FindingStatus::Accepted);
    assert_eq!(s.return_comment(&finding).unwrap(), None, "no longer returned");
    let kept: u64 = s.conn.query_row("SELECT count(*) FROM office_event", [], |r| r.get(0)).unwrap();
    assert_eq!(kept, 1, "the taxonomy is kept for later");
}

#[test]
fn enrolling_again_resends_what_the_new_office_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, _) = with_finding(&dir);
    let (row, m) = persist_next_batch(&s);
    state::store_receipt(&mut s.conn, &row, &office_receipt(&m), now()).unwrap();
    s.conn.execute("UPDATE sync_state SET pull_cursor = 7", []).unwrap();

    let resp = EnrollResponse {
        device_id: s.identity.device_id,
        inspector_id: InspectorId::from_uuid(Uuid::from_u128(3)),
        inspector_name: "赵督查".into(),
        server_key: office_key(),
        acked_seq: 0,
    };
    state::save_enrollment(&mut s.conn, "http://office.example", &resp, now()).unwrap();
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
