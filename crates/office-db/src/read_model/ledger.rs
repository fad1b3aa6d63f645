//! The ledger's rows (台账) in SQL: one `ledger_row` per problem, its two-character pieces in
//! `ledger_gram` for Chinese full text, and the paged, filtered reads over them.

use chrono::NaiveDate;

use super::binds::Binds;
use super::{Arg, Cell, Sql, Stmt, cut_page, where_clause};
use crate::error::{RepoError, Result};

/// What the ledger's reads need of one problem, made by the application whenever the problem
/// (or what its row shows) changes.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerIndex {
    pub problem_id: String,
    pub finding_id: String,
    /// The unit where it was found, by id and by name as shown.
    pub unit_id: String,
    pub unit_name: String,
    /// The unit it was handed to (交办), once it was.
    pub responsible_unit_id: Option<String>,
    pub category: String,
    /// The top-level category's name (散, 懒 …), for the dashboard.
    pub category_group: String,
    pub checklist_item: Option<String>,
    /// 明查 or 暗访, as the ledger prints it.
    pub method: String,
    /// [`super::sortable`] of the finding's time.
    pub found_at: String,
    /// The day it was found, in the place's own time.
    pub found_on: NaiveDate,
    /// The stage's serde name (`pending`, `assigned` …).
    pub stage: String,
    pub deadline: Option<NaiveDate>,
    /// Every column the full text searches, lower case, one per line.
    pub search: String,
    /// The row as the console shows it, without its number and light.
    pub row_json: String,
}

const COLUMNS: &str = "problem_id, finding_id, unit_id, unit_name, responsible_unit_id, category, category_group, \
    checklist_item, method, found_at, found_on, stage, deadline, search, row_json";

/// Grams are inserted this many to a statement.
const GRAMS_PER_INSERT: usize = 200;

pub(super) fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub(super) fn upsert(i: &LedgerIndex) -> Vec<Stmt> {
    let updates = COLUMNS.split(", ").skip(1).map(|c| format!("{c} = excluded.{c}")).collect::<Vec<_>>().join(", ");
    // The row is updated in place; its grams are written anew.
    let mut out = vec![Stmt::new("DELETE FROM ledger_gram WHERE problem_id = ?1", vec![i.problem_id.as_str().into()])];
    out.push(Stmt::new(
        format!(
            "INSERT INTO ledger_row ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
             ON CONFLICT (problem_id) DO UPDATE SET {updates}"
        ),
        vec![
            i.problem_id.as_str().into(),
            i.finding_id.as_str().into(),
            i.unit_id.as_str().into(),
            i.unit_name.as_str().into(),
            i.responsible_unit_id.clone().into(),
            i.category.as_str().into(),
            i.category_group.as_str().into(),
            i.checklist_item.clone().into(),
            i.method.as_str().into(),
            i.found_at.as_str().into(),
            day(i.found_on).into(),
            i.stage.as_str().into(),
            i.deadline.map(day).into(),
            i.search.as_str().into(),
            i.row_json.as_str().into(),
        ],
    ));
    let grams = grams(&i.search);
    for chunk in grams.chunks(GRAMS_PER_INSERT) {
        let values = (0..chunk.len()).map(|n| format!("(?{}, ?1)", n + 2)).collect::<Vec<_>>().join(", ");
        let mut args = vec![Arg::from(i.problem_id.as_str())];
        args.extend(chunk.iter().map(|g| Arg::from(g.as_str())));
        out.push(Stmt::new(
            format!("INSERT INTO ledger_gram (gram, problem_id) VALUES {values} ON CONFLICT DO NOTHING"),
            args,
        ));
    }
    out
}

pub(super) fn remove(problem_id: &str) -> Vec<Stmt> {
    vec![
        Stmt::new("DELETE FROM ledger_gram WHERE problem_id = ?1", vec![problem_id.into()]),
        Stmt::new("DELETE FROM ledger_row WHERE problem_id = ?1", vec![problem_id.into()]),
    ]
}

/// Every distinct two-character piece of `text` without whitespace in it, in order of first
/// appearance. A search word of two characters or more holds only pieces of its own, so the
/// rows holding all of them are the only candidates, checked whole afterwards.
pub fn grams(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut seen = std::collections::HashSet::new();
    chars
        .windows(2)
        .filter(|w| !w[0].is_whitespace() && !w[1].is_whitespace())
        .map(|w| w.iter().collect::<String>())
        .filter(|g| seen.insert(g.clone()))
        .collect()
}

/// Which ledger rows to read. Every filter is optional; the office's console sends them from
/// its URL.
#[derive(Debug, Clone, Default)]
pub struct LedgerQuery {
    /// A unit reads only the problems handed to it.
    pub responsible: Option<String>,
    /// The unit found or responsible, by id or name.
    pub unit: Option<String>,
    /// A category code or a group's code (`san` holds `san.absent`).
    pub category: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// 明查 or 暗访.
    pub method: Option<String>,
    pub stage: Option<String>,
    /// A light, judged on `today` with [`YELLOW_WITHIN_DAYS`](mingcha_core::rectification).
    pub light: Option<(LightFilter, NaiveDate)>,
    /// Whitespace-separated words, all of which must occur (lower-cased already).
    pub words: Vec<String>,
}

/// The light a row shows on a day, as a condition on its stage and deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LightFilter {
    Red,
    Yellow,
    Green,
}

/// The stages in which a problem lights: the unit still has something to do.
const LIT_STAGES: &str = "('assigned', 'reported')";

/// The rows lit `light` on `today`, over the columns `stage` and `deadline` (a problem without
/// a deadline is not lit).
pub(super) fn light_condition(light: LightFilter, today: NaiveDate, b: &mut Binds) -> String {
    let yellow_until = today + chrono::Days::new(mingcha_core::rectification::YELLOW_WITHIN_DAYS.unsigned_abs());
    match light {
        LightFilter::Red => format!("stage IN {LIT_STAGES} AND deadline < {}", b.push(day(today))),
        LightFilter::Yellow => format!(
            "stage IN {LIT_STAGES} AND deadline >= {} AND deadline <= {}",
            b.push(day(today)),
            b.push(day(yellow_until))
        ),
        LightFilter::Green => format!("stage IN {LIT_STAGES} AND deadline > {}", b.push(day(yellow_until))),
    }
}

fn escape_like(word: &str) -> String {
    word.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

impl LedgerQuery {
    fn conditions(&self, b: &mut Binds) -> Vec<String> {
        let mut w = Vec::new();
        if let Some(r) = &self.responsible {
            w.push(format!("responsible_unit_id = {}", b.push(r.as_str())));
        }
        if let Some(u) = &self.unit {
            let p = b.push(u.as_str());
            w.push(format!("(unit_id = {p} OR unit_name = {p} OR responsible_unit_id = {p})"));
        }
        if let Some(c) = &self.category {
            let exact = b.push(c.as_str());
            let under = b.push(format!("{}.%", escape_like(c)));
            w.push(format!("(category = {exact} OR category LIKE {under} ESCAPE '\\')"));
        }
        // `found_on` is the day in the place's own time; `found_at` (UTC, indexed in the
        // ledger's order) is bounded a day wider on each side, so a month's rows are read from
        // where the month starts instead of from the ledger's first row.
        if let Some(f) = self.from {
            w.push(format!("found_on >= {}", b.push(day(f))));
            w.push(format!("found_at >= {}", b.push(day(f - chrono::Days::new(1)))));
        }
        if let Some(t) = self.to {
            w.push(format!("found_on <= {}", b.push(day(t))));
            w.push(format!("found_at < {}", b.push(day(t + chrono::Days::new(2)))));
        }
        if let Some(m) = &self.method {
            w.push(format!("method = {}", b.push(m.as_str())));
        }
        if let Some(s) = &self.stage {
            w.push(format!("stage = {}", b.push(s.as_str())));
        }
        if let Some((light, today)) = self.light {
            w.push(light_condition(light, today, b));
        }
        for word in &self.words {
            for g in grams(word) {
                w.push(format!("problem_id IN (SELECT problem_id FROM ledger_gram WHERE gram = {})", b.push(g)));
            }
            w.push(format!("search LIKE {} ESCAPE '\\'", b.push(format!("%{}%", escape_like(word)))));
        }
        w
    }
}

/// Where a page starts: after this row of the order (`found_at`, `problem_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerCursor {
    pub found_at: String,
    pub problem_id: String,
}

/// One page of the ledger, in order of discovery.
#[derive(Debug, Clone)]
pub struct LedgerPage {
    /// How many rows pass the filters in all.
    pub total: u64,
    /// The position of the page's first row among them, from 1.
    pub first: u64,
    /// Each row's JSON (as [`LedgerIndex::row_json`]), its stage and deadline.
    pub rows: Vec<(String, String, Option<NaiveDate>)>,
    pub next: Option<LedgerCursor>,
}

fn parse_day(c: &Cell) -> Result<Option<NaiveDate>> {
    c.opt_text()?
        .map(|s| s.parse().map_err(|e| RepoError::Internal(format!("a ledger row's day `{s}`: {e}"))))
        .transpose()
}

/// One page of the rows `q` selects, `limit` long, after `after`.
pub async fn page(db: &dyn Sql, q: &LedgerQuery, after: Option<&LedgerCursor>, limit: u32) -> Result<LedgerPage> {
    let mut b = Binds::default();
    let conds = q.conditions(&mut b);
    let total = count(db, &conds, b.args.clone()).await?;
    let mut page_conds = conds.clone();
    let mut first = 1;
    if let Some(c) = after {
        let (at, id) = (b.push(c.found_at.as_str()), b.push(c.problem_id.as_str()));
        let mut before = conds;
        before.push(format!("(found_at < {at} OR (found_at = {at} AND problem_id <= {id}))"));
        first += count(db, &before, b.args.clone()).await?;
        page_conds.push(format!("(found_at > {at} OR (found_at = {at} AND problem_id > {id}))"));
    }
    read(db, page_conds, b, limit, total, first).await
}

/// Where problem `problem_id` stands among the rows `q` selects, from 1; `None` when it is not
/// among them.
pub async fn position(db: &dyn Sql, q: &LedgerQuery, problem_id: &str) -> Result<Option<u64>> {
    // One count of the rows up to the problem, which also says whether the problem is itself
    // among them (the filters may leave it out).
    let mut b = Binds::default();
    let mut conds = q.conditions(&mut b);
    let id = b.push(problem_id);
    let at = format!("(SELECT found_at FROM ledger_row WHERE problem_id = {id})");
    conds.push(format!("(found_at < {at} OR (found_at = {at} AND problem_id <= {id}))"));
    let sql = format!(
        "SELECT count(*), count(CASE WHEN problem_id = {id} THEN 1 END) FROM ledger_row {}",
        where_clause(&conds)
    );
    let rows = db.rows(sql, b.args).await?;
    let row = rows.first().ok_or_else(|| RepoError::Internal("a count without a row".into()))?;
    Ok(if row[1].count()? == 0 { None } else { Some(row[0].count()?) })
}

/// How many rows of `q` each unit that must act has lit red and yellow on `today`: the unit it
/// was handed to (交办), by id. A row is lit only once handed, so every one has that unit.
pub async fn lit_by_unit(db: &dyn Sql, q: &LedgerQuery, today: NaiveDate) -> Result<Vec<(String, u64, u64)>> {
    let mut b = Binds::default();
    let mut conds = q.conditions(&mut b);
    let (red, yellow) =
        (light_condition(LightFilter::Red, today, &mut b), light_condition(LightFilter::Yellow, today, &mut b));
    conds.push(format!("(({red}) OR ({yellow}))"));
    let count = |c: &str| format!("CAST(SUM(CASE WHEN {c} THEN 1 ELSE 0 END) AS BIGINT)");
    let sql = format!(
        "SELECT COALESCE(responsible_unit_id, unit_id) AS who, {} AS red, {} AS yellow FROM ledger_row {}
          GROUP BY COALESCE(responsible_unit_id, unit_id)",
        count(&red),
        count(&yellow),
        where_clause(&conds)
    );
    db.rows(sql, b.args).await?.iter().map(|r| Ok((r[0].text()?, r[1].count()?, r[2].count()?))).collect()
}

/// The problems handed to `unit` (交办), by id.
pub async fn handed_to(db: &dyn Sql, unit: &str) -> Result<Vec<String>> {
    let sql = "SELECT problem_id FROM ledger_row WHERE responsible_unit_id = ?1 ORDER BY found_at, problem_id";
    db.rows(sql.into(), vec![unit.into()]).await?.iter().map(|r| r[0].text()).collect()
}

/// The categories of the rows `q` selects (what a unit is told the labels of).
pub async fn categories(db: &dyn Sql, q: &LedgerQuery) -> Result<Vec<String>> {
    let mut b = Binds::default();
    let conds = q.conditions(&mut b);
    let sql = format!("SELECT DISTINCT category FROM ledger_row {}", where_clause(&conds));
    db.rows(sql, b.args).await?.iter().map(|r| r[0].text()).collect()
}

async fn count(db: &dyn Sql, conds: &[String], args: Vec<Arg>) -> Result<u64> {
    super::count(db, "ledger_row", conds, args).await
}

async fn read(
    db: &dyn Sql,
    conds: Vec<String>,
    mut b: Binds,
    limit: u32,
    total: u64,
    first: u64,
) -> Result<LedgerPage> {
    let lim = b.push(i64::from(limit) + 1);
    let sql = format!(
        "SELECT row_json, stage, deadline, found_at, problem_id FROM ledger_row {} ORDER BY found_at, problem_id LIMIT {lim}",
        where_clause(&conds)
    );
    let mut rows = db.rows(sql, b.args).await?;
    let more = cut_page(&mut rows, limit);
    let next = match (more, rows.last()) {
        (true, Some(r)) => Some(LedgerCursor { found_at: r[3].text()?, problem_id: r[4].text()? }),
        _ => None,
    };
    let rows = rows.iter().map(|r| Ok((r[0].text()?, r[1].text()?, parse_day(&r[2])?))).collect::<Result<_>>()?;
    Ok(LedgerPage { total, first, rows, next })
}

/// What the dashboard needs of each problem found between two days (inclusive).
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grams_skip_whitespace_and_repeat() {
        assert_eq!(grams("工作人员\n工作"), ["工作", "作人", "人员"]);
        assert!(grams("a").is_empty());
    }

    #[test]
    fn like_patterns_escape_their_wildcards() {
        assert_eq!(escape_like("100%_\\"), "100\\%\\_\\\\");
    }
}
