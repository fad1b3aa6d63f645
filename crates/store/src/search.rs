//! Chinese full-text search over findings.
//!
//! Two FTS5 indexes, kept in the finding's own transaction: `finding_fts` with the trigram
//! tokenizer answers any substring of three or more characters; `finding_grams` holds every
//! single character and adjacent pair of the text as tokens, because trigrams cannot answer the
//! one- and two-character words inspectors search for most (脱岗, 迟到, 态度).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use mingcha_core::finding::FindingStatus;
use rusqlite::types::Value;

use crate::Writer;
use crate::error::Result;

/// The text a finding is found by.
pub(crate) struct Indexed<'a> {
    pub description: &'a str,
    pub unit: &'a str,
    pub spot: &'a str,
    pub category: &'a str,
}

impl Writer<'_> {
    pub(crate) fn index_finding(&self, seq: i64, doc: &Indexed<'_>) -> Result<()> {
        self.prepare_cached("INSERT INTO finding_fts (rowid, description, unit, spot, category) VALUES (?1, ?2, ?3, ?4, ?5)")?
            .execute((seq, doc.description, doc.unit, doc.spot, doc.category))?;
        let all = [doc.description, doc.unit, doc.spot, doc.category].join(" ");
        self.prepare_cached("INSERT INTO finding_grams (rowid, grams) VALUES (?1, ?2)")?.execute((seq, grams(&all)))?;
        Ok(())
    }

    pub(crate) fn unindex_finding(&self, seq: i64) -> Result<()> {
        self.execute("DELETE FROM finding_fts WHERE rowid = ?1", [seq])?;
        self.execute("DELETE FROM finding_grams WHERE rowid = ?1", [seq])?;
        Ok(())
    }
}

/// Every character and adjacent pair of each word of `text`, lower-cased, once each.
pub(crate) fn grams(text: &str) -> String {
    let lower = text.to_lowercase();
    let mut out = BTreeSet::new();
    for word in lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        let chars: Vec<char> = word.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            out.insert(c.to_string());
            if let Some(next) = chars.get(i + 1) {
                out.insert(format!("{c}{next}"));
            }
        }
    }
    out.into_iter().collect::<Vec<_>>().join(" ")
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
    pub limit: usize,
    pub offset: usize,
}

/// The two FTS5 MATCH expressions for `text`: long words for trigram, short ones for grams.
pub(crate) fn match_expressions(text: &str) -> (Option<String>, Option<String>) {
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let (mut long, mut short) = (Vec::new(), Vec::new());
    for term in text.split_whitespace() {
        if term.chars().count() >= 3 {
            long.push(quote(term));
        } else {
            let lower = term.to_lowercase();
            short.extend(lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(quote));
        }
    }
    let join = |v: Vec<String>| (!v.is_empty()).then(|| v.join(" AND "));
    (join(long), join(short))
}

/// A WHERE clause and its parameters, built from a query whose references are already resolved.
pub(crate) struct Filter {
    pub sql: String,
    pub params: Vec<Value>,
}

pub(crate) struct Resolved {
    pub unit_id: Option<String>,
    pub visit_id: Option<String>,
    /// Leaf codes, or a group code whose leaves all match.
    pub category: Option<(String, bool)>,
}

pub(crate) fn filter(q: &FindingQuery, r: &Resolved) -> Filter {
    let mut sql = String::from("f.deleted_at IS NULL");
    let mut params: Vec<Value> = Vec::new();
    let mut push = |clause: &str, v: Value| {
        params.push(v);
        sql.push_str(&clause.replace('?', &format!("?{}", params.len())));
    };
    if let Some(text) = &q.text {
        let (long, short) = match_expressions(text);
        if let Some(m) = long {
            push(" AND f.seq IN (SELECT rowid FROM finding_fts WHERE finding_fts MATCH ?)", Value::Text(m));
        }
        if let Some(m) = short {
            push(" AND f.seq IN (SELECT rowid FROM finding_grams WHERE finding_grams MATCH ?)", Value::Text(m));
        }
    }
    if let Some(u) = &r.unit_id {
        push(" AND f.unit_id = ?", Value::Text(u.clone()));
    }
    if let Some(v) = &r.visit_id {
        push(" AND f.visit_id = ?", Value::Text(v.clone()));
    }
    match &r.category {
        Some((code, false)) => push(" AND f.category_code = ?", Value::Text(code.clone())),
        Some((group, true)) => push(" AND f.category_code >= ? || '.' AND f.category_code < ? || '/'", Value::Text(group.clone())),
        None => {}
    }
    if let Some(s) = q.status {
        push(" AND f.status = ?", Value::Text(s.as_str().into()));
    }
    if let Some(d) = q.from {
        push(" AND f.observed_on >= ?", Value::Text(d.to_string()));
    }
    if let Some(d) = q.to {
        push(" AND f.observed_on <= ?", Value::Text(d.to_string()));
    }
    Filter { sql, params }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grams_hold_every_character_and_pair_once() {
        assert_eq!(grams("脱岗，脱岗"), "岗 脱 脱岗");
        assert_eq!(grams("3号窗口"), "3 3号 口 号 号窗 窗 窗口");
    }

    #[test]
    fn short_words_go_to_grams_and_long_ones_to_trigrams() {
        let (long, short) = match_expressions("脱岗 窗口工作人员 a\"b");
        assert_eq!(long.as_deref(), Some("\"窗口工作人员\" AND \"a\"\"b\""));
        assert_eq!(short.as_deref(), Some("\"脱岗\""));
        assert_eq!(match_expressions("，"), (None, None));
    }
}
