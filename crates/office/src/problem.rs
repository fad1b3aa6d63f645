//! One problem of the ledger (台账) and its rectification: 交办 → 整改 → 复核 → 销号.
//!
//! The moves and the deadline lights are [`mingcha_core::rectification`]'s, so the device and
//! the office can never disagree on what a move means; this adds what only the office keeps:
//! who did what, the unit's reports with their files, and the verifications.

use chrono::{DateTime, NaiveDate, Utc};
use mingcha_core::rectification::{self, Light, Stage, Step};
use serde::{Deserialize, Serialize};

use crate::ledger::LedgerStage;
use crate::{HistoryEntry, OfficeError, clean, required};

/// A file a unit or the office attached (held in the office's blob store by digest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    pub sha256: String,
    pub name: String,
    pub media_type: String,
    pub size: u64,
}

/// 整改反馈: what the unit reports it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    pub at: DateTime<Utc>,
    pub by: String,
    pub text: String,
    pub files: Vec<FileRef>,
}

/// 复核: the office's check of the unit's report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub at: DateTime<Utc>,
    pub by: String,
    pub pass: bool,
    pub comment: String,
    /// A finding of a later visit (回头看) that shows the fix.
    pub revisit_finding: Option<String>,
}

/// The responsible unit (责任单位) and person (责任人) a problem is handed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub unit_id: String,
    pub unit: String,
    pub person: Option<String>,
    pub deadline: NaiveDate,
    /// 整改措施 the office asks for (the unit's own go in its report).
    pub measures: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    pub id: String,
    /// The finding it came from (after merges, the one the duplicates were folded into).
    pub finding_id: String,
    pub created_at: DateTime<Utc>,
    pub stage: LedgerStage,
    pub assignment: Option<Assignment>,
    pub feedback: Vec<Feedback>,
    pub verifications: Vec<Verification>,
    pub closed_on: Option<NaiveDate>,
    pub history: Vec<HistoryEntry>,
}

/// 亮灯 of a problem at `stage` with `deadline` (none before 交办), on `today`: what a ledger
/// row read back from the office's tables shows.
pub fn light_on(stage: LedgerStage, deadline: Option<NaiveDate>, today: NaiveDate) -> Option<Light> {
    rectification::light(core_stage(stage)?, deadline?, today)
}

fn core_stage(s: LedgerStage) -> Option<Stage> {
    match s {
        LedgerStage::Pending => None,
        LedgerStage::Assigned => Some(Stage::Assigned),
        LedgerStage::Reported => Some(Stage::Reported),
        LedgerStage::Verified => Some(Stage::Verified),
        LedgerStage::Closed => Some(Stage::Closed),
    }
}

fn ledger_stage(s: Stage) -> LedgerStage {
    match s {
        Stage::Assigned => LedgerStage::Assigned,
        Stage::Reported => LedgerStage::Reported,
        Stage::Verified => LedgerStage::Verified,
        Stage::Closed => LedgerStage::Closed,
    }
}

/// The history action of a unit's report (整改反馈). Every other action of a problem's history
/// is the office's: a unit is shown them as the office's, never by the name of who took them.
pub const REPORT_ACTION: &str = "整改反馈";

/// What 交办 needs, as typed.
#[derive(Debug, Clone)]
pub struct AssignInput<'a> {
    pub unit_id: &'a str,
    pub unit: &'a str,
    pub person: Option<&'a str>,
    pub deadline: NaiveDate,
    pub measures: Option<&'a str>,
}

impl Problem {
    pub fn new(id: &str, finding_id: &str, by: &str, at: DateTime<Utc>) -> Self {
        let mut p = Self {
            id: id.to_owned(),
            finding_id: finding_id.to_owned(),
            created_at: at,
            stage: LedgerStage::Pending,
            assignment: None,
            feedback: Vec::new(),
            verifications: Vec::new(),
            closed_on: None,
            history: Vec::new(),
        };
        p.log(by, at, "采纳入账", String::new());
        p
    }

    fn log(&mut self, by: &str, at: DateTime<Utc>, action: &str, text: String) {
        self.history.push(HistoryEntry { at, by: by.to_owned(), action: action.to_owned(), text });
    }

    fn step(&mut self, step: Step) -> Result<(), OfficeError> {
        let from = core_stage(self.stage)
            .ok_or_else(|| OfficeError::WrongStage("the problem has not been assigned (交办) to a unit yet".into()))?;
        let to = from.after(step).map_err(|e| OfficeError::WrongStage(e.to_string()))?;
        self.stage = ledger_stage(to);
        Ok(())
    }

    /// 交办, or hand it again (a new unit or deadline) while the unit is still on it.
    pub fn assign(
        &mut self,
        input: AssignInput<'_>,
        today: NaiveDate,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<(), OfficeError> {
        if !matches!(self.stage, LedgerStage::Pending | LedgerStage::Assigned) {
            return Err(OfficeError::WrongStage(format!(
                "a problem that is {} cannot be assigned again",
                self.stage.label_zh()
            )));
        }
        rectification::check_assignment(input.deadline, today)
            .map_err(|_| OfficeError::DeadlinePast { deadline: input.deadline, today })?;
        let person = clean(input.person);
        let measures = clean(input.measures);
        let text = format!(
            "{}{}，限{}前整改{}",
            input.unit,
            person.as_deref().map(|p| format!("（{p}）")).unwrap_or_default(),
            input.deadline,
            measures.as_deref().map(|m| format!("：{m}")).unwrap_or_default()
        );
        self.assignment = Some(Assignment {
            unit_id: input.unit_id.to_owned(),
            unit: input.unit.to_owned(),
            person,
            deadline: input.deadline,
            measures,
            at,
        });
        self.stage = LedgerStage::Assigned;
        self.log(by, at, "交办", text);
        Ok(())
    }

    /// 整改反馈 from the unit.
    pub fn report(&mut self, text: &str, files: Vec<FileRef>, by: &str, at: DateTime<Utc>) -> Result<(), OfficeError> {
        let text = required("the report", text, 2000)?;
        self.step(Step::Report)?;
        self.log(by, at, REPORT_ACTION, text.clone());
        self.feedback.push(Feedback { at, by: by.to_owned(), text, files });
        Ok(())
    }

    /// 复核: pass, or back to 整改 with what is still wrong.
    pub fn verify(
        &mut self,
        pass: bool,
        comment: &str,
        revisit_finding: Option<&str>,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<(), OfficeError> {
        let comment = if pass {
            comment.trim().to_owned()
        } else {
            required("the reason the verification failed", comment, 1000)?
        };
        self.step(if pass { Step::VerifyPass } else { Step::VerifyFail })?;
        let action = if pass { "复核通过" } else { "复核未通过，退回整改" };
        self.log(by, at, action, comment.clone());
        self.verifications.push(Verification {
            at,
            by: by.to_owned(),
            pass,
            comment,
            revisit_finding: clean(revisit_finding),
        });
        Ok(())
    }

    /// 销号.
    pub fn close(
        &mut self,
        comment: Option<&str>,
        today: NaiveDate,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<(), OfficeError> {
        self.step(Step::Close)?;
        self.closed_on = Some(today);
        self.log(by, at, "销号", clean(comment).unwrap_or_default());
        Ok(())
    }

    /// 亮灯 on `today`: only while the unit still has something to do.
    pub fn light(&self, today: NaiveDate) -> Option<Light> {
        light_on(self.stage, self.assignment.as_ref().map(|a| a.deadline), today)
    }

    /// 整改情况: the unit's latest report.
    pub fn rectification_text(&self) -> String {
        self.feedback.last().map(|f| f.text.clone()).unwrap_or_default()
    }

    /// 复核情况: the latest verification.
    pub fn verification_text(&self) -> String {
        self.verifications
            .last()
            .map(|v| {
                let verdict = if v.pass { "复核通过" } else { "复核未通过" };
                if v.comment.is_empty() { verdict.to_owned() } else { format!("{verdict}：{}", v.comment) }
            })
            .unwrap_or_default()
    }

    /// The revisit finding the last passing verification links, if any.
    pub fn revisit_finding(&self) -> Option<&str> {
        self.verifications.iter().rev().find(|v| v.pass).and_then(|v| v.revisit_finding.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn now() -> DateTime<Utc> {
        chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 22, 9, 0, 0).unwrap()
    }

    fn assign(p: &mut Problem, deadline: &str) -> Result<(), OfficeError> {
        let input = AssignInput {
            unit_id: "u1",
            unit: "城南区政务服务中心",
            person: Some("王科长"),
            deadline: d(deadline),
            measures: Some("加强考勤"),
        };
        p.assign(input, d("2026-11-22"), "王审核", now())
    }

    #[test]
    fn a_problem_goes_from_assignment_to_closing_with_a_failed_check_between() {
        let mut p = Problem::new("p1", "f1", "王审核", now());
        assert_eq!(p.light(d("2026-11-22")), None);
        assign(&mut p, "2026-11-30").unwrap();
        assert_eq!(p.light(d("2026-11-27")), Some(Light::Yellow));
        assert_eq!(p.light(d("2026-12-01")), Some(Light::Red));
        p.report("已调整排班", vec![], "城南区政务服务中心", now()).unwrap();
        p.verify(false, "回头看时3号窗口仍无人", None, "王审核", now()).unwrap();
        assert_eq!(p.stage, LedgerStage::Assigned);
        p.report("已落实AB岗", vec![], "城南区政务服务中心", now()).unwrap();
        p.verify(true, "", Some("f9"), "王审核", now()).unwrap();
        assert_eq!(p.light(d("2026-12-05")), None);
        p.close(None, d("2026-12-02"), "王审核", now()).unwrap();
        assert_eq!(p.stage, LedgerStage::Closed);
        assert_eq!(p.closed_on, Some(d("2026-12-02")));
        assert_eq!(p.revisit_finding(), Some("f9"));
        assert_eq!(p.verification_text(), "复核通过");
        assert_eq!(p.rectification_text(), "已落实AB岗");
    }

    #[test]
    fn moves_out_of_order_and_past_deadlines_are_refused_without_a_trace() {
        let mut p = Problem::new("p1", "f1", "王审核", now());
        assert!(matches!(p.report("x", vec![], "u", now()), Err(OfficeError::WrongStage(_))));
        assert!(matches!(assign(&mut p, "2026-11-21"), Err(OfficeError::DeadlinePast { .. })));
        assert_eq!(p.stage, LedgerStage::Pending);
        assert!(p.assignment.is_none());
        assign(&mut p, "2026-11-22").unwrap();
        assert!(matches!(p.close(None, d("2026-11-23"), "王审核", now()), Err(OfficeError::WrongStage(_))));
        assert!(p.verify(false, " ", None, "王审核", now()).is_err());
        assert_eq!(p.history.len(), 2, "{:?}", p.history);
    }
}
