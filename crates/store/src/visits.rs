//! Visits: one unit on one day, open (明查) or covert (暗访).

use chrono::{DateTime, FixedOffset, NaiveDate};
use mingcha_core::change::{ChangeOp, EntityKind};
use mingcha_core::id::VisitId;
use mingcha_core::inspection::{InspectionKind, Visit, check_visit_times};
use mingcha_core::text;
use rusqlite::Row;
use serde::Serialize;

use crate::error::Result;
use crate::units::find_unit;
use crate::{Store, conversion, parse_id, parse_time, resolve_id};

/// What starting a visit needs. Units and plans are named the way a user types them.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVisit {
    pub unit: String,
    pub spot: Option<String>,
    pub plan: Option<String>,
    pub kind: InspectionKind,
    pub date: NaiveDate,
    pub arrived_at: Option<DateTime<FixedOffset>>,
    pub inspectors: Vec<String>,
    pub notes: Option<String>,
}

/// A visit with its unit's name, as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VisitView {
    #[serde(flatten)]
    pub visit: Visit,
    pub unit_name: String,
    pub findings: u64,
}

const COLUMNS: &str = "v.id, v.plan_id, v.unit_id, v.spot_id, v.kind, v.visit_date, v.arrived_at, v.left_at, v.inspectors, v.notes, v.created_at";

pub(crate) fn visit_from_row(r: &Row<'_>) -> rusqlite::Result<Visit> {
    let opt_time = |i: usize| -> rusqlite::Result<Option<DateTime<FixedOffset>>> {
        r.get::<_, Option<String>>(i)?
            .map(|s| DateTime::parse_from_rfc3339(&s).map_err(|e| conversion(i, e)))
            .transpose()
    };
    Ok(Visit {
        id: parse_id(&r.get::<_, String>(0)?)?,
        plan_id: r.get::<_, Option<String>>(1)?.map(|s| parse_id(&s)).transpose()?,
        unit_id: parse_id(&r.get::<_, String>(2)?)?,
        spot_id: r.get::<_, Option<String>>(3)?.map(|s| parse_id(&s)).transpose()?,
        kind: r.get::<_, String>(4)?.parse().map_err(|e| conversion(4, e))?,
        date: r.get::<_, String>(5)?.parse().map_err(|e| conversion(5, e))?,
        arrived_at: opt_time(6)?,
        left_at: opt_time(7)?,
        inspectors: serde_json::from_str(&r.get::<_, String>(8)?).map_err(|e| conversion(8, e))?,
        notes: r.get(9)?,
        created_at: parse_time(&r.get::<_, String>(10)?)?,
    })
}

impl Store {
    /// Start a visit. The unit (and plan, if named) must exist; a new spot is made on the spot.
    pub fn add_visit(&mut self, new: NewVisit) -> Result<Visit> {
        let unit = find_unit(&self.conn, &new.unit)?;
        let plan = new.plan.as_deref().map(|p| self.plan(p)).transpose()?;
        check_visit_times(new.date, new.arrived_at, None)?;
        let notes = text::optional("notes", new.notes.as_deref(), 2000)?;
        let inspectors =
            if new.inspectors.is_empty() { vec![self.identity.inspector_name.clone()] } else { new.inspectors };
        self.write(|w| {
            let spot = new.spot.as_deref().map(|s| w.spot_in(unit.id, s)).transpose()?;
            let visit = Visit {
                id: VisitId::from_uuid(w.new_id()),
                plan_id: plan.map(|p| p.id),
                unit_id: unit.id,
                spot_id: spot.map(|s| s.id),
                kind: new.kind,
                date: new.date,
                arrived_at: new.arrived_at,
                left_at: None,
                inspectors,
                notes,
                created_at: w.now,
            };
            w.execute(
                "INSERT INTO visit (id, plan_id, unit_id, spot_id, kind, visit_date, arrived_at, inspectors, notes, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
                (
                    visit.id.to_string(),
                    visit.plan_id.map(|p| p.to_string()),
                    visit.unit_id.to_string(),
                    visit.spot_id.map(|s| s.to_string()),
                    visit.kind.as_str(),
                    visit.date.to_string(),
                    visit.arrived_at.map(|t| t.to_rfc3339()),
                    serde_json::to_string(&visit.inspectors)?,
                    &visit.notes,
                    w.now_text(),
                ),
            )?;
            w.log(EntityKind::Visit, &visit.id.to_string(), ChangeOp::Create, &visit)?;
            Ok(visit)
        })
    }

    /// A visit by id or unique id prefix.
    pub fn visit(&self, key: &str) -> Result<Visit> {
        let id = resolve_id(&self.conn, "visit", "visit", key)?;
        Ok(self.conn.query_row(&format!("SELECT {COLUMNS} FROM visit v WHERE v.id = ?1"), [id], visit_from_row)?)
    }

    /// End a visit: record when the inspectors left.
    pub fn end_visit(&mut self, key: &str, left_at: DateTime<FixedOffset>) -> Result<Visit> {
        let mut visit = self.visit(key)?;
        check_visit_times(visit.date, visit.arrived_at, Some(left_at))?;
        visit.left_at = Some(left_at);
        self.write(|w| {
            w.execute(
                "UPDATE visit SET left_at = ?2, updated_at = ?3 WHERE id = ?1",
                (visit.id.to_string(), left_at.to_rfc3339(), w.now_text()),
            )?;
            w.log(EntityKind::Visit, &visit.id.to_string(), ChangeOp::Update, &visit)?;
            Ok(visit)
        })
    }

    /// Visits on `date` (or all), newest first.
    pub fn visits(&self, date: Option<NaiveDate>) -> Result<Vec<VisitView>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLUMNS}, u.name, (SELECT count(*) FROM finding f WHERE f.visit_id = v.id AND f.deleted_at IS NULL)
             FROM visit v JOIN unit u ON u.id = v.unit_id
             WHERE v.deleted_at IS NULL AND (?1 IS NULL OR v.visit_date = ?1)
             ORDER BY v.visit_date DESC, v.created_at DESC"
        ))?;
        let rows = stmt.query_map([date.map(|d| d.to_string())], |r| {
            Ok(VisitView { visit: visit_from_row(r)?, unit_name: r.get(11)?, findings: r.get(12)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
