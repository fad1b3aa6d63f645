//! Review (审核): what the office decided about each finding an inspector sent, and the
//! wordings it went through.
//!
//! A finding arrives as the device's record; the office never edits that record. Its own
//! decisions, edits and merges live in a [`Review`] beside it. Whether a returned finding came
//! back changed is read from the record's change id: the device resent it if its latest change
//! is not the one the office returned.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{HistoryEntry, OfficeError, required};

/// Where a finding stands at the office.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    /// 待审核: arrived, nothing decided yet.
    New,
    /// 已退回: sent back to the inspector with a comment.
    Returned,
    /// 已重报: changed by the inspector after a return; to decide again.
    Resent,
    /// 已采纳: in the ledger.
    Accepted,
    /// 已合并: a duplicate folded into another finding.
    Merged,
}

impl ReviewState {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::New => "待审核",
            Self::Returned => "已退回",
            Self::Resent => "已重报",
            Self::Accepted => "已采纳",
            Self::Merged => "已合并",
        }
    }

    /// Waiting for the office.
    pub fn is_open(self) -> bool {
        matches!(self, Self::New | Self::Resent)
    }
}

/// Who wrote a wording.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Device,
    Office,
}

/// One wording of a finding's description.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wording {
    pub text: String,
    pub by: String,
    pub at: DateTime<Utc>,
    pub source: Source,
}

/// The fields of a device's finding that the office compares when it is resent.
pub const COMPARED: [&str; 7] =
    ["description", "category", "severity", "persons_involved", "observed_at", "spot_id", "method"];

/// The office's side of one finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    pub finding_id: String,
    pub state: ReviewState,
    /// The comment of the last return.
    pub comment: Option<String>,
    /// The change id and the payload of the finding when it was returned.
    pub returned_change: Option<String>,
    pub returned_payload: Option<serde_json::Value>,
    /// The device's wordings the office has seen, oldest first.
    pub device_wordings: Vec<Wording>,
    /// The office's own wordings, oldest first.
    pub office_wordings: Vec<Wording>,
    pub merged_into: Option<String>,
    /// Findings folded into this one.
    pub merged: Vec<String>,
    /// The ledger problem made when it was accepted.
    pub problem_id: Option<String>,
    pub history: Vec<HistoryEntry>,
}

/// The finding as the device last sent it: what a review decision is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Current<'a> {
    pub change_id: &'a str,
    pub payload: &'a serde_json::Value,
    pub inspector: &'a str,
    pub changed_at: DateTime<Utc>,
}

impl Current<'_> {
    pub fn description(&self) -> &str {
        self.payload.get("description").and_then(|v| v.as_str()).unwrap_or_default()
    }

    /// The device's wording as it stands now.
    fn wording(&self) -> Wording {
        Wording {
            text: self.description().to_owned(),
            by: self.inspector.to_owned(),
            at: self.changed_at,
            source: Source::Device,
        }
    }
}

impl Review {
    pub fn new(finding_id: &str) -> Self {
        Self {
            finding_id: finding_id.to_owned(),
            state: ReviewState::New,
            comment: None,
            returned_change: None,
            returned_payload: None,
            device_wordings: Vec::new(),
            office_wordings: Vec::new(),
            merged_into: None,
            merged: Vec::new(),
            problem_id: None,
            history: Vec::new(),
        }
    }

    /// The state now: a returned finding whose record changed since is [`ReviewState::Resent`].
    pub fn state_now(&self, current: &Current<'_>) -> ReviewState {
        match self.state {
            ReviewState::Returned if self.returned_change.as_deref() != Some(current.change_id) => ReviewState::Resent,
            s => s,
        }
    }

    /// The fields the inspector changed since the return (empty if not resent).
    pub fn changed(&self, current: &Current<'_>) -> Vec<String> {
        let Some(before) = &self.returned_payload else { return Vec::new() };
        if self.state_now(current) != ReviewState::Resent {
            return Vec::new();
        }
        COMPARED.iter().filter(|f| before.get(**f) != current.payload.get(**f)).map(|f| (*f).to_owned()).collect()
    }

    /// Every wording in order, the device's current one included: the last is in force, unless
    /// the device changed its text after the office's last edit.
    pub fn wordings(&self, current: &Current<'_>) -> Vec<Wording> {
        let mut all = self.device_wordings.clone();
        if all.last().is_none_or(|w| w.text != current.description()) {
            all.push(current.wording());
        }
        all.extend(self.office_wordings.iter().cloned());
        all.sort_by_key(|w| w.at);
        all
    }

    /// The description the office uses (ledger, notices).
    pub fn description(&self, current: &Current<'_>) -> String {
        self.wordings(current).last().map(|w| w.text.clone()).unwrap_or_else(|| current.description().to_owned())
    }

    fn remember_device_wording(&mut self, current: &Current<'_>) {
        if self.device_wordings.last().is_none_or(|w| w.text != current.description()) {
            self.device_wordings.push(current.wording());
        }
    }

    fn log(&mut self, by: &str, at: DateTime<Utc>, action: &str, text: String) {
        self.history.push(HistoryEntry { at, by: by.to_owned(), action: action.to_owned(), text });
    }

    fn refuse_if(&self, current: &Current<'_>, states: &[ReviewState], what: &str) -> Result<(), OfficeError> {
        let now = self.state_now(current);
        if states.contains(&now) {
            return Err(OfficeError::WrongStage(format!("a finding that is {} cannot be {what}", now.label_zh())));
        }
        Ok(())
    }

    /// 退回: send it back to the inspector with what to fix.
    pub fn return_to_inspector(
        &mut self,
        current: &Current<'_>,
        comment: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<(), OfficeError> {
        self.refuse_if(current, &[ReviewState::Accepted, ReviewState::Merged], "returned")?;
        let comment = required("the comment", comment, 500)?;
        self.remember_device_wording(current);
        self.state = ReviewState::Returned;
        self.returned_change = Some(current.change_id.to_owned());
        self.returned_payload = Some(current.payload.clone());
        self.comment = Some(comment.clone());
        self.log(by, at, "退回", comment);
        Ok(())
    }

    /// 采纳: into the ledger as `problem_id`.
    pub fn accept(
        &mut self,
        current: &Current<'_>,
        problem_id: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<(), OfficeError> {
        self.refuse_if(current, &[ReviewState::Accepted, ReviewState::Merged], "accepted again")?;
        self.remember_device_wording(current);
        self.state = ReviewState::Accepted;
        self.problem_id = Some(problem_id.to_owned());
        self.log(by, at, "采纳", String::new());
        Ok(())
    }

    /// 修改表述: a new wording; the earlier ones stay.
    pub fn reword(
        &mut self,
        current: &Current<'_>,
        text: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<(), OfficeError> {
        self.refuse_if(current, &[ReviewState::Merged], "reworded")?;
        let text = required("the description", text, mingcha_core::finding::DESCRIPTION_MAX)?;
        if text == self.description(current) {
            return Err(OfficeError::Invalid("the new wording is the same as the one in force".into()));
        }
        self.remember_device_wording(current);
        self.office_wordings.push(Wording { text: text.clone(), by: by.to_owned(), at, source: Source::Office });
        self.log(by, at, "修改表述", text);
        Ok(())
    }

    /// 合并: this finding is a duplicate of `into` (whose review takes it in).
    pub fn merge_into(
        &mut self,
        current: &Current<'_>,
        into: &mut Review,
        into_current: &Current<'_>,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<(), OfficeError> {
        if self.finding_id == into.finding_id {
            return Err(OfficeError::Invalid("a finding cannot be merged into itself".into()));
        }
        self.refuse_if(current, &[ReviewState::Accepted, ReviewState::Merged], "merged")?;
        into.refuse_if(into_current, &[ReviewState::Merged], "merged into")?;
        self.remember_device_wording(current);
        self.state = ReviewState::Merged;
        self.merged_into = Some(into.finding_id.clone());
        self.log(by, at, "合并", format!("并入 {}", into.finding_id));
        into.merged.push(self.finding_id.clone());
        into.log(by, at, "合并", format!("并入重复问题 {}", self.finding_id));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(h: u32) -> DateTime<Utc> {
        chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 10, h, 0, 0).unwrap()
    }

    fn current<'a>(change: &'a str, payload: &'a serde_json::Value) -> Current<'a> {
        Current { change_id: change, payload, inspector: "李明", changed_at: at(1) }
    }

    #[test]
    fn a_returned_finding_that_comes_back_changed_is_resent_with_what_changed() {
        let before = json!({"description": "3号窗口无人", "severity": "minor"});
        let mut r = Review::new("f1");
        r.return_to_inspector(&current("c1", &before), "写明脱岗时长", "王审核", at(2)).unwrap();
        assert_eq!(r.state_now(&current("c1", &before)), ReviewState::Returned);
        let after = json!({"description": "3号窗口工作人员脱岗二十分钟", "severity": "minor"});
        let now = current("c2", &after);
        assert_eq!(r.state_now(&now), ReviewState::Resent);
        assert_eq!(r.changed(&now), ["description"]);
        let texts: Vec<_> = r.wordings(&now).into_iter().map(|w| w.text).collect();
        assert_eq!(texts, ["3号窗口无人", "3号窗口工作人员脱岗二十分钟"]);
    }

    #[test]
    fn rewording_keeps_the_original_and_the_new_one_is_in_force() {
        let p = json!({"description": "窗口无人"});
        let c = current("c1", &p);
        let mut r = Review::new("f1");
        r.reword(&c, "3号窗口上班时间无人值守", "王审核", at(3)).unwrap();
        assert_eq!(r.description(&c), "3号窗口上班时间无人值守");
        assert_eq!(r.wordings(&c)[0].text, "窗口无人");
        assert_eq!(r.wordings(&c)[0].source, Source::Device);
        assert!(r.reword(&c, " 3号窗口上班时间无人值守 ", "王审核", at(4)).is_err());
    }

    #[test]
    fn accepted_and_merged_findings_refuse_further_decisions() {
        let p = json!({"description": "x"});
        let c = current("c1", &p);
        let mut a = Review::new("a");
        let mut b = Review::new("b");
        a.merge_into(&c, &mut b, &c, "王审核", at(2)).unwrap();
        assert_eq!(b.merged, ["a"]);
        assert!(a.accept(&c, "p1", "王审核", at(3)).is_err());
        b.accept(&c, "p1", "王审核", at(3)).unwrap();
        let err = b.return_to_inspector(&c, "再看看", "王审核", at(4)).unwrap_err();
        assert!(matches!(err, OfficeError::WrongStage(_)), "{err}");
        assert!(Review::new("c").return_to_inspector(&c, "  ", "王审核", at(4)).is_err());
    }
}
