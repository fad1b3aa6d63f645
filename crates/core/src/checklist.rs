//! Checklists (检查清单): versioned templates, and a visit's filled response with its score.
//!
//! A response keeps the template code *and version* it was filled against, so editing a
//! template at the office never changes what an old checklist said.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ValidationError;
use crate::id::{ResponseId, VisitId};

/// A checklist template at one version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct ChecklistTemplate {
    /// Stable code, e.g. `window-service`.
    pub code: String,
    pub version: u32,
    /// e.g. 窗口服务规范
    pub name: String,
    pub description: String,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub title: String,
    pub items: Vec<ChecklistItem>,
}

/// One item (检查项).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct ChecklistItem {
    /// Unique within the template, e.g. `ws-03`.
    pub code: String,
    /// What must hold, e.g. 工作人员按规定亮牌上岗.
    pub text: String,
    /// 检查要点: how to look and what counts as 不符合.
    pub guidance: String,
    /// What to photograph or record.
    pub evidence_hint: String,
    /// Weight in the score, 1–5.
    #[serde(default = "default_weight")]
    pub weight: u8,
    /// The taxonomy leaf a 不符合 here usually means, to prefill a finding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
}

fn default_weight() -> u8 {
    1
}

impl ChecklistTemplate {
    pub fn items(&self) -> impl Iterator<Item = (&Section, &ChecklistItem)> {
        self.sections.iter().flat_map(|s| s.items.iter().map(move |i| (s, i)))
    }

    pub fn item(&self, code: &str) -> Option<&ChecklistItem> {
        self.items().map(|(_, i)| i).find(|i| i.code == code)
    }

    pub fn item_count(&self) -> usize {
        self.sections.iter().map(|s| s.items.len()).sum()
    }

    /// The item a user means: by code (`ws-03`) or by 1-based position in the whole list, the
    /// way an inspector reads a printed checklist ("第3项").
    pub fn resolve_item(&self, code_or_number: &str) -> Result<&ChecklistItem, ValidationError> {
        let wanted = code_or_number.trim();
        let by_number = wanted.parse::<usize>().ok().and_then(|n| n.checked_sub(1)).and_then(|i| self.items().nth(i));
        by_number.map(|(_, i)| i).or_else(|| self.item(wanted)).ok_or_else(|| ValidationError::Inconsistent {
            field: "checklist item",
            reason: format!("`{wanted}` is not an item of {} v{}", self.code, self.version),
        })
    }
}

/// The result of one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ItemResult {
    /// 符合
    Conforming,
    /// 不符合: usually becomes a finding.
    NonConforming,
    /// 不适用
    NotApplicable,
}

impl ItemResult {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Conforming => "conforming",
            Self::NonConforming => "non_conforming",
            Self::NotApplicable => "not_applicable",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Conforming => "符合",
            Self::NonConforming => "不符合",
            Self::NotApplicable => "不适用",
        }
    }
}

impl FromStr for ItemResult {
    type Err = ValidationError;
    /// Chinese words, English words, or the keys 1/2/3 the checklist screen uses.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "符合" | "conforming" | "yes" | "1" => Ok(Self::Conforming),
            "不符合" | "non_conforming" | "no" | "2" => Ok(Self::NonConforming),
            "不适用" | "not_applicable" | "na" | "n/a" | "3" => Ok(Self::NotApplicable),
            other => Err(ValidationError::NotOneOf {
                field: "item result",
                value: other.to_owned(),
                expected: "符合|不符合|不适用 (or yes|no|na, 1|2|3)",
            }),
        }
    }
}

impl fmt::Display for ItemResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label_zh())
    }
}

/// One answered item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Answer {
    pub item_code: String,
    pub result: ItemResult,
    pub note: Option<String>,
}

/// A visit's filled checklist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ChecklistResponse {
    pub id: ResponseId,
    pub visit_id: VisitId,
    pub template_code: String,
    pub template_version: u32,
    pub answers: Vec<Answer>,
    pub created_at: DateTime<Utc>,
}

/// How a filled checklist scores: conforming weight over applicable weight, of what is
/// answered so far. Unanswered items are reported, not counted as failures, so a half-filled
/// checklist does not look worse than it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Score {
    pub total_items: usize,
    pub answered: usize,
    pub non_conforming: usize,
    pub conforming_weight: u32,
    pub applicable_weight: u32,
}

impl Score {
    /// 0–100, or `None` when nothing applicable has been answered yet.
    pub fn percent(&self) -> Option<f64> {
        (self.applicable_weight > 0)
            .then(|| f64::from(self.conforming_weight) * 100.0 / f64::from(self.applicable_weight))
    }

    pub fn is_complete(&self) -> bool {
        self.answered == self.total_items
    }
}

/// Score `answers` against the template they were filled with. Answers to items the template
/// does not have are ignored (they cannot be stored, but the function stays total).
pub fn score(template: &ChecklistTemplate, answers: &[Answer]) -> Score {
    let mut s = Score {
        total_items: template.item_count(),
        answered: 0,
        non_conforming: 0,
        conforming_weight: 0,
        applicable_weight: 0,
    };
    for answer in answers {
        let Some(item) = template.item(&answer.item_code) else { continue };
        s.answered += 1;
        let w = u32::from(item.weight);
        match answer.result {
            ItemResult::Conforming => {
                s.conforming_weight += w;
                s.applicable_weight += w;
            }
            ItemResult::NonConforming => {
                s.non_conforming += 1;
                s.applicable_weight += w;
            }
            ItemResult::NotApplicable => {}
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> ChecklistTemplate {
        let item = |code: &str, weight| ChecklistItem {
            code: code.into(),
            text: format!("{code} 检查项"),
            guidance: "查看".into(),
            evidence_hint: "拍照".into(),
            weight,
            category: None,
        };
        ChecklistTemplate {
            code: "window-service".into(),
            version: 2,
            name: "窗口服务规范".into(),
            description: "".into(),
            sections: vec![
                Section { title: "亮牌".into(), items: vec![item("ws-01", 1), item("ws-02", 3)] },
                Section { title: "告知".into(), items: vec![item("ws-03", 1), item("ws-04", 1)] },
            ],
        }
    }

    fn answer(code: &str, result: ItemResult) -> Answer {
        Answer { item_code: code.into(), result, note: None }
    }

    #[test]
    fn score_weighs_conforming_over_applicable_and_skips_not_applicable() {
        let s = score(
            &template(),
            &[
                answer("ws-01", ItemResult::Conforming),
                answer("ws-02", ItemResult::NonConforming),
                answer("ws-03", ItemResult::NotApplicable),
            ],
        );
        assert_eq!((s.answered, s.total_items, s.non_conforming), (3, 4, 1));
        assert_eq!(s.percent(), Some(25.0));
        assert!(!s.is_complete());
    }

    #[test]
    fn nothing_applicable_has_no_percentage() {
        let s = score(&template(), &[answer("ws-01", ItemResult::NotApplicable)]);
        assert_eq!(s.percent(), None);
    }

    #[test]
    fn items_resolve_by_code_or_printed_position() {
        let t = template();
        assert_eq!(t.resolve_item("3").unwrap().code, "ws-03");
        assert_eq!(t.resolve_item("ws-02").unwrap().weight, 3);
        assert!(t.resolve_item("9").unwrap_err().to_string().contains("window-service v2"));
    }

    #[test]
    fn results_parse_from_words_and_keys() {
        assert_eq!("不符合".parse(), Ok(ItemResult::NonConforming));
        assert_eq!("3".parse(), Ok(ItemResult::NotApplicable));
        assert!("maybe".parse::<ItemResult>().is_err());
    }
}
