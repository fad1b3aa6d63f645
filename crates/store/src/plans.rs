//! Inspection plans (督查任务).

use chrono::NaiveDate;
use mingcha_core::change::{ChangeOp, EntityKind};
use mingcha_core::id::{PlanId, UnitId};
use mingcha_core::inspection::{InspectionPlan, NewPlan};
use mingcha_core::unit::NewUnit;
use rusqlite::{Connection, OptionalExtension, Row};
use serde::Serialize;

use crate::error::{Result, StoreError};
use crate::units::find_unit;
use crate::{Store, Writer, conversion, parse_id, parse_time, resolve_id, time_text};

/// A plan as a day's screen shows it: a covert plan's targets stay hidden before its first day.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PlanView {
    #[serde(flatten)]
    pub plan: InspectionPlan,
    /// Names of the target units, or empty while they are secret.
    pub target_names: Vec<String>,
    pub targets_hidden: bool,
}

fn plan_from_row(r: &Row<'_>) -> rusqlite::Result<InspectionPlan> {
    let kind: String = r.get(2)?;
    let date =
        |i: usize| -> rusqlite::Result<NaiveDate> { r.get::<_, String>(i)?.parse().map_err(|e| conversion(i, e)) };
    let team: String = r.get(5)?;
    Ok(InspectionPlan {
        id: parse_id(&r.get::<_, String>(0)?)?,
        title: r.get(1)?,
        kind: kind.parse().map_err(|e| conversion(2, e))?,
        starts_on: date(3)?,
        ends_on: date(4)?,
        team: serde_json::from_str(&team).map_err(|e| conversion(5, e))?,
        target_units: vec![],
        checklists: vec![],
        created_at: parse_time(&r.get::<_, String>(6)?)?,
    })
}

/// A plan by its full id, deleted or not.
fn load_plan(conn: &Connection, id: &str) -> Result<Option<InspectionPlan>> {
    let plan = conn
        .query_row(
            "SELECT id, title, kind, starts_on, ends_on, team, created_at FROM plan WHERE id = ?1",
            [id],
            plan_from_row,
        )
        .optional()?;
    let Some(mut plan) = plan else { return Ok(None) };
    let mut units = conn.prepare_cached("SELECT unit_id FROM plan_unit WHERE plan_id = ?1 ORDER BY rowid")?;
    plan.target_units = units.query_map([id], |r| parse_id(&r.get::<_, String>(0)?))?.collect::<Result<_, _>>()?;
    let mut lists =
        conn.prepare_cached("SELECT template_code FROM plan_checklist WHERE plan_id = ?1 ORDER BY rowid")?;
    plan.checklists = lists.query_map([id], |r| r.get(0))?.collect::<Result<_, _>>()?;
    Ok(Some(plan))
}

impl Writer<'_> {
    /// Write a plan's row (new, or replacing what it said) and set its units and checklists
    /// to exactly these, in this order. The links are not records of their own: the plan's
    /// entry in the change log carries the whole list each time.
    fn store_plan(&self, plan: &InspectionPlan) -> Result<()> {
        let id = plan.id.to_string();
        self.execute(
            "INSERT INTO plan (id, title, kind, starts_on, ends_on, team, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (id) DO UPDATE SET title = excluded.title, kind = excluded.kind,
                 starts_on = excluded.starts_on, ends_on = excluded.ends_on, team = excluded.team,
                 updated_at = excluded.updated_at, deleted_at = NULL",
            (
                &id,
                &plan.title,
                plan.kind.as_str(),
                plan.starts_on.to_string(),
                plan.ends_on.to_string(),
                serde_json::to_string(&plan.team)?,
                time_text(plan.created_at),
                self.now_text(),
            ),
        )?;
        self.execute("DELETE FROM plan_unit WHERE plan_id = ?1", [&id])?;
        self.execute("DELETE FROM plan_checklist WHERE plan_id = ?1", [&id])?;
        for u in &plan.target_units {
            self.execute("INSERT OR IGNORE INTO plan_unit (plan_id, unit_id) VALUES (?1, ?2)", (&id, u.to_string()))?;
        }
        for c in &plan.checklists {
            self.execute("INSERT OR IGNORE INTO plan_checklist (plan_id, template_code) VALUES (?1, ?2)", (&id, c))?;
        }
        Ok(())
    }

    /// A plan the office assigned (督查任务), kept under the office's own id so the office and
    /// the laptop talk about the same plan. The inspector visits under it, so it is an
    /// ordinary record, written like one the inspector made: its units (matched by exact name
    /// among live units, made without spots when missing) and the plan go through this
    /// writer and are appended to the change log, and the next batch carries them to the
    /// office. That is unlike the office's decisions on findings, which stay the office's
    /// and are not logged. A plan already here under that id is updated in place (the office
    /// changed or re-assigned it; a plan deleted here comes back); one that already says
    /// exactly this is left alone, so nothing is logged twice.
    ///
    /// `checklists` are template codes this laptop has: the caller leaves out the others.
    /// Returns what was written, if anything.
    pub(crate) fn put_assigned_plan(
        &self,
        id: PlanId,
        new: NewPlan,
        units: &[NewUnit],
        checklists: &[String],
    ) -> Result<Option<ChangeOp>> {
        let mut target_units: Vec<UnitId> = Vec::new();
        for u in units {
            let unit = self.unit_named(u)?;
            if !target_units.contains(&unit.id) {
                target_units.push(unit.id);
            }
        }
        let mut lists: Vec<String> = Vec::new();
        for c in checklists {
            if !lists.contains(c) {
                lists.push(c.clone());
            }
        }
        let existing = load_plan(self, &id.to_string())?;
        let deleted = self
            .query_row("SELECT 1 FROM plan WHERE id = ?1 AND deleted_at IS NOT NULL", [id.to_string()], |_| Ok(()))
            .optional()?
            .is_some();
        let plan = InspectionPlan {
            id,
            title: new.title,
            kind: new.kind,
            starts_on: new.starts_on,
            ends_on: new.ends_on,
            team: new.team,
            target_units,
            checklists: lists,
            created_at: existing.as_ref().map_or(self.now, |p| p.created_at),
        };
        let op = match existing {
            Some(old) if old == plan && !deleted => return Ok(None),
            Some(_) => ChangeOp::Update,
            None => ChangeOp::Create,
        };
        self.store_plan(&plan)?;
        self.log(EntityKind::Plan, &plan.id.to_string(), op, &plan)?;
        Ok(Some(op))
    }
}

impl Store {
    /// Create a plan for `units` (ids or names) using the checklist templates `checklists`
    /// (codes or names). Unknown units or templates are refused before anything is stored.
    pub fn add_plan(&mut self, new: NewPlan, units: &[String], checklists: &[String]) -> Result<InspectionPlan> {
        let units = units.iter().map(|u| find_unit(&self.conn, u)).collect::<Result<Vec<_>>>()?;
        let checklists =
            checklists.iter().map(|c| self.template(c, None).map(|t| t.code)).collect::<Result<Vec<_>>>()?;
        self.write(|w| {
            let plan = InspectionPlan {
                id: PlanId::from_uuid(w.new_id()),
                title: new.title,
                kind: new.kind,
                starts_on: new.starts_on,
                ends_on: new.ends_on,
                team: new.team,
                target_units: units.iter().map(|u| u.id).collect(),
                checklists,
                created_at: w.now,
            };
            w.store_plan(&plan)?;
            w.log(EntityKind::Plan, &plan.id.to_string(), ChangeOp::Create, &plan)?;
            Ok(plan)
        })
    }

    /// A plan by id or unique id prefix.
    pub fn plan(&self, key: &str) -> Result<InspectionPlan> {
        let id = resolve_id(&self.conn, "plan", "plan", key)?;
        load_plan(&self.conn, &id)?.ok_or_else(|| StoreError::not_found("plan", key))
    }

    /// Plans that cover `on` (or all plans), newest first, with covert targets hidden until
    /// their day.
    pub fn plans(&self, on: Option<NaiveDate>, today: NaiveDate) -> Result<Vec<PlanView>> {
        let mut stmt = self.conn.prepare(
            "SELECT id FROM plan WHERE deleted_at IS NULL AND (?1 IS NULL OR (starts_on <= ?1 AND ends_on >= ?1))
             ORDER BY starts_on DESC, created_at DESC",
        )?;
        let ids: Vec<String> = stmt.query_map([on.map(|d| d.to_string())], |r| r.get(0))?.collect::<Result<_, _>>()?;
        ids.iter()
            .map(|id| {
                let plan = self.plan(id)?;
                let hidden = !plan.targets_visible_on(today);
                let target_names = if hidden {
                    vec![]
                } else {
                    plan.target_units
                        .iter()
                        .map(|u| Ok(find_unit(&self.conn, &u.to_string())?.name))
                        .collect::<Result<_>>()?
                };
                let plan = if hidden { InspectionPlan { target_units: vec![], ..plan } } else { plan };
                Ok(PlanView { plan, target_names, targets_hidden: hidden })
            })
            .collect()
    }
}
