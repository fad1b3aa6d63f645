//! What the benchmark programs (`src/bin/*-bench.rs`) share: a laptop's store made quickly (a
//! light key derivation) on the wall clock, and the covert visit its findings hang on.

use std::sync::Arc;

use anyhow::Result;
use chrono::{NaiveDate, Utc};
use mingcha_core::clock::Clock;
use mingcha_core::inspection::{InspectionKind, Visit};
use mingcha_core::unit::NewUnit;
use mingcha_store::visits::NewVisit;
use mingcha_store::{DataDir, InitOptions, KdfParams, Store};

/// The passphrase of every benchmark store.
pub const PASS: &str = "bench passphrase 2026";

/// The real time, as a store reads it.
#[derive(Debug)]
pub struct WallClock;

impl Clock for WallClock {
    fn now(&self) -> chrono::DateTime<Utc> {
        Utc::now()
    }
}

/// A new store for `inspector`'s laptop in `dir`, holding `unit`.
pub fn laptop(dir: &DataDir, inspector: &str, unit: NewUnit) -> Result<Store> {
    let opts = InitOptions {
        inspector_name: inspector.into(),
        device_name: format!("{inspector}的笔记本"),
        kdf: KdfParams { memory_kib: 8 * 1024, iterations: 1, parallelism: 1 },
    };
    let mut store = Store::init(dir, PASS, &opts, Arc::new(WallClock))?;
    store.add_unit(unit)?;
    Ok(store)
}

/// `inspector`'s covert visit to the unit named `unit` on `day`.
pub fn covert_visit(store: &mut Store, unit: &str, day: NaiveDate, inspector: &str) -> Result<Visit> {
    Ok(store.add_visit(NewVisit {
        unit: unit.into(),
        spot: None,
        plan: None,
        kind: InspectionKind::Covert,
        date: day,
        arrived_at: None,
        inspectors: vec![inspector.into()],
        notes: None,
    })?)
}
