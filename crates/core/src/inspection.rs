//! Inspection plans (督查任务) and visits: the frame every finding hangs in.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::id::{PlanId, SpotId, UnitId, VisitId};
use crate::{ValidationError, text};

/// Open (明查) or covert (暗访) inspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum InspectionKind {
    /// 明查: announced, inspectors show who they are.
    Open,
    /// 暗访: incognito, posing as a member of the public; targets are secret until the day.
    Covert,
}

impl InspectionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Covert => "covert",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Open => "明查",
            Self::Covert => "暗访",
        }
    }
}

impl FromStr for InspectionKind {
    type Err = ValidationError;
    /// Accepts the Chinese word as inspectors say it, or the English one scripts use.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "明查" | "open" => Ok(Self::Open),
            "暗访" | "covert" => Ok(Self::Covert),
            other => Err(ValidationError::NotOneOf {
                field: "kind",
                value: other.to_owned(),
                expected: "明查|暗访|open|covert",
            }),
        }
    }
}

impl fmt::Display for InspectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_zh())
    }
}

/// Parse a calendar date as `YYYY-MM-DD` (also `YYYY/MM/DD`), naming the field on failure.
pub fn parse_date(field: &'static str, s: &str) -> Result<NaiveDate, ValidationError> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y/%m/%d"))
        .map_err(|_| ValidationError::Malformed { field, value: s.to_owned(), what: "date (YYYY-MM-DD)" })
}

/// An inspection plan (督查任务 / 检查计划).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InspectionPlan {
    pub id: PlanId,
    pub title: String,
    pub kind: InspectionKind,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// The team (督查组), by name: members on other laptops are not records here.
    pub team: Vec<String>,
    pub target_units: Vec<UnitId>,
    /// Codes of the checklist templates this plan uses.
    pub checklists: Vec<String>,
    pub created_at: DateTime<Utc>,
}

impl InspectionPlan {
    /// Whether a covert plan's targets may be shown on `today`. A covert plan's targets are
    /// secret until its first day, so a laptop opened early shows nothing that could leak.
    pub fn targets_visible_on(&self, today: NaiveDate) -> bool {
        self.kind == InspectionKind::Open || today >= self.starts_on
    }
}

/// A plan as the user asks for it, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPlan {
    pub title: String,
    pub kind: InspectionKind,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub team: Vec<String>,
}

impl NewPlan {
    pub fn parse(
        title: &str,
        kind: InspectionKind,
        starts_on: NaiveDate,
        ends_on: NaiveDate,
        team: &[String],
    ) -> Result<Self, ValidationError> {
        if ends_on < starts_on {
            return Err(ValidationError::Inconsistent {
                field: "date range",
                reason: format!("ends {ends_on} before it starts {starts_on}"),
            });
        }
        let team = team.iter().map(|m| text::required("team member", m, 50)).collect::<Result<Vec<_>, _>>()?;
        Ok(Self { title: text::required("plan title", title, 200)?, kind, starts_on, ends_on, team })
    }
}

/// One visit: one unit on one day, open or covert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Visit {
    pub id: VisitId,
    pub plan_id: Option<PlanId>,
    pub unit_id: UnitId,
    pub spot_id: Option<SpotId>,
    pub kind: InspectionKind,
    pub date: NaiveDate,
    pub arrived_at: Option<DateTime<FixedOffset>>,
    pub left_at: Option<DateTime<FixedOffset>>,
    pub inspectors: Vec<String>,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Check that arrival and leaving times are on the visit's day and in order.
pub fn check_visit_times(
    date: NaiveDate,
    arrived_at: Option<DateTime<FixedOffset>>,
    left_at: Option<DateTime<FixedOffset>>,
) -> Result<(), ValidationError> {
    for (field, t) in [("arrival time", arrived_at), ("leave time", left_at)] {
        if let Some(t) = t
            && t.date_naive() != date
        {
            return Err(ValidationError::Inconsistent {
                field,
                reason: format!("{t} is not on the visit's day {date}"),
            });
        }
    }
    if let (Some(a), Some(l)) = (arrived_at, left_at)
        && l < a
    {
        return Err(ValidationError::Inconsistent {
            field: "leave time",
            reason: format!("{l} is before arrival {a}"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date("date", s).unwrap()
    }

    #[test]
    fn kind_accepts_chinese_and_english_and_names_the_choices() {
        assert_eq!("暗访".parse(), Ok(InspectionKind::Covert));
        assert_eq!("open".parse(), Ok(InspectionKind::Open));
        let err = "secret".parse::<InspectionKind>().unwrap_err();
        assert!(err.to_string().contains("明查|暗访"), "{err}");
    }

    #[test]
    fn a_date_that_is_not_a_date_is_refused_by_name() {
        let err = parse_date("visit date", "2026-02-30").unwrap_err();
        assert_eq!(err.to_string(), "visit date: `2026-02-30` is not a valid date (YYYY-MM-DD)");
        assert_eq!(d("2026/11/02"), d("2026-11-02"));
    }

    #[test]
    fn plan_range_must_not_run_backwards() {
        let err =
            NewPlan::parse("十一月暗访", InspectionKind::Covert, d("2026-11-10"), d("2026-11-09"), &[]).unwrap_err();
        assert_eq!(err.code(), "inconsistent");
    }

    #[test]
    fn covert_targets_stay_hidden_until_the_first_day() {
        let plan = InspectionPlan {
            id: PlanId::from_uuid(uuid::Uuid::nil()),
            title: "暗访".into(),
            kind: InspectionKind::Covert,
            starts_on: d("2026-11-10"),
            ends_on: d("2026-11-12"),
            team: vec![],
            target_units: vec![],
            checklists: vec![],
            created_at: DateTime::UNIX_EPOCH,
        };
        assert!(!plan.targets_visible_on(d("2026-11-09")));
        assert!(plan.targets_visible_on(d("2026-11-10")));
        let open = InspectionPlan { kind: InspectionKind::Open, ..plan };
        assert!(open.targets_visible_on(d("2026-11-01")));
    }

    #[test]
    fn visit_times_must_fall_on_the_day_and_in_order() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap();
        let day = d("2026-11-10");
        assert!(
            check_visit_times(day, Some(t("2026-11-10T09:00:00+08:00")), Some(t("2026-11-10T10:00:00+08:00"))).is_ok()
        );
        assert!(check_visit_times(day, Some(t("2026-11-11T09:00:00+08:00")), None).is_err());
        assert!(
            check_visit_times(day, Some(t("2026-11-10T10:00:00+08:00")), Some(t("2026-11-10T09:00:00+08:00"))).is_err()
        );
    }
}
