//! Inspected units (被检查单位) and their spots (点位).

use mingcha_core::change::{ChangeOp, EntityKind};
use mingcha_core::id::{SpotId, UnitId};
use mingcha_core::text;
use mingcha_core::unit::{NAME_MAX, NewUnit, Spot, Unit};
use rusqlite::{Connection, OptionalExtension, Row};
use serde::Serialize;

use crate::error::{Result, StoreError};
use crate::{Store, Writer, parse_time};

/// A unit with its spots, as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UnitSummary {
    #[serde(flatten)]
    pub unit: Unit,
    pub spots: Vec<Spot>,
    pub findings: u64,
}

pub(crate) fn unit_from_row(r: &Row<'_>) -> rusqlite::Result<Unit> {
    Ok(Unit {
        id: crate::parse_id(&r.get::<_, String>(0)?)?,
        name: r.get(1)?,
        region: r.get(2)?,
        created_at: parse_time(&r.get::<_, String>(3)?)?,
    })
}

fn spot_from_row(r: &Row<'_>) -> rusqlite::Result<Spot> {
    Ok(Spot {
        id: crate::parse_id(&r.get::<_, String>(0)?)?,
        unit_id: crate::parse_id(&r.get::<_, String>(1)?)?,
        name: r.get(2)?,
        created_at: parse_time(&r.get::<_, String>(3)?)?,
    })
}

const UNIT_COLUMNS: &str = "id, name, region, created_at";

/// The unit a user means: its id (or a unique prefix of it), its exact name, or a part of its
/// name that only one unit has.
pub(crate) fn find_unit(conn: &Connection, key: &str) -> Result<Unit> {
    let key = key.trim();
    if key.is_empty() {
        return Err(mingcha_core::ValidationError::Empty { field: "unit" }.into());
    }
    let exact = conn
        .query_row(
            &format!("SELECT {UNIT_COLUMNS} FROM unit WHERE deleted_at IS NULL AND (id = ?1 OR name = ?1)"),
            [key],
            unit_from_row,
        )
        .optional()?;
    if let Some(unit) = exact {
        return Ok(unit);
    }
    let mut stmt = conn.prepare(&format!(
        "SELECT {UNIT_COLUMNS} FROM unit WHERE deleted_at IS NULL AND (id LIKE ?1 || '%' OR instr(name, ?1) > 0)
         ORDER BY name LIMIT 6"
    ))?;
    let found: Vec<Unit> = stmt.query_map([key], unit_from_row)?.collect::<Result<_, _>>()?;
    match found.len() {
        0 => Err(StoreError::not_found("unit", key)),
        1 => Ok(found.into_iter().next().expect("one")),
        _ => Err(StoreError::Ambiguous {
            what: "unit",
            key: key.to_owned(),
            candidates: found.iter().map(|u| u.name.as_str()).collect::<Vec<_>>().join("、"),
        }),
    }
}

impl Writer<'_> {
    /// Insert and log a new unit (its name is free among live units).
    fn insert_unit(&self, name: String, region: Option<String>) -> Result<Unit> {
        let unit = Unit { id: UnitId::from_uuid(self.new_id()), name, region, created_at: self.now };
        self.execute(
            "INSERT INTO unit (id, name, region, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
            (unit.id.to_string(), &unit.name, &unit.region, self.now_text()),
        )?;
        self.log(EntityKind::Unit, &unit.id.to_string(), ChangeOp::Create, &unit)?;
        Ok(unit)
    }

    /// The live unit with exactly this name, made (without spots) when there is none: a unit
    /// the office names in a plan. Only the exact name counts, so a plan never lands on a
    /// different unit that merely shares part of the name.
    pub(crate) fn unit_named(&self, new: &NewUnit) -> Result<Unit> {
        let existing = self
            .query_row(
                &format!("SELECT {UNIT_COLUMNS} FROM unit WHERE name = ?1 AND deleted_at IS NULL"),
                [&new.name],
                unit_from_row,
            )
            .optional()?;
        match existing {
            Some(unit) => Ok(unit),
            None => self.insert_unit(new.name.clone(), new.region.clone()),
        }
    }

    /// The spot named `name` in `unit`, made on first mention: inspectors meet spots on site.
    pub(crate) fn spot_in(&self, unit: UnitId, name: &str) -> Result<Spot> {
        let name = text::required("spot name", name, NAME_MAX)?;
        let existing = self
            .query_row(
                "SELECT id, unit_id, name, created_at FROM spot WHERE unit_id = ?1 AND name = ?2",
                (unit.to_string(), &name),
                spot_from_row,
            )
            .optional()?;
        if let Some(spot) = existing {
            return Ok(spot);
        }
        let spot = Spot { id: SpotId::from_uuid(self.new_id()), unit_id: unit, name, created_at: self.now };
        self.execute(
            "INSERT INTO spot (id, unit_id, name, created_at) VALUES (?1, ?2, ?3, ?4)",
            (spot.id.to_string(), unit.to_string(), &spot.name, self.now_text()),
        )?;
        self.log(EntityKind::Spot, &spot.id.to_string(), ChangeOp::Create, &spot)?;
        Ok(spot)
    }
}

impl Store {
    /// Add an inspected unit, with any spots already known.
    pub fn add_unit(&mut self, new: NewUnit) -> Result<UnitSummary> {
        self.write(|w| {
            let taken = w
                .query_row("SELECT 1 FROM unit WHERE name = ?1 AND deleted_at IS NULL", [&new.name], |_| Ok(()))
                .optional()?;
            if taken.is_some() {
                return Err(StoreError::Duplicate { what: "unit", key: new.name.clone() });
            }
            let unit = w.insert_unit(new.name, new.region)?;
            let spots = new.spots.iter().map(|s| w.spot_in(unit.id, s)).collect::<Result<Vec<_>>>()?;
            Ok(UnitSummary { unit, spots, findings: 0 })
        })
    }

    /// Find a unit by id, name, or a unique part of its name.
    pub fn unit(&self, key: &str) -> Result<Unit> {
        find_unit(&self.conn, key)
    }

    /// Every unit with its spots and how many findings it has.
    pub fn units(&self) -> Result<Vec<UnitSummary>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {UNIT_COLUMNS}, (SELECT count(*) FROM finding f WHERE f.unit_id = unit.id AND f.deleted_at IS NULL)
             FROM unit WHERE deleted_at IS NULL ORDER BY name"
        ))?;
        let units =
            stmt.query_map([], |r| Ok((unit_from_row(r)?, r.get::<_, u64>(4)?)))?.collect::<Result<Vec<_>, _>>()?;
        units
            .into_iter()
            .map(|(unit, findings)| Ok(UnitSummary { spots: self.spots(unit.id)?, unit, findings }))
            .collect()
    }

    pub fn spots(&self, unit: UnitId) -> Result<Vec<Spot>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, unit_id, name, created_at FROM spot WHERE unit_id = ?1 AND deleted_at IS NULL ORDER BY created_at, name",
        )?;
        Ok(stmt.query_map([unit.to_string()], spot_from_row)?.collect::<Result<_, _>>()?)
    }
}
