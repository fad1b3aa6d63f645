//! Chinese full-text search over findings.
//!
//! One FTS5 index holds each word of a finding's text as its overlapping character pairs, in
//! order, plus the word's last character (see the migration). A query word of two or more
//! characters becomes a phrase of its pairs, which matches exactly where the word occurs; a
//! single character becomes a prefix. So 脱岗 (two characters, the most common kind of query)
//! is one index lookup, and a query is always one MATCH that the index can return newest
//! first, stopping after a page.

use chrono::NaiveDate;
use mingcha_core::finding::FindingStatus;
use rusqlite::types::Value;

use crate::Writer;
use crate::error::Result;

impl Writer<'_> {
    /// Index a finding's searchable text under its row number.
    pub(crate) fn index_finding(&self, seq: i64, parts: &[&str]) -> Result<()> {
        self.prepare_cached("INSERT INTO finding_search (rowid, grams) VALUES (?1, ?2)")?
            .execute((seq, grams(&parts.join(" "))))?;
        Ok(())
    }

    pub(crate) fn unindex_finding(&self, seq: i64) -> Result<()> {
        self.prepare_cached("DELETE FROM finding_search WHERE rowid = ?1")?.execute([seq])?;
        Ok(())
    }
}

/// The words of `text`: runs of letters and digits, lower-cased.
fn words(text: &str) -> impl Iterator<Item = Vec<char>> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(|w| w.to_lowercase().chars().collect())
}

/// The consecutive character pairs of a word.
fn pairs(word: &[char]) -> impl Iterator<Item = String> + '_ {
    word.windows(2).map(|p| p.iter().collect())
}

/// The indexed form of `text`: for each word its pairs in order, then its last character.
pub(crate) fn grams(text: &str) -> String {
    let mut out = Vec::new();
    for word in words(text) {
        out.extend(pairs(&word));
        if let Some(last) = word.last() {
            out.push(last.to_string());
        }
    }
    out.join(" ")
}

/// The FTS5 MATCH expression for what a user typed: every word must occur. `None` when the
/// text has no letters or digits at all.
pub(crate) fn match_expression(text: &str) -> Option<String> {
    let terms: Vec<String> = words(text)
        .map(|w| match w.len() {
            1 => format!("\"{}\"*", w[0]),
            _ => format!("\"{}\"", pairs(&w).collect::<Vec<_>>().join(" ")),
        })
        .collect();
    (!terms.is_empty()).then(|| terms.join(" AND "))
}

/// What to list: any mix of text, unit, category, status, date range and visit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FindingQuery {
    /// Words, all of which must appear (any length, Chinese or not).
    pub text: Option<String>,
    /// A unit by id or name.
    pub unit: Option<String>,
    /// A category leaf or group, by code or name: 散 lists every 散 leaf.
    pub category: Option<String>,
    pub status: Option<FindingStatus>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub visit: Option<String>,
    /// Page size; 0 means 50.
    pub limit: usize,
    pub offset: usize,
}

/// The references of a query, resolved to what the table stores.
pub(crate) struct Resolved {
    pub unit_id: Option<String>,
    pub visit_id: Option<String>,
    /// A leaf code, or (`true`) a group code whose leaves all match.
    pub category: Option<(String, bool)>,
}

/// Everything after `SELECT <columns>` of a finding query, with its parameters.
pub(crate) struct Plan {
    pub rest: String,
    pub params: Vec<Value>,
}

const JOINS: &str = "JOIN unit u ON u.id = f.unit_id LEFT JOIN spot s ON s.id = f.spot_id";

/// Build the query. With text, the search index drives it newest-first, so a page of a common
/// word stops early. Without, the page's row numbers are found on the indexes alone and only
/// those rows are read: every page read is decrypted, so reading 50 rows instead of every
/// match is what keeps a filter over a year of findings fast.
pub(crate) fn plan(q: &FindingQuery, r: &Resolved, limit: usize) -> Plan {
    let mut params: Vec<Value> = Vec::new();
    let mut filters = String::new();
    let mut push = |sql: &mut String, clause: &str, v: Value| {
        params.push(v);
        sql.push_str(&clause.replace('?', &format!("?{}", params.len())));
    };
    let text = q.text.as_deref().and_then(match_expression);
    if let Some(m) = &text {
        push(&mut filters, " AND finding_search MATCH ?", Value::Text(m.clone()));
    }
    if let Some(u) = &r.unit_id {
        push(&mut filters, " AND f.unit_id = ?", Value::Text(u.clone()));
    }
    if let Some(v) = &r.visit_id {
        push(&mut filters, " AND f.visit_id = ?", Value::Text(v.clone()));
    }
    match &r.category {
        Some((code, false)) => push(&mut filters, " AND f.category_code = ?", Value::Text(code.clone())),
        Some((group, true)) => push(
            &mut filters,
            " AND f.category_code > ? || '.' AND f.category_code < ? || '/'",
            Value::Text(group.clone()),
        ),
        None => {}
    }
    if let Some(s) = q.status {
        push(&mut filters, " AND f.status = ?", Value::Text(s.as_str().into()));
    }
    if let Some(d) = q.from {
        push(&mut filters, " AND f.observed_on >= ?", Value::Text(d.to_string()));
    }
    if let Some(d) = q.to {
        push(&mut filters, " AND f.observed_on <= ?", Value::Text(d.to_string()));
    }
    let page = format!("LIMIT {limit} OFFSET {}", q.offset);
    let rest = match text {
        Some(_) => format!(
            "FROM finding_search JOIN finding f ON f.seq = finding_search.rowid {JOINS}
             WHERE f.deleted_at IS NULL{filters} ORDER BY finding_search.rowid DESC {page}"
        ),
        None => format!(
            "FROM finding f {JOINS} WHERE f.seq IN (
                 SELECT f.seq FROM finding f WHERE f.deleted_at IS NULL{filters} ORDER BY f.seq DESC {page}
             ) ORDER BY f.seq DESC"
        ),
    };
    Plan { rest, params }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_indexed_as_ordered_pairs_and_a_last_character() {
        assert_eq!(grams("脱岗离岗"), "脱岗 岗离 离岗 岗");
        assert_eq!(grams("3号窗口，IMG"), "3号 号窗 窗口 口 im mg g");
        assert_eq!(grams("岗"), "岗");
    }

    #[test]
    fn queries_become_pair_phrases_or_a_prefix() {
        assert_eq!(match_expression("脱岗").as_deref(), Some("\"脱岗\""));
        assert_eq!(match_expression("窗口工作").as_deref(), Some("\"窗口 口工 工作\""));
        assert_eq!(match_expression("岗 3号").as_deref(), Some("\"岗\"* AND \"3号\""));
        assert_eq!(match_expression("\"，"), None);
    }
}
