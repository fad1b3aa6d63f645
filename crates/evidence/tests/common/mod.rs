//! A store with one unit, one visit on 2026-11-10 and one finding, for the evidence tests.

use std::path::Path;
use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use mingcha_core::clock::FixedClock;
use mingcha_core::finding::Severity;
use mingcha_core::inspection::InspectionKind;
use mingcha_core::unit::NewUnit;
use mingcha_store::findings::NewFinding;
use mingcha_store::visits::NewVisit;
use mingcha_store::{DataDir, InitOptions, KdfParams, Store};

pub fn visit_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 10).unwrap()
}

/// (store, data dir, finding id) for a finding at `unit` / `spot`.
pub fn store_with_finding(root: &Path, unit: &str, spot: &str, category: &str, text: &str) -> (Store, DataDir, String) {
    let data = DataDir::new(root.join("data"));
    let clock = Arc::new(FixedClock(Utc.with_ymd_and_hms(2026, 11, 10, 12, 0, 0).unwrap()));
    let opts = InitOptions {
        inspector_name: "吴督查".into(),
        device_name: "t".into(),
        kdf: KdfParams { memory_kib: 1024, iterations: 1, parallelism: 1 },
    };
    let mut store = Store::init(&data, "evidence test passphrase", &opts, clock).unwrap();
    store.add_unit(NewUnit::parse(unit, None, &[]).unwrap()).unwrap();
    let visit = store
        .add_visit(NewVisit {
            unit: unit.into(),
            spot: Some(spot.into()),
            plan: None,
            kind: InspectionKind::Covert,
            date: visit_day(),
            arrived_at: None,
            inspectors: vec![],
            notes: None,
        })
        .unwrap();
    let at = chrono::FixedOffset::east_opt(8 * 3600).unwrap().with_ymd_and_hms(2026, 11, 10, 14, 5, 0).unwrap();
    let f = store
        .add_finding(NewFinding {
            visit: visit.id.to_string(),
            spot: None,
            observed_at: at,
            method: None,
            category: Some(category.into()),
            severity: Severity::Serious,
            description: text.into(),
            persons_involved: None,
            checklist_item: None,
        })
        .unwrap();
    (store, data, f.finding.id.to_string())
}
