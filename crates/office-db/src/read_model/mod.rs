//! The read model (issue 16): the rows the console lists, kept by both databases in the same
//! transaction as the commit or decision that changes them, with the SQL written once here.
//!
//! A statement is SQL with `?1`-style placeholders and its [`Arg`]s; each backend runs it in its
//! own transaction (SQLite as written, PostgreSQL with `$1`). What a backend must give for the
//! reads is [`Sql`]: rows of [`Cell`]s for a query.
//!
//! - [`on_change`]: what a committed change of a finding, evidence file or disclosure copy
//!   writes besides its `record` row (the review queue's row, the evidence's parent);
//! - [`on_doc`]: what a review or a ledger problem written by the office writes;
//! - [`findings`] and [`ledger`]: the paged, filtered reads; [`dashboard`]: the counters'
//!   sums.

mod binds;
pub mod dashboard;
pub mod findings;
pub mod ledger;

use std::borrow::Cow;

use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use mingcha_core::change::{ChangeOp, ChangeRecord, EntityKind};
use mingcha_core::evidence::EvidenceTarget;
use mingcha_core::finding::Finding;
use mingcha_core::record::{DisclosureCopyRecord, EvidenceRecord};

use crate::error::{RepoError, Result};

pub use ledger::{LedgerCursor, LedgerIndex, LedgerQuery, LightFilter};

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    Bool(bool),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

impl From<Option<String>> for Arg {
    fn from(s: Option<String>) -> Self {
        Self::OptText(s)
    }
}

impl From<i64> for Arg {
    fn from(n: i64) -> Self {
        Self::Int(n)
    }
}

impl From<bool> for Arg {
    fn from(b: bool) -> Self {
        Self::Bool(b)
    }
}

/// A value read back.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Text(String),
}

impl Cell {
    pub fn text(&self) -> Result<String> {
        match self {
            Self::Text(s) => Ok(s.clone()),
            other => Err(RepoError::Internal(format!("the read model holds {other:?} where text belongs"))),
        }
    }

    pub fn opt_text(&self) -> Result<Option<String>> {
        match self {
            Self::Null => Ok(None),
            other => other.text().map(Some),
        }
    }

    pub fn int(&self) -> Result<i64> {
        match self {
            Self::Int(n) => Ok(*n),
            other => Err(RepoError::Internal(format!("the read model holds {other:?} where a number belongs"))),
        }
    }

    pub fn count(&self) -> Result<u64> {
        crate::to_u64(self.int()?)
    }
}

/// One statement to run in a transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub sql: Cow<'static, str>,
    pub args: Vec<Arg>,
}

impl Stmt {
    fn new(sql: impl Into<Cow<'static, str>>, args: Vec<Arg>) -> Self {
        Self { sql: sql.into(), args }
    }
}

/// What a backend gives the shared reads.
#[async_trait]
pub trait Sql: Send + Sync {
    async fn rows(&self, sql: String, args: Vec<Arg>) -> Result<Vec<Vec<Cell>>>;
}

/// `WHERE` and the conditions joined, or nothing when there are none.
fn where_clause(conds: &[String]) -> String {
    if conds.is_empty() { String::new() } else { format!("WHERE {}", conds.join(" AND ")) }
}

/// How many rows of `table` pass `conds`.
async fn count(db: &dyn Sql, table: &str, conds: &[String], args: Vec<Arg>) -> Result<u64> {
    let rows = db.rows(format!("SELECT count(*) FROM {table} {}", where_clause(conds)), args).await?;
    rows.first().and_then(|r| r.first()).map_or(Ok(0), Cell::count)
}

/// The sum of a counter table's `n` over the rows `conds` select (0 when none).
async fn sum_counts(db: &dyn Sql, table: &str, conds: &[String], args: Vec<Arg>) -> Result<u64> {
    let sql = format!("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM {table} {}", where_clause(conds));
    let rows = db.rows(sql, args).await?;
    rows.first().and_then(|r| r.first()).map_or(Ok(0), Cell::count)
}

/// Cut rows read with `LIMIT limit + 1` to `limit`, and say whether there were more: the last
/// row kept is then where the next page starts.
fn cut_page(rows: &mut Vec<Vec<Cell>>, limit: u32) -> bool {
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    more
}

/// The same statement with PostgreSQL's `$1` placeholders: `?` followed by digits becomes `$`.
pub fn dollar_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

/// A time as the read model keeps it: UTC, one fixed width, so that text order is time order.
pub fn sortable(at: &DateTime<FixedOffset>) -> String {
    at.with_timezone(&Utc).to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The review states in which a finding waits for the office (待审核, 已重报).
pub const OPEN_STATES: &str = "('new', 'resent')";

/// The state a stored review gives a finding whose latest change is `change_id`, in SQL over
/// the columns `review_state`, `returned_change` and `change_id` (qualified by `row`).
fn state_now(review_state: &str, returned_change: &str, change_id: &str) -> String {
    format!(
        "CASE WHEN {review_state} = 'returned' AND COALESCE({returned_change}, '') <> {change_id} \
         THEN 'resent' ELSE {review_state} END"
    )
}

/// The latest state of a record, as a change brings it or as the office holds it.
#[derive(Debug, Clone, Copy)]
pub struct Latest<'a> {
    pub entity: EntityKind,
    pub entity_id: &'a str,
    pub op: ChangeOp,
    pub payload: &'a serde_json::Value,
    pub change_id: &'a str,
    pub batch_id: &'a str,
}

impl Latest<'_> {
    fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_value(self.payload.clone())
            .map_err(|e| RepoError::Internal(format!("{} {} does not read: {e}", self.entity.as_str(), self.entity_id)))
    }
}

/// What a change that was just stored as the latest state of its record also writes. Each
/// statement applies only while the record still holds this change, so a change stored as
/// history (an older seq) leaves the read model as it is.
pub fn on_change(c: &ChangeRecord, batch_id: uuid::Uuid) -> Result<Vec<Stmt>> {
    let (change_id, batch_id) = (c.id.to_string(), batch_id.to_string());
    on_record(Latest {
        entity: c.entity,
        entity_id: &c.entity_id,
        op: c.op,
        payload: &c.payload,
        change_id: &change_id,
        batch_id: &batch_id,
    })
}

/// What the latest state of a record writes into the read model.
pub fn on_record(c: Latest<'_>) -> Result<Vec<Stmt>> {
    match c.entity {
        EntityKind::Finding => {
            let f: Finding = c.parse()?;
            let state = state_now("finding_row.review_state", "finding_row.returned_change", "excluded.change_id");
            let sql = format!(
                "INSERT INTO finding_row (finding_id, batch_id, inspector, unit_id, observed_at, change_id, deleted)
                 SELECT ?1, ?2, i.name, ?3, ?4, ?5, CAST(?6 AS BOOLEAN)
                   FROM record r JOIN device d ON d.id = r.device_id JOIN inspector i ON i.id = d.inspector_id
                  WHERE r.entity = 'finding' AND r.entity_id = ?1 AND CAST(r.change_id AS TEXT) = ?5
                 ON CONFLICT (finding_id) DO UPDATE SET batch_id = excluded.batch_id,
                    inspector = excluded.inspector, unit_id = excluded.unit_id,
                    observed_at = excluded.observed_at, change_id = excluded.change_id,
                    deleted = excluded.deleted, state = {state}, is_open = ({state}) IN {OPEN_STATES}"
            );
            Ok(vec![Stmt::new(
                sql,
                vec![
                    c.entity_id.into(),
                    c.batch_id.into(),
                    f.unit_id.to_string().into(),
                    sortable(&f.observed_at).into(),
                    c.change_id.into(),
                    (c.op == ChangeOp::Delete).into(),
                ],
            )])
        }
        EntityKind::Evidence if c.op != ChangeOp::Delete => {
            let r: EvidenceRecord = c.parse()?;
            let EvidenceTarget::Finding { finding_id } = r.evidence.target else { return Ok(Vec::new()) };
            Ok(vec![parent(c, finding_id.to_string())])
        }
        EntityKind::DisclosureCopy if c.op != ChangeOp::Delete => {
            let r: DisclosureCopyRecord = c.parse()?;
            Ok(vec![parent(c, r.evidence_id.to_string())])
        }
        _ => Ok(Vec::new()),
    }
}

fn parent(c: Latest<'_>, parent: String) -> Stmt {
    Stmt::new(
        "UPDATE record SET parent_id = ?1 WHERE entity = ?2 AND entity_id = ?3 AND CAST(change_id AS TEXT) = ?4",
        vec![parent.into(), c.entity.as_str().into(), c.entity_id.into(), c.change_id.into()],
    )
}

/// The kinds of office document the read model follows.
pub const REVIEW: &str = "review";
pub const PROBLEM: &str = "problem";

/// What writing (or deleting) an office document also writes. A ledger problem must come
/// with its [`LedgerIndex`], made by the application from the problem, its finding and its
/// review; a problem written without one is refused, so no write can leave the ledger stale.
/// A review may bring its problem's row too: its wording is the row's description.
pub fn on_doc(
    kind: &str,
    id: &str,
    body: Option<&serde_json::Value>,
    index: Option<&LedgerIndex>,
) -> Result<Vec<Stmt>> {
    match (kind, body) {
        (REVIEW, body) => {
            let field = |name: &str| body.and_then(|b| b.get(name)).and_then(|v| v.as_str()).map(str::to_owned);
            let review_state = field("state").unwrap_or_else(|| "new".to_owned());
            let state = state_now("?2", "?3", "change_id");
            let mut out = vec![Stmt::new(
                format!(
                    "UPDATE finding_row SET review_state = ?2, returned_change = ?3, state = {state},
                        is_open = ({state}) IN {OPEN_STATES} WHERE finding_id = ?1"
                ),
                vec![id.into(), review_state.into(), field("returned_change").into()],
            )];
            out.extend(index.map(ledger::upsert).unwrap_or_default());
            Ok(out)
        }
        (PROBLEM, Some(_)) => {
            let index = index
                .filter(|i| i.problem_id == id)
                .ok_or_else(|| RepoError::Internal(format!("ledger problem {id} written without its ledger row")))?;
            Ok(ledger::upsert(index))
        }
        (PROBLEM, None) => Ok(ledger::remove(id)),
        _ => Ok(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_dollars_and_question_marks_in_text_stay() {
        assert_eq!(dollar_placeholders("a = ?1 AND b = ?12 AND c = '?'"), "a = $1 AND b = $12 AND c = '?'");
    }

    #[test]
    fn times_sort_as_text_across_offsets() {
        let a = DateTime::parse_from_rfc3339("2026-03-05T09:30:00+08:00").unwrap();
        let b = DateTime::parse_from_rfc3339("2026-03-05T02:00:00+00:00").unwrap();
        assert!(a < b);
        assert!(sortable(&a) < sortable(&b), "{} {}", sortable(&a), sortable(&b));
    }
}
