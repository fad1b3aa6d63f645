//! Rectification (整改): how the office drives one problem to its end,
//! 交办 → 整改 → 复核 → 销号, and the deadline lights (亮灯) it watches.
//!
//! The office console uses this later; the states and their rules live here now so the device
//! and the server can never disagree on what a move means.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::ValidationError;
use crate::id::{FindingId, RectificationId};

/// Where a problem stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 交办: handed to the responsible unit with a deadline; the unit is working on it.
    Assigned,
    /// 整改反馈: the unit reported what it did, with evidence; waits for the office.
    Reported,
    /// 复核通过: the office verified the fix (often by a 回头看 visit).
    Verified,
    /// 销号: closed in the ledger.
    Closed,
}

impl Stage {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Assigned => "已交办",
            Self::Reported => "已反馈",
            Self::Verified => "已复核",
            Self::Closed => "已销号",
        }
    }
}

/// A move in the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// The unit reports its 整改 (with evidence).
    Report,
    /// 复核 passes.
    VerifyPass,
    /// 复核 fails: back to 整改.
    VerifyFail,
    /// 销号.
    Close,
}

impl Stage {
    /// The stage after `step`, or why the step is not allowed from here.
    pub fn after(self, step: Step) -> Result<Stage, ValidationError> {
        use {Stage::*, Step::*};
        match (self, step) {
            (Assigned, Report) => Ok(Reported),
            (Reported, VerifyPass) => Ok(Verified),
            (Reported, VerifyFail) => Ok(Assigned),
            (Verified, Close) => Ok(Closed),
            (from, step) => Err(ValidationError::Inconsistent {
                field: "rectification",
                reason: format!("cannot {step:?} a problem that is {}", from.label_zh()),
            }),
        }
    }
}

/// A deadline light (亮灯).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Light {
    /// On track.
    Green,
    /// 黄灯: the deadline is within [`YELLOW_WITHIN_DAYS`] days.
    Yellow,
    /// 红灯: overdue.
    Red,
}

/// How many days before the deadline the light turns yellow.
pub const YELLOW_WITHIN_DAYS: i64 = 3;

/// The light for a case on `today`. A case that reached 复核 or 销号 no longer lights:
/// the unit has done its part.
pub fn light(stage: Stage, deadline: NaiveDate, today: NaiveDate) -> Option<Light> {
    if matches!(stage, Stage::Verified | Stage::Closed) {
        return None;
    }
    let days_left = (deadline - today).num_days();
    Some(if days_left < 0 {
        Light::Red
    } else if days_left <= YELLOW_WITHIN_DAYS {
        Light::Yellow
    } else {
        Light::Green
    })
}

/// One problem's rectification case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Rectification {
    pub id: RectificationId,
    pub finding_id: FindingId,
    /// 责任单位
    pub responsible_unit: String,
    /// 责任人
    pub responsible_person: Option<String>,
    /// 整改时限
    pub deadline: NaiveDate,
    pub stage: Stage,
    /// 整改措施 as reported by the unit.
    pub measures: Option<String>,
    pub assigned_at: DateTime<Utc>,
}

/// Check a new assignment: a deadline in the past is a mistake, never a plan.
pub fn check_assignment(deadline: NaiveDate, today: NaiveDate) -> Result<(), ValidationError> {
    if deadline < today {
        return Err(ValidationError::Inconsistent {
            field: "deadline",
            reason: format!("{deadline} is already past (today is {today})"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_workflow_runs_assign_report_verify_close() {
        let s = Stage::Assigned.after(Step::Report).unwrap();
        let s = s.after(Step::VerifyPass).unwrap();
        assert_eq!(s.after(Step::Close), Ok(Stage::Closed));
    }

    #[test]
    fn a_failed_verification_goes_back_to_rectifying() {
        assert_eq!(Stage::Reported.after(Step::VerifyFail), Ok(Stage::Assigned));
    }

    #[test]
    fn closing_before_verification_is_refused() {
        let err = Stage::Assigned.after(Step::Close).unwrap_err();
        assert!(err.to_string().contains("已交办"), "{err}");
    }

    #[test]
    fn lights_turn_yellow_three_days_out_and_red_when_overdue() {
        let deadline = d("2026-11-20");
        assert_eq!(light(Stage::Assigned, deadline, d("2026-11-16")), Some(Light::Green));
        assert_eq!(light(Stage::Assigned, deadline, d("2026-11-17")), Some(Light::Yellow));
        assert_eq!(light(Stage::Reported, deadline, d("2026-11-20")), Some(Light::Yellow));
        assert_eq!(light(Stage::Assigned, deadline, d("2026-11-21")), Some(Light::Red));
        assert_eq!(light(Stage::Verified, deadline, d("2026-12-01")), None);
    }

    #[test]
    fn deadlines_in_the_past_are_refused() {
        assert!(check_assignment(d("2026-11-01"), d("2026-11-02")).is_err());
        assert!(check_assignment(d("2026-11-02"), d("2026-11-02")).is_ok());
    }
}
