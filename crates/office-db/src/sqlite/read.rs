//! The read model's statements and reads on SQLite (see [`crate::read_model`]), and the
//! console's reads of a few records or documents by id.

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql, Transaction};

use super::{RECORD_SELECT, record_from, record_row};
use crate::error::Result;
use crate::read_model::{Arg, Cell, Stmt};
use crate::{Doc, StoredRecord};

impl ToSql for Arg {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Self::Text(s) => ToSqlOutput::from(s.as_str()),
            Self::OptText(Some(s)) => ToSqlOutput::from(s.as_str()),
            Self::OptText(None) => ToSqlOutput::from(rusqlite::types::Null),
            Self::Int(n) => ToSqlOutput::from(*n),
            Self::Bool(b) => ToSqlOutput::from(*b),
        })
    }
}

/// Run `stmts` inside `tx`, in order.
pub(super) fn apply(tx: &Transaction<'_>, stmts: &[Stmt]) -> Result<()> {
    for s in stmts {
        tx.prepare_cached(&s.sql)?.execute(rusqlite::params_from_iter(&s.args))?;
    }
    Ok(())
}

pub(super) fn rows(c: &Connection, sql: &str, args: &[Arg]) -> Result<Vec<Vec<Cell>>> {
    let mut stmt = c.prepare_cached(sql)?;
    let width = stmt.column_count();
    let mut rows = stmt.query(rusqlite::params_from_iter(args))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let mut row = Vec::with_capacity(width);
        for i in 0..width {
            row.push(match r.get_ref(i)? {
                ValueRef::Null => Cell::Null,
                ValueRef::Integer(n) => Cell::Int(n),
                ValueRef::Real(x) => Cell::Text(x.to_string()),
                ValueRef::Text(t) | ValueRef::Blob(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
            });
        }
        out.push(row);
    }
    Ok(out)
}

fn list(from: usize, n: usize) -> String {
    (from..from + n).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ")
}

/// The latest state of the records of `entity` among `ids` (`column` = `entity_id`), or of
/// those whose parent is among them (`column` = `parent_id`).
pub(super) fn records_where(c: &Connection, entity: &str, column: &str, ids: &[String]) -> Result<Vec<StoredRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{RECORD_SELECT} WHERE r.entity = ?1 AND r.{column} IN ({}) ORDER BY r.changed_at, r.entity_id",
        list(2, ids.len())
    );
    let mut stmt = c.prepare(&sql)?;
    let args = std::iter::once(entity.to_owned()).chain(ids.iter().cloned());
    let rows = stmt.query_map(rusqlite::params_from_iter(args), record_row)?;
    rows.map(|r| record_from(r?)).collect()
}

pub(super) fn docs_in(c: &Connection, kind: &str, ids: &[String]) -> Result<Vec<Doc>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!("{} WHERE kind = ?1 AND id IN ({}) ORDER BY id", super::docs::SELECT, list(2, ids.len()));
    let mut stmt = c.prepare(&sql)?;
    let args = std::iter::once(kind.to_owned()).chain(ids.iter().cloned());
    let rows = stmt
        .query_map(rusqlite::params_from_iter(args), super::docs::doc_from)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(super::docs::build).collect()
}
