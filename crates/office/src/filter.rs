//! The ledger's filters, and its Chinese full-text match.
//!
//! An office's ledger holds thousands of rows, so it is filtered in memory. Chinese has no
//! spaces between words, so the full-text match is a plain substring match on each of the
//! query's space-separated terms (every term must occur), over the columns a person searches.

use chrono::NaiveDate;
use mingcha_core::rectification::Light;
use serde::Deserialize;

use crate::ledger::{LedgerRow, LedgerStage};

/// What the console asks for; every part is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LedgerFilter {
    /// A unit id, or its exact name.
    pub unit: Option<String>,
    /// A category code; a group code (`san`) takes all its leaves (`san.absent` …).
    pub category: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// `明查` / `暗访` (or `open` / `covert`).
    pub method: Option<String>,
    pub stage: Option<LedgerStage>,
    pub light: Option<Light>,
    /// Full text.
    pub q: Option<String>,
}

/// What a row is matched on beyond its printed columns.
#[derive(Debug, Clone, Copy)]
pub struct RowKeys<'a> {
    pub unit_id: &'a str,
    /// The unit responsible after 交办, by id.
    pub responsible_unit_id: Option<&'a str>,
}

fn some(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl LedgerFilter {
    pub fn matches(&self, row: &LedgerRow, keys: RowKeys<'_>) -> bool {
        if let Some(unit) = some(&self.unit) {
            let hit = unit == keys.unit_id || unit == row.unit || Some(unit) == keys.responsible_unit_id;
            if !hit {
                return false;
            }
        }
        if let Some(code) = some(&self.category)
            && row.category != code
            && !row.category.starts_with(&format!("{code}."))
        {
            return false;
        }
        let day = row.found_at.date_naive();
        if self.from.is_some_and(|f| day < f) || self.to.is_some_and(|t| day > t) {
            return false;
        }
        if let Some(m) = some(&self.method) {
            let m = match m {
                "open" => "明查",
                "covert" => "暗访",
                other => other,
            };
            if row.method != m {
                return false;
            }
        }
        if self.stage.is_some_and(|s| s != row.stage) || self.light.is_some_and(|l| Some(l) != row.light) {
            return false;
        }
        match some(&self.q) {
            Some(q) => full_text(row, q),
            None => true,
        }
    }
}

/// Every whitespace-separated term of `q` occurs in one of the searched columns.
pub fn full_text(row: &LedgerRow, q: &str) -> bool {
    let fields = row.searched();
    q.split_whitespace().all(|term| {
        let term = term.to_lowercase();
        fields.iter().any(|f| f.to_lowercase().contains(&term))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(unit: &str, category: &str, text: &str, day: &str) -> LedgerRow {
        LedgerRow {
            seq: 1,
            id: "p".into(),
            finding_id: "f".into(),
            unit: unit.into(),
            description: text.into(),
            found_at: chrono::DateTime::parse_from_rfc3339(&format!("{day}T09:20:00+08:00")).unwrap(),
            method: "暗访".into(),
            category: category.into(),
            category_label: "散 / 脱岗离岗".into(),
            responsible: String::new(),
            measures: String::new(),
            deadline: None,
            rectification: String::new(),
            verification: String::new(),
            closed: None,
            stage: LedgerStage::Pending,
            stage_label: "待交办".into(),
            light: None,
        }
    }

    const KEYS: RowKeys<'static> = RowKeys { unit_id: "u1", responsible_unit_id: None };

    #[test]
    fn chinese_terms_match_anywhere_in_the_text_and_all_must_occur() {
        let r = row("城南区政务服务中心", "san.absent", "3号窗口工作人员上班时间脱岗二十分钟", "2026-11-10");
        let q = |q: &str| LedgerFilter { q: Some(q.into()), ..Default::default() }.matches(&r, KEYS);
        assert!(q("脱岗"));
        assert!(q("岗"));
        assert!(q("城南 二十分钟"));
        assert!(!q("城北 脱岗"));
        assert!(q("脱岗离岗"), "the category label is searched too");
    }

    #[test]
    fn group_codes_dates_and_units_narrow_the_rows() {
        let r = row("城南区政务服务中心", "san.absent", "x", "2026-11-10");
        let f = |f: LedgerFilter| f.matches(&r, KEYS);
        assert!(f(LedgerFilter { category: Some("san".into()), ..Default::default() }));
        assert!(!f(LedgerFilter { category: Some("sa".into()), ..Default::default() }));
        assert!(f(LedgerFilter { unit: Some("u1".into()), ..Default::default() }));
        assert!(f(LedgerFilter { unit: Some("城南区政务服务中心".into()), ..Default::default() }));
        assert!(!f(LedgerFilter { unit: Some("u2".into()), ..Default::default() }));
        let day = |s: &str| Some(s.parse().unwrap());
        assert!(f(LedgerFilter { from: day("2026-11-10"), to: day("2026-11-10"), ..Default::default() }));
        assert!(!f(LedgerFilter { from: day("2026-11-11"), ..Default::default() }));
        assert!(f(LedgerFilter { method: Some("covert".into()), ..Default::default() }));
        assert!(!f(LedgerFilter { method: Some("明查".into()), ..Default::default() }));
    }
}
