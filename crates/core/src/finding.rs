//! Findings (问题): what an inspector saw that breaks the rules, the row the whole office
//! workflow later hangs from (通报, 台账, 交办).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use crate::ValidationError;
use crate::id::{FindingId, ResponseId, SpotId, UnitId, VisitId};
use crate::inspection::InspectionKind;
use crate::text::{self, Sensitive};

pub const DESCRIPTION_MAX: usize = 2000;

/// How serious a finding is. The office escalates on 严重.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// 一般
    Minor,
    /// 较重
    Serious,
    /// 严重
    Grave,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Minor => "minor",
            Self::Serious => "serious",
            Self::Grave => "grave",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Minor => "一般",
            Self::Serious => "较重",
            Self::Grave => "严重",
        }
    }
}

impl FromStr for Severity {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "一般" | "minor" => Ok(Self::Minor),
            "较重" | "serious" => Ok(Self::Serious),
            "严重" | "grave" => Ok(Self::Grave),
            other => Err(ValidationError::NotOneOf {
                field: "severity",
                value: other.to_owned(),
                expected: "一般|较重|严重 (minor|serious|grave)",
            }),
        }
    }
}

/// How the problem was found (发现方式), a ledger column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum DiscoveryMethod {
    /// 明查
    Open,
    /// 暗访
    Covert,
    /// 回头看: a follow-up visit checking an earlier problem.
    FollowUp,
    /// 群众反映: reported by the public and confirmed on site.
    PublicReport,
}

impl DiscoveryMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Covert => "covert",
            Self::FollowUp => "follow_up",
            Self::PublicReport => "public_report",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Open => "明查",
            Self::Covert => "暗访",
            Self::FollowUp => "回头看",
            Self::PublicReport => "群众反映",
        }
    }
}

impl From<InspectionKind> for DiscoveryMethod {
    fn from(kind: InspectionKind) -> Self {
        match kind {
            InspectionKind::Open => Self::Open,
            InspectionKind::Covert => Self::Covert,
        }
    }
}

impl FromStr for DiscoveryMethod {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "明查" | "open" => Ok(Self::Open),
            "暗访" | "covert" => Ok(Self::Covert),
            "回头看" | "follow_up" => Ok(Self::FollowUp),
            "群众反映" | "public_report" => Ok(Self::PublicReport),
            other => Err(ValidationError::NotOneOf {
                field: "how found",
                value: other.to_owned(),
                expected: "明查|暗访|回头看|群众反映",
            }),
        }
    }
}

/// Where a finding is in its life. On the device it starts as a draft; the office moves it on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum FindingStatus {
    /// 草稿: still being written on the device.
    Draft,
    /// 已提交: sent to the office.
    Submitted,
    /// 退回: the office sent it back with a comment.
    Returned,
    /// 已采纳: accepted into the ledger.
    Accepted,
}

impl FindingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Submitted => "submitted",
            Self::Returned => "returned",
            Self::Accepted => "accepted",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Draft => "草稿",
            Self::Submitted => "已提交",
            Self::Returned => "退回",
            Self::Accepted => "已采纳",
        }
    }
}

impl FromStr for FindingStatus {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::Draft, Self::Submitted, Self::Returned, Self::Accepted]
            .into_iter()
            .find(|st| st.as_str() == s.trim() || st.label_zh() == s.trim())
            .ok_or_else(|| ValidationError::NotOneOf {
                field: "status",
                value: s.to_owned(),
                expected: "draft|submitted|returned|accepted",
            })
    }
}

macro_rules! display_zh {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label_zh())
            }
        }
    )*};
}
display_zh!(Severity, DiscoveryMethod, FindingStatus);

/// The checklist item a finding came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ItemLink {
    pub response_id: ResponseId,
    pub item_code: String,
}

/// A finding (问题).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Finding {
    pub id: FindingId,
    pub visit_id: VisitId,
    pub unit_id: UnitId,
    pub spot_id: Option<SpotId>,
    /// When the inspector saw it, in the local time of the place.
    pub observed_at: DateTime<FixedOffset>,
    pub method: DiscoveryMethod,
    /// A taxonomy leaf code, e.g. `san.absent`.
    pub category: String,
    pub severity: Severity,
    pub description: String,
    /// 涉及人员: optional, sensitive; notices may leave it out.
    pub persons_involved: Option<Sensitive>,
    pub checklist_item: Option<ItemLink>,
    pub status: FindingStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The free-text parts of a finding, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingText {
    pub description: String,
    pub persons_involved: Option<Sensitive>,
}

impl FindingText {
    pub fn parse(description: &str, persons_involved: Option<&str>) -> Result<Self, ValidationError> {
        Ok(Self {
            description: text::required("description", description, DESCRIPTION_MAX)?,
            persons_involved: text::optional("persons involved", persons_involved, 200)?.map(Sensitive::new),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_description_is_refused() {
        let err = FindingText::parse("   ", None).unwrap_err();
        assert_eq!(err.to_string(), "description must not be empty");
    }

    #[test]
    fn method_follows_the_visit_kind() {
        assert_eq!(DiscoveryMethod::from(InspectionKind::Covert).label_zh(), "暗访");
    }

    #[test]
    fn labels_parse_back() {
        for s in [Severity::Minor, Severity::Serious, Severity::Grave] {
            assert_eq!(s.label_zh().parse(), Ok(s));
            assert_eq!(s.as_str().parse(), Ok(s));
        }
        for s in [FindingStatus::Draft, FindingStatus::Returned] {
            assert_eq!(s.label_zh().parse(), Ok(s));
        }
    }
}
