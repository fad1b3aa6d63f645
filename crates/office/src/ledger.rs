//! The problem ledger (台账): one row a problem, with the columns offices use.

use chrono::{DateTime, FixedOffset, NaiveDate};
use mingcha_core::rectification::Light;
use serde::{Deserialize, Serialize};

/// Where a problem stands in the ledger: [`mingcha_core::rectification::Stage`] plus the time
/// before it is handed to anyone.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerStage {
    /// 待交办: accepted into the ledger, not yet handed to a unit.
    Pending,
    /// 已交办 (整改中)
    Assigned,
    /// 已反馈
    Reported,
    /// 已复核
    Verified,
    /// 已销号
    Closed,
}

impl LedgerStage {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Pending => "待交办",
            Self::Assigned => "已交办",
            Self::Reported => "已反馈",
            Self::Verified => "已复核",
            Self::Closed => "已销号",
        }
    }
}

/// One row of the ledger (台账), in the order of its printed columns.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerRow {
    /// 序号, from 1 in the order shown.
    pub seq: u32,
    /// The problem's id.
    pub id: String,
    pub finding_id: String,
    /// 单位
    pub unit: String,
    /// 问题描述
    pub description: String,
    /// 发现时间, in the local time of the place.
    pub found_at: DateTime<FixedOffset>,
    /// 发现方式: 明查 or 暗访.
    pub method: String,
    /// The taxonomy code, e.g. `san.absent`.
    pub category: String,
    /// 问题类别 as printed, e.g. `散 / 脱岗离岗`.
    pub category_label: String,
    /// 责任单位/责任人, e.g. `城南区政务服务中心 / 王科长`; empty before 交办.
    pub responsible: String,
    /// 整改措施
    pub measures: String,
    /// 整改时限
    pub deadline: Option<NaiveDate>,
    /// 整改情况: the unit's latest report.
    pub rectification: String,
    /// 复核情况: the office's latest verification.
    pub verification: String,
    /// 销号: the date it was closed, if it was.
    pub closed: Option<NaiveDate>,
    pub stage: LedgerStage,
    pub stage_label: String,
    /// 亮灯, while the unit still has something to do.
    pub light: Option<Light>,
}

impl LedgerRow {
    /// The columns the ledger's full text searches: 问题描述, 单位, 问题类别, 责任单位/责任人,
    /// 整改措施, 整改情况, 复核情况.
    pub fn searched(&self) -> [&str; 7] {
        [
            &self.description,
            &self.unit,
            &self.category_label,
            &self.responsible,
            &self.measures,
            &self.rectification,
            &self.verification,
        ]
    }
}
