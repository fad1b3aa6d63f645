//! The dashboard: problems by unit, category and month; open, overdue and closed; and
//! 屡查屡犯, the same unit caught again for the same thing.
//!
//! It is assembled from counters, not from the problems: how many problems each unit has in the
//! period ([`UnitTally`]), per category group and per month ([`Count`]), and how many of one
//! unit's problems of one category or checklist item were found on each day ([`DayTally`]). The
//! runs of 屡查屡犯 are worked out from those days ([`runs`]); the caller fills in the problems of
//! the runs it shows. A province has thousands of units and tens of thousands of runs: the
//! charts show the [`TOP_UNITS`] units with most problems and the table the [`TOP_REPEATS`]
//! longest runs, each with how many there are in all.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

/// Units shown in the charts by unit, most problems first.
pub const TOP_UNITS: usize = 30;
/// Runs of 屡查屡犯 shown, longest first.
pub const TOP_REPEATS: usize = 50;
/// Problems listed (as links) for one run; its count says how many there are.
pub const PROBLEMS_SHOWN: usize = 20;

/// One unit's problems found in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitTally {
    pub unit: String,
    pub total: u64,
    pub closed: u64,
    /// Past their deadline and not yet verified (红灯).
    pub red: u64,
    /// Due within days (黄灯).
    pub yellow: u64,
}

/// What a run of 屡查屡犯 is of.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum What {
    /// A category, by its id in the taxonomy.
    Category(String),
    /// A checklist item, by its code.
    Item(String),
}

/// How many problems of one unit and one thing were found on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayTally {
    pub unit: String,
    pub what: What,
    pub day: NaiveDate,
    pub n: u64,
}

/// A name and how many.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    pub name: String,
    pub count: usize,
}

/// Successive finds of the same unit and thing, each at most the window's days after the one
/// before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub unit: String,
    pub what: What,
    pub count: usize,
    pub first: NaiveDate,
    pub last: NaiveDate,
}

/// The same unit, the same category or checklist item, found again within the window.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Repeat {
    pub unit: String,
    pub what: String,
    pub count: usize,
    pub first: NaiveDate,
    pub last: NaiveDate,
    /// The first [`PROBLEMS_SHOWN`] of the run's problems, in the order they were found.
    pub problems: Vec<String>,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dashboard {
    pub total: usize,
    pub open: usize,
    pub overdue: usize,
    pub yellow: usize,
    pub closed: usize,
    /// The [`TOP_UNITS`] units with most problems.
    pub by_unit: Vec<Count>,
    /// How many units have problems in the period (`by_unit` may show fewer).
    pub units: usize,
    pub by_category: Vec<Count>,
    pub by_month: Vec<Count>,
    /// The [`TOP_UNITS`] units with most red lights.
    pub red_by_unit: Vec<Count>,
    /// How many units have a red light.
    pub red_units: usize,
    /// The [`TOP_REPEATS`] longest runs.
    pub repeats: Vec<Repeat>,
    /// How many runs there are in all.
    pub repeats_total: usize,
}

fn size(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// The first `TOP_UNITS` of `counts`, most first (equal counts in name order), and how many
/// were not zero.
fn top(mut counts: Vec<Count>) -> (Vec<Count>, usize) {
    counts.retain(|c| c.count > 0);
    counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    let all = counts.len();
    counts.truncate(TOP_UNITS);
    (counts, all)
}

/// The runs in `days`: per unit and thing, successive days with finds at most `window_days`
/// apart, of two finds or more; longest first, then the most recent.
pub fn runs(days: Vec<DayTally>, window_days: i64) -> Vec<Run> {
    let mut groups: BTreeMap<(String, What), Vec<(NaiveDate, u64)>> = BTreeMap::new();
    for d in days.into_iter().filter(|d| d.n > 0) {
        groups.entry((d.unit, d.what)).or_default().push((d.day, d.n));
    }
    let mut out = Vec::new();
    for ((unit, what), mut found) in groups {
        found.sort();
        let mut run: Option<Run> = None;
        for (day, n) in found {
            match &mut run {
                Some(r) if (day - r.last).num_days() <= window_days => {
                    r.count += size(n);
                    r.last = day;
                }
                _ => {
                    out.extend(run.take().filter(|r| r.count > 1));
                    run = Some(Run { unit: unit.clone(), what: what.clone(), count: size(n), first: day, last: day });
                }
            }
        }
        out.extend(run.filter(|r| r.count > 1));
    }
    // Stable: equal runs stay in (unit, thing) order.
    out.sort_by(|a, b| b.count.cmp(&a.count).then(b.last.cmp(&a.last)));
    out
}

/// The dashboard of the period the tallies cover, with the repeats to show (the first
/// [`TOP_REPEATS`] of [`runs`], their problems filled in) and how many runs there are.
pub fn dashboard(
    units: &[UnitTally],
    mut by_category: Vec<Count>,
    mut by_month: Vec<Count>,
    repeats: Vec<Repeat>,
    repeats_total: usize,
) -> Dashboard {
    let sum = |f: fn(&UnitTally) -> u64| size(units.iter().map(f).sum());
    let (total, closed) = (sum(|u| u.total), sum(|u| u.closed));
    let counts = |f: fn(&UnitTally) -> u64| {
        top(units.iter().map(|u| Count { name: u.unit.clone(), count: size(f(u)) }).collect())
    };
    let (by_unit, unit_count) = counts(|u| u.total);
    let (red_by_unit, red_units) = counts(|u| u.red);
    by_category.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    by_month.sort_by(|a, b| a.name.cmp(&b.name));
    Dashboard {
        total,
        open: total - closed,
        overdue: sum(|u| u.red),
        yellow: sum(|u| u.yellow),
        closed,
        by_unit,
        units: unit_count,
        by_category,
        by_month,
        red_by_unit,
        red_units,
        repeats,
        repeats_total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(unit: &str, what: What, d: &str, n: u64) -> DayTally {
        DayTally { unit: unit.into(), what, day: d.parse().unwrap(), n }
    }

    fn cat(id: &str) -> What {
        What::Category(id.into())
    }

    #[test]
    fn the_same_unit_caught_again_for_the_same_thing_within_the_window_is_a_repeat() {
        let south = "城南区政务服务中心";
        let days = vec![
            day(south, cat("san.absent"), "2026-09-01", 1),
            day(south, What::Item("wd-05".into()), "2026-09-01", 1),
            day(south, cat("san.absent"), "2026-10-15", 1),
            day(south, cat("san.absent"), "2026-11-10", 1),
            day(south, What::Item("wd-05".into()), "2026-11-10", 1),
            day("城北区不动产登记中心", cat("san.absent"), "2026-11-11", 1),
            day(south, cat("fu.not_told"), "2026-11-12", 1),
        ];
        let wide = runs(days.clone(), 90);
        assert_eq!(wide.len(), 2, "{wide:#?}");
        assert_eq!((&wide[0].what, wide[0].count), (&cat("san.absent"), 3));
        assert_eq!(wide[0].first.to_string(), "2026-09-01");
        assert_eq!((&wide[1].what, wide[1].count), (&What::Item("wd-05".into()), 2), "70 days apart under one item");
        let narrow = runs(days, 30);
        assert_eq!(narrow.len(), 1, "{narrow:#?}");
        assert_eq!((narrow[0].count, narrow[0].first.to_string()), (2, "2026-10-15".into()), "44 days before");
    }

    #[test]
    fn finds_of_one_day_make_a_run_and_a_gap_wider_than_the_window_ends_it() {
        let days = vec![
            day("甲", cat("c"), "2026-01-01", 3),
            day("甲", cat("c"), "2026-06-01", 1),
            day("甲", cat("c"), "2026-06-20", 0),
            day("乙", cat("c"), "2026-02-01", 1),
        ];
        let r = runs(days, 90);
        assert_eq!(r.len(), 1, "{r:#?}");
        assert_eq!((r[0].unit.as_str(), r[0].count, r[0].last.to_string()), ("甲", 3, "2026-01-01".into()));
    }

    #[test]
    fn the_charts_show_the_units_with_most_problems_and_say_how_many_there_are() {
        let units: Vec<UnitTally> = (0..TOP_UNITS + 5)
            .map(|i| UnitTally {
                unit: format!("单位{i:02}"),
                total: i as u64 + 1,
                closed: 1,
                red: u64::from(i % 2 == 0),
                yellow: 0,
            })
            .collect();
        let d = dashboard(&units, vec![], vec![], vec![], 0);
        assert_eq!((d.by_unit.len(), d.units), (TOP_UNITS, TOP_UNITS + 5));
        assert_eq!(d.by_unit[0], Count { name: format!("单位{:02}", TOP_UNITS + 4), count: TOP_UNITS + 5 });
        assert_eq!(d.red_units, (TOP_UNITS + 5).div_ceil(2));
        assert_eq!(d.red_by_unit[0].name, "单位00", "equal counts in name order");
        let total: usize = (1..=TOP_UNITS + 5).sum();
        assert_eq!((d.total, d.closed, d.open), (total, TOP_UNITS + 5, total - TOP_UNITS - 5));
    }
}
