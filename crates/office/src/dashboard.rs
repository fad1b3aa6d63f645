//! The dashboard: problems by unit, category and month; open, overdue and closed; and
//! 屡查屡犯, the same unit caught again for the same thing.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use mingcha_core::rectification::Light;
use serde::Serialize;

use crate::ledger::LedgerStage;

/// What the dashboard needs of one problem.
#[derive(Debug, Clone)]
pub struct Fact {
    pub problem_id: String,
    pub unit: String,
    /// The top-level category name (散, 懒 …).
    pub group: String,
    /// The leaf as printed (散 / 脱岗离岗).
    pub category: String,
    /// The checklist item it was found under, as printed, if any.
    pub item: Option<String>,
    pub found_on: NaiveDate,
    pub stage: LedgerStage,
    pub light: Option<Light>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    pub name: String,
    pub count: usize,
}

/// The same unit, the same category or checklist item, found again within the window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Repeat {
    pub unit: String,
    pub what: String,
    pub count: usize,
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dashboard {
    pub total: usize,
    pub open: usize,
    pub overdue: usize,
    pub yellow: usize,
    pub closed: usize,
    pub by_unit: Vec<Count>,
    pub by_category: Vec<Count>,
    pub by_month: Vec<Count>,
    pub red_by_unit: Vec<Count>,
    pub repeats: Vec<Repeat>,
}

fn counted<'a>(names: impl Iterator<Item = &'a str>, by_count: bool) -> Vec<Count> {
    let mut map: BTreeMap<&str, usize> = BTreeMap::new();
    for n in names {
        *map.entry(n).or_default() += 1;
    }
    let mut out: Vec<Count> = map.into_iter().map(|(name, count)| Count { name: name.to_owned(), count }).collect();
    if by_count {
        // Most first; equal counts stay in name order (the sort is stable).
        out.sort_by_key(|c| std::cmp::Reverse(c.count));
    }
    out
}

/// Runs of the same (unit, what) whose successive finds are at most `window_days` apart.
fn runs(mut found: Vec<(NaiveDate, String)>, window_days: i64) -> Vec<Vec<(NaiveDate, String)>> {
    found.sort();
    let mut out: Vec<Vec<(NaiveDate, String)>> = Vec::new();
    for f in found {
        match out.last_mut() {
            Some(run) if run.last().is_some_and(|l| (f.0 - l.0).num_days() <= window_days) => run.push(f),
            _ => out.push(vec![f]),
        }
    }
    out.retain(|r| r.len() > 1);
    out
}

/// The dashboard over `facts` found between `from` and `to` (inclusive), with repeats judged
/// over a window of `window_days` days.
pub fn dashboard(facts: &[Fact], from: Option<NaiveDate>, to: Option<NaiveDate>, window_days: i64) -> Dashboard {
    let facts: Vec<&Fact> =
        facts.iter().filter(|f| from.is_none_or(|d| f.found_on >= d) && to.is_none_or(|d| f.found_on <= d)).collect();
    let closed = facts.iter().filter(|f| f.stage == LedgerStage::Closed).count();
    let red: Vec<&&Fact> = facts.iter().filter(|f| f.light == Some(Light::Red)).collect();
    let mut groups: BTreeMap<(String, String), Vec<(NaiveDate, String)>> = BTreeMap::new();
    for f in &facts {
        let mut keys = vec![f.category.clone()];
        keys.extend(f.item.iter().map(|i| format!("检查项 {i}")));
        for what in keys {
            groups.entry((f.unit.clone(), what)).or_default().push((f.found_on, f.problem_id.clone()));
        }
    }
    let mut repeats: Vec<Repeat> = groups
        .into_iter()
        .flat_map(|((unit, what), found)| {
            runs(found, window_days).into_iter().filter_map(move |run| {
                Some(Repeat {
                    unit: unit.clone(),
                    what: what.clone(),
                    count: run.len(),
                    first: run.first()?.0,
                    last: run.last()?.0,
                    problems: run.into_iter().map(|(_, id)| id).collect(),
                })
            })
        })
        .collect();
    repeats.sort_by(|a, b| b.count.cmp(&a.count).then(b.last.cmp(&a.last)));
    Dashboard {
        total: facts.len(),
        open: facts.len() - closed,
        overdue: red.len(),
        yellow: facts.iter().filter(|f| f.light == Some(Light::Yellow)).count(),
        closed,
        by_unit: counted(facts.iter().map(|f| f.unit.as_str()), true),
        by_category: counted(facts.iter().map(|f| f.group.as_str()), true),
        by_month: {
            let months: Vec<String> = facts.iter().map(|f| f.found_on.format("%Y-%m").to_string()).collect();
            counted(months.iter().map(String::as_str), false)
        },
        red_by_unit: counted(red.iter().map(|f| f.unit.as_str()), true),
        repeats,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(id: &str, unit: &str, category: &str, item: Option<&str>, day: &str, light: Option<Light>) -> Fact {
        Fact {
            problem_id: id.into(),
            unit: unit.into(),
            group: category.split(" / ").next().unwrap().into(),
            category: category.into(),
            item: item.map(Into::into),
            found_on: day.parse().unwrap(),
            stage: LedgerStage::Assigned,
            light,
        }
    }

    #[test]
    fn the_same_unit_caught_again_for_the_same_thing_within_the_window_is_a_repeat() {
        let facts = [
            fact("a", "城南区政务服务中心", "散 / 脱岗离岗", Some("wd-05"), "2026-09-01", None),
            fact("b", "城南区政务服务中心", "散 / 脱岗离岗", None, "2026-10-15", Some(Light::Red)),
            fact("c", "城南区政务服务中心", "散 / 脱岗离岗", Some("wd-05"), "2026-11-10", Some(Light::Yellow)),
            fact("d", "城北区不动产登记中心", "散 / 脱岗离岗", None, "2026-11-11", None),
            fact("e", "城南区政务服务中心", "服务态度 / 未一次性告知", None, "2026-11-12", None),
        ];
        let d = dashboard(&facts, None, None, 90);
        assert_eq!(d.repeats.len(), 2, "{:#?}", d.repeats);
        assert_eq!(d.repeats[0].what, "散 / 脱岗离岗");
        assert_eq!(d.repeats[0].problems, ["a", "b", "c"]);
        assert_eq!(d.repeats[1].what, "检查项 wd-05", "two finds 70 days apart under one item");
        let narrow = dashboard(&facts, None, None, 30);
        assert_eq!(narrow.repeats.len(), 1, "{:#?}", narrow.repeats);
        assert_eq!(narrow.repeats[0].problems, ["b", "c"], "a is 44 days before b");
        assert_eq!(d.by_unit[0], Count { name: "城南区政务服务中心".into(), count: 4 });
        assert_eq!(d.by_category[0], Count { name: "散".into(), count: 4 });
        assert_eq!(d.by_month.iter().map(|c| c.count).collect::<Vec<_>>(), [1, 1, 3]);
        assert_eq!((d.overdue, d.yellow, d.open, d.closed), (1, 1, 5, 0));
        let november = dashboard(&facts, "2026-11-01".parse().ok(), None, 90);
        assert_eq!(november.total, 3);
    }
}
