//! Inspected units (被检查单位) and their spots (点位).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::{SpotId, UnitId};
use crate::{ValidationError, text};

pub const NAME_MAX: usize = 100;

/// An inspected unit: a bureau, a street office, a service hall.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Unit {
    pub id: UnitId,
    /// Full official name, unique in a store (e.g. 某某区政务服务中心).
    pub name: String,
    /// Region or parent body, free text (e.g. 某某区).
    pub region: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A spot (点位) inside a unit where something is observed: "3号窗口", "二楼办公区".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Spot {
    pub id: SpotId,
    pub unit_id: UnitId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// What a user gives to create a unit, validated before anything is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewUnit {
    pub name: String,
    pub region: Option<String>,
    pub spots: Vec<String>,
}

impl NewUnit {
    pub fn parse(name: &str, region: Option<&str>, spots: &[String]) -> Result<Self, ValidationError> {
        let spots = spots.iter().map(|s| text::required("spot name", s, NAME_MAX)).collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            name: text::required("unit name", name, NAME_MAX)?,
            region: text::optional("region", region, NAME_MAX)?,
            spots,
        })
    }
}
