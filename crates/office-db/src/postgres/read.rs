//! The read model's statements and reads on PostgreSQL (see [`crate::read_model`]), and
//! the console's reads of a few records or documents by id.

use deadpool_postgres::GenericClient;
use tokio_postgres::types::{ToSql, Type};

use super::{RECORD_SELECT, record_from};
use crate::error::{RepoError, Result};
use crate::read_model::{Arg, Cell, Stmt, dollar_placeholders};
use crate::{Doc, StoredRecord};

fn bind(args: &[Arg]) -> Vec<Box<dyn ToSql + Sync + Send>> {
    args.iter()
        .map(|a| -> Box<dyn ToSql + Sync + Send> {
            match a {
                Arg::Text(s) => Box::new(s.clone()),
                Arg::OptText(s) => Box::new(s.clone()),
                Arg::Int(n) => Box::new(*n),
                Arg::Bool(b) => Box::new(*b),
            }
        })
        .collect()
}

fn refs(b: &[Box<dyn ToSql + Sync + Send>]) -> Vec<&(dyn ToSql + Sync)> {
    b.iter().map(|x| &**x as &(dyn ToSql + Sync)).collect()
}

/// Run `stmts` on `c` (a transaction), in order, pipelined: they are sent one after another
/// without waiting for each answer, so a batch of a thousand changes costs a few round trips,
/// not a thousand (the connection runs them in the order sent).
pub(super) async fn apply(c: &impl GenericClient, stmts: &[Stmt]) -> Result<()> {
    let mut prepared = Vec::with_capacity(stmts.len());
    for s in stmts {
        prepared.push((c.prepare_cached(&dollar_placeholders(&s.sql)).await?, bind(&s.args)));
    }
    let runs = prepared.iter().map(|(stmt, args)| async move { c.execute(stmt, &refs(args)).await });
    futures_util::future::try_join_all(runs).await?;
    Ok(())
}

pub(super) async fn rows(c: &impl GenericClient, sql: &str, args: &[Arg]) -> Result<Vec<Vec<Cell>>> {
    let args = bind(args);
    let stmt = c.prepare_cached(&dollar_placeholders(sql)).await?;
    let rows = c.query(&stmt, &refs(&args)).await?;
    rows.iter()
        .map(|r| {
            (0..r.len())
                .map(|i| {
                    let t = r.columns()[i].type_().clone();
                    Ok(match t {
                        Type::INT8 => r.try_get::<_, Option<i64>>(i)?.map_or(Cell::Null, Cell::Int),
                        Type::INT4 => r.try_get::<_, Option<i32>>(i)?.map_or(Cell::Null, |n| Cell::Int(n.into())),
                        Type::BOOL => r.try_get::<_, Option<bool>>(i)?.map_or(Cell::Null, |b| Cell::Int(b.into())),
                        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME => {
                            r.try_get::<_, Option<String>>(i)?.map_or(Cell::Null, Cell::Text)
                        }
                        other => return Err(RepoError::Internal(format!("the read model reads no {other} column"))),
                    })
                })
                .collect()
        })
        .collect()
}

/// The latest state of the records of `entity` among `ids` (`column` = `entity_id`), or of
/// those whose parent is among them (`column` = `parent_id`).
pub(super) async fn records_where(
    c: &impl GenericClient,
    entity: &str,
    column: &str,
    ids: &[String],
) -> Result<Vec<StoredRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql =
        format!("{RECORD_SELECT} WHERE r.entity = $1 AND r.{column} = ANY($2) ORDER BY r.changed_at, r.entity_id");
    c.query(&sql, &[&entity, &ids]).await?.iter().map(record_from).collect()
}

pub(super) async fn docs_in(c: &impl GenericClient, kind: &str, ids: &[String]) -> Result<Vec<Doc>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!("{} WHERE kind = $1 AND id = ANY($2) ORDER BY id", super::docs::SELECT);
    c.query(&sql, &[&kind, &ids]).await?.iter().map(super::docs::build).collect()
}
