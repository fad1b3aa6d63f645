//! What a unit is told of a problem handed to it: the 单位联系人's problem page and the one-time
//! link's page. These are types of their own, filled field by field from the ledger, rather
//! than the office's [`super::world::FindingView`] with fields cleared: a field added to the
//! office's view can never reach a unit by being forgotten here.
//!
//! **Invariant:** nothing here can carry an inspector's or a staff member's name, a laptop, a
//! batch, the persons a finding names, its photos, or the office's internal comments (a return
//! to the inspector). What the office did is signed [`OFFICE`]; what the unit reported,
//! [`UNIT`]. 暗访 works only if the unit never learns who came.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use mingcha_core::rectification::Light;
use mingcha_office::ledger::{LedgerRow, LedgerStage};
use mingcha_office::problem::{FileRef, Problem, REPORT_ACTION};
use serde::Serialize;

use super::world::World;
use crate::error::Result;

/// How the office signs what it did, to a unit: its role, never a person.
pub const OFFICE: &str = "督查室";
/// How a unit's own reports are signed back to it (also those the office entered for it).
pub const UNIT: &str = "责任单位";

/// A problem's facts as the responsible unit is told them: where and when it was found, what
/// it is in the words the office accepted, and what the office asks of it by when. All that a
/// one-time link shows.
#[derive(Debug, Clone, Serialize)]
pub struct ProblemFacts {
    /// 单位: where it was found.
    pub unit: String,
    /// 点位, e.g. `3号窗口`.
    pub spot: Option<String>,
    /// 发现时间, as the ledger prints it (and a notice would).
    pub found_at: DateTime<FixedOffset>,
    /// 明查 or 暗访.
    pub method: String,
    /// 问题类别, e.g. `散 / 脱岗离岗`.
    pub category_label: String,
    /// 问题描述, in the wording the office accepted.
    pub description: String,
    /// 责任单位/责任人.
    pub responsible: String,
    /// 整改时限
    pub deadline: Option<NaiveDate>,
    /// 整改措施 the office asks for.
    pub measures: String,
    pub stage: LedgerStage,
    pub stage_label: String,
    /// 亮灯, while the unit still has something to do.
    pub light: Option<Light>,
    /// 销号: the day it was closed.
    pub closed: Option<NaiveDate>,
}

/// A problem as its unit reads it in the console.
#[derive(Debug, Clone, Serialize)]
pub struct UnitProblemView {
    /// The problem's id.
    pub id: String,
    /// 序号 in the unit's own ledger.
    pub seq: u32,
    #[serde(flatten)]
    pub facts: ProblemFacts,
    /// 整改反馈: the reports made for the unit, oldest first.
    pub reports: Vec<UnitReport>,
    /// 复核: the office's answers to them, oldest first.
    pub replies: Vec<OfficeReply>,
    /// 办理过程, each step signed by a role.
    pub history: Vec<UnitHistoryEntry>,
}

/// One 整改反馈, with its files.
#[derive(Debug, Clone, Serialize)]
pub struct UnitReport {
    pub at: DateTime<Utc>,
    pub text: String,
    pub files: Vec<UnitFile>,
}

/// A file attached to a report, and where the unit reads it back.
#[derive(Debug, Clone, Serialize)]
pub struct UnitFile {
    pub sha256: String,
    pub name: String,
    pub media_type: String,
    pub size: u64,
    pub url: String,
}

/// One 复核 of the office: passed or not, and why.
#[derive(Debug, Clone, Serialize)]
pub struct OfficeReply {
    pub at: DateTime<Utc>,
    pub pass: bool,
    pub comment: String,
}

/// One step of the problem's history, signed by [`OFFICE`] or [`UNIT`].
#[derive(Debug, Clone, Serialize)]
pub struct UnitHistoryEntry {
    pub at: DateTime<Utc>,
    pub by: &'static str,
    pub action: String,
    pub text: String,
}

impl ProblemFacts {
    /// The facts of `p` on `today` (its light).
    pub fn of(world: &World, p: &Problem, today: NaiveDate) -> Result<Self> {
        let h = world.held(&p.finding_id)?;
        let spot = world.view(h).spot;
        Ok(Self::from_row(world.ledger_row(p, h, today), spot))
    }

    /// Every field of the row is named: a column added to the ledger does not compile here
    /// until someone decides whether a unit may read it.
    fn from_row(row: LedgerRow, spot: Option<String>) -> Self {
        let LedgerRow {
            seq: _,
            id: _,
            finding_id: _,
            unit,
            description,
            found_at,
            method,
            category: _,
            category_label,
            responsible,
            measures,
            deadline,
            rectification: _,
            verification: _,
            closed,
            stage,
            stage_label,
            light,
        } = row;
        Self {
            unit,
            spot,
            found_at,
            method,
            category_label,
            description,
            responsible,
            deadline,
            measures,
            stage,
            stage_label,
            light,
            closed,
        }
    }
}

impl UnitProblemView {
    /// `p` as its unit reads it, numbered `seq` in the unit's ledger.
    pub fn of(world: &World, p: &Problem, seq: u32, today: NaiveDate) -> Result<Self> {
        Ok(Self {
            id: p.id.clone(),
            seq,
            facts: ProblemFacts::of(world, p, today)?,
            reports: p
                .feedback
                .iter()
                .map(|f| UnitReport { at: f.at, text: f.text.clone(), files: f.files.iter().map(unit_file).collect() })
                .collect(),
            replies: p
                .verifications
                .iter()
                .map(|v| OfficeReply { at: v.at, pass: v.pass, comment: v.comment.clone() })
                .collect(),
            history: p
                .history
                .iter()
                .map(|e| UnitHistoryEntry {
                    at: e.at,
                    by: if e.action == REPORT_ACTION { UNIT } else { OFFICE },
                    action: e.action.clone(),
                    text: e.text.clone(),
                })
                .collect(),
        })
    }
}

fn unit_file(f: &FileRef) -> UnitFile {
    UnitFile {
        url: format!("/api/console/blobs/{}", f.sha256),
        sha256: f.sha256.clone(),
        name: f.name.clone(),
        media_type: f.media_type.clone(),
        size: f.size,
    }
}
