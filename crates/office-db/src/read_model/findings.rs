//! The review queue (审核) in SQL: one `finding_row` per finding the devices sent, with its
//! review state now, paged by the time it was observed. Triggers keep `finding_count` (findings
//! per batch, state and deletion) in step, so totals and the batch list read counters, not rows.

use super::binds::Binds;
use super::{OPEN_STATES, Sql, count, cut_page, sum_counts, where_clause};
use crate::error::Result;

/// Which findings to list; deleted ones never are.
#[derive(Debug, Clone, Default)]
pub struct FindingQuery {
    pub state: StateFilter,
    pub batch: Option<String>,
    pub inspector: Option<String>,
    /// A unit's id (names are resolved by the caller).
    pub unit_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum StateFilter {
    #[default]
    All,
    /// 待审核 and 已重报: what waits for the office.
    Open,
    /// One review state, by its serde name.
    Is(String),
}

/// Where a page starts: after this row of the order (`observed_at`, `finding_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingCursor {
    pub observed_at: String,
    pub finding_id: String,
}

#[derive(Debug, Clone)]
pub struct FindingPage {
    pub total: u64,
    pub ids: Vec<String>,
    pub next: Option<FindingCursor>,
}

/// The conditions of `q` over `finding_row`, or over the counters in `finding_count`, which
/// know a finding's state but not `is_open`.
fn conditions(q: &FindingQuery, b: &mut Binds, counters: bool) -> Vec<String> {
    let mut w = vec!["deleted = FALSE".to_owned()];
    match &q.state {
        StateFilter::All => {}
        StateFilter::Open if counters => w.push(format!("state IN {OPEN_STATES}")),
        StateFilter::Open => w.push(IS_OPEN.to_owned()),
        StateFilter::Is(s) => w.push(format!("state = {}", b.push(s.as_str()))),
    }
    if let Some(x) = &q.batch {
        w.push(format!("batch_id = {}", b.push(x.as_str())));
    }
    if let Some(x) = &q.inspector {
        w.push(format!("inspector = {}", b.push(x.as_str())));
    }
    if let Some(x) = &q.unit_id {
        w.push(format!("unit_id = {}", b.push(x.as_str())));
    }
    w
}

/// The open findings among the rows: `is_open` has its own index in observed order, where
/// `state IN (…)` would walk past every decided finding before the first open one.
const IS_OPEN: &str = "is_open = TRUE";

/// One page of the findings `q` selects, oldest observed first.
pub async fn page(db: &dyn Sql, q: &FindingQuery, after: Option<&FindingCursor>, limit: u32) -> Result<FindingPage> {
    let mut b = Binds::default();
    let mut conds = conditions(q, &mut b, false);
    // The counters know batches and states; an inspector or a unit is counted on the rows.
    let total = if q.inspector.is_none() && q.unit_id.is_none() {
        let mut counted = Binds::default();
        let on = conditions(q, &mut counted, true);
        sum_counts(db, "finding_count", &on, counted.args).await?
    } else {
        count(db, "finding_row", &conds, b.args.clone()).await?
    };
    if let Some(c) = after {
        let (at, id) = (b.push(c.observed_at.as_str()), b.push(c.finding_id.as_str()));
        conds.push(format!("(observed_at > {at} OR (observed_at = {at} AND finding_id > {id}))"));
    }
    let lim = b.push(i64::from(limit) + 1);
    let sql = format!(
        "SELECT finding_id, observed_at FROM finding_row {} ORDER BY observed_at, finding_id LIMIT {lim}",
        where_clause(&conds)
    );
    let mut rows = db.rows(sql, b.args).await?;
    let more = cut_page(&mut rows, limit);
    let next = match (more, rows.last()) {
        (true, Some(r)) => Some(FindingCursor { finding_id: r[0].text()?, observed_at: r[1].text()? }),
        _ => None,
    };
    Ok(FindingPage { total, ids: rows.iter().map(|r| r[0].text()).collect::<Result<_>>()?, next })
}

/// For each of `batches`: how many findings' latest change came in it, and how many of those
/// wait for the office.
pub async fn batch_counts(db: &dyn Sql, batches: &[String]) -> Result<Vec<(String, u64, u64)>> {
    if batches.is_empty() {
        return Ok(Vec::new());
    }
    let mut b = Binds::default();
    let list = batches.iter().map(|x| b.push(x.as_str())).collect::<Vec<_>>().join(", ");
    let sql = format!(
        "SELECT batch_id, CAST(SUM(n) AS BIGINT),
                CAST(SUM(CASE WHEN state IN {OPEN_STATES} AND NOT deleted THEN n ELSE 0 END) AS BIGINT)
           FROM finding_count WHERE batch_id IN ({list}) GROUP BY batch_id"
    );
    db.rows(sql, b.args).await?.iter().map(|r| Ok((r[0].text()?, r[1].count()?, r[2].count()?))).collect()
}
