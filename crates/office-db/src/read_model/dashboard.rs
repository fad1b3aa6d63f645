//! The dashboard's reads: sums of the counters in `ledger_tally` (migration 8, kept by triggers
//! on `ledger_row`) over a period of found days, and the problems of the 屡查屡犯 runs it shows.
//! What a read costs grows with the units and days in the period, not with the problems.

use chrono::NaiveDate;
use mingcha_office::dashboard::{Count, DayTally, UnitTally, What};

use super::binds::Binds;
use super::ledger::{LightFilter, day, light_condition};
use super::{Cell, Sql, where_clause};
use crate::error::{RepoError, Result};

/// The found days a dashboard covers, both ends included; `None` leaves that end open.
#[derive(Debug, Clone, Copy, Default)]
pub struct Period {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl Period {
    fn conditions(&self, b: &mut Binds) -> Vec<String> {
        let mut w = vec!["n > 0".to_owned()];
        if let Some(f) = self.from {
            w.push(format!("found_on >= {}", b.push(day(f))));
        }
        if let Some(t) = self.to {
            w.push(format!("found_on <= {}", b.push(day(t))));
        }
        w
    }
}

/// A sum of `n` as a 64-bit integer on both databases (PostgreSQL's SUM of BIGINT is NUMERIC).
fn sum(expr: &str) -> String {
    format!("CAST(COALESCE(SUM({expr}), 0) AS BIGINT)")
}

/// Every unit with problems found in `period`: all of them, the closed ones, and those lit red
/// or yellow on `today`.
pub async fn units(db: &dyn Sql, period: Period, today: NaiveDate) -> Result<Vec<UnitTally>> {
    let mut b = Binds::default();
    let conds = period.conditions(&mut b);
    let lit = |light, b: &mut Binds| {
        sum(&format!("CASE WHEN deadline <> '' AND {} THEN n ELSE 0 END", light_condition(light, today, b)))
    };
    let (red, yellow) = (lit(LightFilter::Red, &mut b), lit(LightFilter::Yellow, &mut b));
    let sql = format!(
        "SELECT unit_name, {}, {}, {red}, {yellow} FROM ledger_tally {} GROUP BY unit_name",
        sum("n"),
        sum("CASE WHEN stage = 'closed' THEN n ELSE 0 END"),
        where_clause(&conds)
    );
    db.rows(sql, b.args)
        .await?
        .iter()
        .map(|r| {
            Ok(UnitTally {
                unit: r[0].text()?,
                total: r[1].count()?,
                closed: r[2].count()?,
                red: r[3].count()?,
                yellow: r[4].count()?,
            })
        })
        .collect()
}

/// How many problems of `period` each value of `key` (an expression over `ledger_tally`) has.
async fn counted(db: &dyn Sql, period: Period, key: &str) -> Result<Vec<Count>> {
    let mut b = Binds::default();
    let conds = period.conditions(&mut b);
    let sql = format!("SELECT {key}, {} FROM ledger_tally {} GROUP BY {key}", sum("n"), where_clause(&conds));
    db.rows(sql, b.args)
        .await?
        .iter()
        .map(|r| Ok(Count { name: r[0].text()?, count: usize::try_from(r[1].count()?).unwrap_or(usize::MAX) }))
        .collect()
}

/// Problems per top-level category (散, 懒 …).
pub async fn by_group(db: &dyn Sql, period: Period) -> Result<Vec<Count>> {
    counted(db, period, "category_group").await
}

/// Problems per month found (`2026-11`).
pub async fn by_month(db: &dyn Sql, period: Period) -> Result<Vec<Count>> {
    counted(db, period, "substr(found_on, 1, 7)").await
}

/// How many problems of each unit and category, and of each unit and checklist item, were
/// found on each day of `period`: what the runs of 屡查屡犯 are worked out from.
pub async fn days(db: &dyn Sql, period: Period) -> Result<Vec<DayTally>> {
    let mut b = Binds::default();
    let conds = period.conditions(&mut b);
    let (by_category, mut by_item) = (where_clause(&conds), conds);
    by_item.push("checklist_item <> ''".into());
    let by_item = where_clause(&by_item);
    let n = sum("n");
    let sql = format!(
        "SELECT unit_name, 'c', category, found_on, {n} FROM ledger_tally {by_category}
          GROUP BY unit_name, category, found_on
         UNION ALL
         SELECT unit_name, 'i', checklist_item, found_on, {n} FROM ledger_tally {by_item}
          GROUP BY unit_name, checklist_item, found_on"
    );
    db.rows(sql, b.args)
        .await?
        .iter()
        .map(|r| {
            let name = r[2].text()?;
            Ok(DayTally {
                unit: r[0].text()?,
                what: if r[1].text()? == "i" { What::Item(name) } else { What::Category(name) },
                day: found_day(&r[3])?,
                n: r[4].count()?,
            })
        })
        .collect()
}

fn found_day(c: &Cell) -> Result<NaiveDate> {
    let s = c.text()?;
    s.parse().map_err(|e| RepoError::Internal(format!("a ledger counter's day `{s}`: {e}")))
}

/// The first `limit` problems of one run: `unit`'s finds of `what` from `first` to `last`, in
/// the order they were found.
pub async fn run_problems(
    db: &dyn Sql,
    unit: &str,
    what: &What,
    (first, last): (NaiveDate, NaiveDate),
    limit: usize,
) -> Result<Vec<String>> {
    let (column, value) = match what {
        What::Category(c) => ("category", c),
        What::Item(i) => ("checklist_item", i),
    };
    let sql = format!(
        "SELECT problem_id FROM ledger_row
          WHERE unit_name = ?1 AND {column} = ?2 AND found_on >= ?3 AND found_on <= ?4
          ORDER BY found_on, problem_id LIMIT ?5"
    );
    let args = vec![
        unit.into(),
        value.as_str().into(),
        day(first).into(),
        day(last).into(),
        crate::to_i64(limit as u64)?.into(),
    ];
    db.rows(sql, args).await?.iter().map(|r| r[0].text()).collect()
}
