//! Record ids. Every id is a UUIDv7 made on the device that created the record, so records made
//! offline on different laptops never collide and still sort by creation time. The core only
//! wraps them; making one needs a clock and randomness, which the store supplies.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::ValidationError;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $label:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = ValidationError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim()).map(Self).map_err(|_| ValidationError::Malformed {
                    field: $label,
                    value: s.to_owned(),
                    what: "id",
                })
            }
        }
    };
}

id_type!(/// An inspector (督查员).
    InspectorId, "inspector id");
id_type!(/// One laptop of one inspector; each device writes its own change series.
    DeviceId, "device id");
id_type!(/// An inspected unit (被检查单位).
    UnitId, "unit id");
id_type!(/// A spot (点位) inside a unit: a window, a floor, an office.
    SpotId, "spot id");
id_type!(/// An inspection plan (督查任务).
    PlanId, "plan id");
id_type!(/// One visit: one unit on one day.
    VisitId, "visit id");
id_type!(/// A filled checklist for one visit.
    ResponseId, "checklist response id");
id_type!(/// A finding (问题).
    FindingId, "finding id");
id_type!(/// One evidence file (证据) attached to a finding or a checklist item.
    EvidenceId, "evidence id");
id_type!(/// A rectification case (交办 → 整改 → 复核 → 销号).
    RectificationId, "rectification id");
id_type!(/// One entry of a device's append-only change log.
    ChangeId, "change id");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text_and_refuse_garbage() {
        let id = FindingId::from_uuid(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001));
        let text = id.to_string();
        assert_eq!(text.parse::<FindingId>(), Ok(id));
        let err = "not-an-id".parse::<FindingId>().unwrap_err();
        assert_eq!(err.to_string(), "finding id: `not-an-id` is not a valid id");
    }
}
