//! The dashboard (统计): the ledger's counters summed over a period, and the longest runs of
//! 屡查屡犯 with their problems. Read from `ledger_tally`, never from every problem.

use chrono::NaiveDate;
use mingcha_office::dashboard::{self as rules, Dashboard, PROBLEMS_SHOWN, Repeat, TOP_REPEATS, What};
use mingcha_office_db::Repo;
use mingcha_office_db::read_model::dashboard::{self as read, Period};

use crate::{Error, Result};

/// The days a repeat may be apart at most, when the console does not say.
pub const DEFAULT_WINDOW_DAYS: i64 = 90;

/// The dashboard of the problems found from `from` to `to` (both included, either open), with
/// 屡查屡犯 judged over `window_days`, and lights as they stand on `today`.
pub async fn dashboard(repo: &dyn Repo, period: Period, window_days: i64, today: NaiveDate) -> Result<Dashboard> {
    if !(1..=3650).contains(&window_days) {
        return Err(Error::Invalid("the repeat window is 1 to 3650 days".into()));
    }
    let db = repo.sql();
    let units = read::units(db, period, today).await?;
    let (groups, months) = (read::by_group(db, period).await?, read::by_month(db, period).await?);
    let runs = rules::runs(read::days(db, period).await?, window_days);
    let taxonomy = crate::current_taxonomy(repo).await?;
    let mut repeats = Vec::new();
    for run in runs.iter().take(TOP_REPEATS) {
        let problems = read::run_problems(db, &run.unit, &run.what, (run.first, run.last), PROBLEMS_SHOWN).await?;
        let what = match &run.what {
            What::Category(c) => taxonomy.resolve(c).map_or_else(|_| c.clone(), |p| p.label()),
            What::Item(i) => format!("检查项 {i}"),
        };
        repeats.push(Repeat {
            unit: run.unit.clone(),
            what,
            count: run.count,
            first: run.first,
            last: run.last,
            problems,
        });
    }
    Ok(rules::dashboard(&units, groups, months, repeats, runs.len()))
}
