//! The console's side of the read model (`mingcha_office_db::read_model`): the ledger row each
//! problem write carries, the rows read back, the page cursors, and the one-time rebuild of an
//! office made before the read model existed.

use chrono::{NaiveDate, Utc};
use mingcha_core::change::EntityKind;
use mingcha_office::ledger::LedgerRow;
use mingcha_office::problem::{Problem, light_on};
use mingcha_office::review::Review;

use crate::world::{Held, World};
use crate::{Error, Result};
use crate::{Versioned, kind, today};
use mingcha_office_db::read_model::{self, Cell, Latest, LedgerIndex, Stmt};
use mingcha_office_db::{DocWrite, Repo};

/// The name the read model is built under: a new name rebuilds it once.
const BUILT: &str = "v1";

/// The ledger's row of `p` for the read model, with `review` as it is being written.
pub fn index(world: &World, p: &Problem, h: &Held, review: &Review) -> Result<LedgerIndex> {
    let mut row = world.ledger_row_with(p, h, review, today(Utc::now()));
    row.light = None;
    let search = row.searched().iter().map(|f| f.to_lowercase()).collect::<Vec<_>>().join("\n");
    let stage = serde_json::to_value(row.stage)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .ok_or_else(|| Error::Internal("a ledger stage without a name".into()))?;
    Ok(LedgerIndex {
        problem_id: p.id.clone(),
        finding_id: p.finding_id.clone(),
        unit_id: h.finding.unit_id.to_string(),
        unit_name: row.unit.clone(),
        responsible_unit_id: p.assignment.as_ref().map(|a| a.unit_id.clone()),
        category: row.category.clone(),
        category_group: world.category_group(&row.category),
        checklist_item: h.finding.checklist_item.as_ref().map(|i| i.item_code.clone()),
        method: row.method.clone(),
        found_at: read_model::sortable(&row.found_at),
        found_on: row.found_at.date_naive(),
        stage,
        deadline: row.deadline,
        search,
        row_json: serde_json::to_string(&row).map_err(|e| Error::Internal(e.to_string()))?,
    })
}

/// The write of problem `p` with its ledger row.
pub fn write(world: &World, p: &Versioned<Problem>, h: &Held, review: &Review) -> Result<DocWrite> {
    let mut w = p.write(kind::PROBLEM, &p.value.id)?;
    w.ledger = Some(index(world, &p.value, h, review)?);
    Ok(w)
}

/// The write of problem `p` with its ledger row, for a caller that holds no [`World`]: its
/// finding and review are read for the row.
pub async fn write_alone(repo: &dyn Repo, p: &Versioned<Problem>) -> Result<DocWrite> {
    let world = World::of(repo, std::slice::from_ref(&p.value.finding_id)).await?;
    let h = world.held(&p.value.finding_id)?;
    write(&world, p, h, &world.review(&h.record.entity_id).value)
}

/// A ledger row read back, numbered `seq` among the rows its reader asked for, lit for `day`.
pub fn row(json: &str, seq: u64, day: NaiveDate) -> Result<LedgerRow> {
    let mut row: LedgerRow =
        serde_json::from_str(json).map_err(|e| Error::Internal(format!("a ledger row does not read back: {e}")))?;
    row.seq = u32::try_from(seq).unwrap_or(u32::MAX);
    row.light = light_on(row.stage, row.deadline, day);
    Ok(row)
}

/// A page cursor as the console passes it back: the sort time and the id, with `~` between.
pub fn cursor(at: &str, id: &str) -> String {
    format!("{at}~{id}")
}

pub fn parse_cursor(s: &str) -> Result<(String, String)> {
    s.split_once('~')
        .filter(|(at, id)| !at.is_empty() && !id.is_empty())
        .map(|(at, id)| (at.to_owned(), id.to_owned()))
        .ok_or_else(|| Error::Invalid(format!("`{s}` is not a page cursor this office gave")))
}

/// Build the read model from the tables, once, for an office made before it existed: every
/// finding's queue row, every evidence file's parent, every review's state and every problem's
/// ledger row, in one transaction.
pub async fn rebuild_if_needed(repo: &dyn Repo) -> Result<()> {
    let built = repo.sql().rows("SELECT built_at FROM read_model WHERE name = ?1".into(), vec![BUILT.into()]).await?;
    if built.first().and_then(|r| r.first()).is_some_and(|c| *c != Cell::Null) {
        return Ok(());
    }
    let world = World::load(repo).await?;
    let mut stmts: Vec<Stmt> = Vec::new();
    for entity in [EntityKind::Finding, EntityKind::Evidence, EntityKind::DisclosureCopy] {
        for r in repo.records(entity).await? {
            let (change_id, batch_id) = (r.change_id.to_string(), r.batch_id.to_string());
            stmts.extend(read_model::on_record(Latest {
                entity,
                entity_id: &r.entity_id,
                op: r.op,
                payload: &r.payload,
                change_id: &change_id,
                batch_id: &batch_id,
            })?);
        }
    }
    for (id, review) in &world.reviews {
        let body = serde_json::to_value(&review.value).map_err(|e| Error::Internal(e.to_string()))?;
        stmts.extend(read_model::on_doc(kind::REVIEW, id, Some(&body), None)?);
    }
    for (id, p) in &world.problems {
        let Ok(h) = world.held(&p.value.finding_id) else { continue };
        let ledger = index(&world, &p.value, h, &world.review(&h.record.entity_id).value)?;
        stmts.extend(read_model::on_doc(kind::PROBLEM, id, Some(&serde_json::Value::Null), Some(&ledger))?);
    }
    stmts.push(Stmt {
        sql: "INSERT INTO read_model (name, built_at) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING".into(),
        args: vec![BUILT.into(), Utc::now().to_rfc3339().into()],
    });
    Ok(repo.apply(stmts).await?)
}
