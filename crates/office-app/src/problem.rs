//! A ledger problem's steps (交办 → 整改 → 复核 → 销号) as use cases: load the problem with its
//! finding, apply `mingcha_office::problem`'s rule for the step, and write the problem with its
//! ledger row in one transaction. Each answers the problem as written and the findings it
//! shows, for the caller to present as its reader may see it.

use chrono::{DateTime, NaiveDate, Utc};
use mingcha_office::problem::{AssignInput, FileRef, Problem};
use mingcha_office_db::Repo;

use crate::world::{World, resolve_unit};
use crate::{Error, Result, Versioned, ledger_index, today};

/// Who takes a step: the name the problem's history shows, and the account the document log
/// records.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub name: &'a str,
    pub username: &'a str,
}

/// A problem after a step, and the findings it shows.
#[derive(Debug)]
pub struct Stepped {
    pub world: World,
    pub problem: Versioned<Problem>,
    /// When the step was taken: the day its lights and deadline are judged on.
    pub at: DateTime<Utc>,
}

/// Load problem `id`, change it with `step`, and write it with its ledger row.
async fn change(
    repo: &dyn Repo,
    id: &str,
    by: Actor<'_>,
    now: DateTime<Utc>,
    step: impl FnOnce(&mut Problem) -> Result<()>,
) -> Result<Stepped> {
    let (world, mut problem) = World::of_problem(repo, id).await?;
    step(&mut problem.value)?;
    let held = world.held(&problem.value.finding_id)?;
    let write = ledger_index::write(&world, &problem, held, &world.review(&held.record.entity_id).value)?;
    repo.write_docs(vec![write], vec![], by.username, now).await?;
    Ok(Stepped { world, problem, at: now })
}

/// 交办: what the office types to hand a problem to a unit.
#[derive(Debug, Clone, Default)]
pub struct Assignment {
    /// The unit, by id or by name.
    pub unit: String,
    pub person: Option<String>,
    /// `YYYY-MM-DD`, not before today.
    pub deadline: String,
    pub measures: Option<String>,
}

pub async fn assign(
    repo: &dyn Repo,
    id: &str,
    input: &Assignment,
    by: Actor<'_>,
    now: DateTime<Utc>,
) -> Result<Stepped> {
    let deadline: NaiveDate =
        mingcha_core::inspection::parse_date("deadline", &input.deadline).map_err(|e| Error::Invalid(e.to_string()))?;
    let (unit_id, unit) = resolve_unit(repo, &input.unit).await?;
    change(repo, id, by, now, |p| {
        let input = AssignInput {
            unit_id: &unit_id,
            unit: &unit,
            person: input.person.as_deref(),
            deadline,
            measures: input.measures.as_deref(),
        };
        Ok(p.assign(input, today(now), by.name, now)?)
    })
    .await
}

/// 整改反馈: a unit's report with its files. `own_unit` is the unit a unit contact reports for:
/// a problem handed to another unit is, to them, not in the ledger at all.
pub async fn report(
    repo: &dyn Repo,
    id: &str,
    text: &str,
    files: Vec<FileRef>,
    own_unit: Option<&str>,
    by: Actor<'_>,
    now: DateTime<Utc>,
) -> Result<Stepped> {
    change(repo, id, by, now, |p| {
        if let Some(unit) = own_unit
            && p.assignment.as_ref().map(|a| a.unit_id.as_str()) != Some(unit)
        {
            return Err(Error::NotFound(format!("no problem {} in the ledger", p.id)));
        }
        Ok(p.report(text, files, by.name, now)?)
    })
    .await
}

/// 复核: passed or not, with the office's comment, and optionally the finding of a later visit
/// to the same unit that proves it (回头看).
pub async fn verify(
    repo: &dyn Repo,
    id: &str,
    pass: bool,
    comment: &str,
    revisit: Option<&str>,
    by: Actor<'_>,
    now: DateTime<Utc>,
) -> Result<Stepped> {
    let revisit = revisit.map(str::trim).filter(|s| !s.is_empty());
    if let Some(r) = revisit {
        // The proof must be a finding the office holds, of a later visit to the same unit.
        let (problem_world, p) = World::of_problem(repo, id).await?;
        let proof_world = World::of(repo, &[r.to_owned()]).await?;
        let (original, proof) = (problem_world.held(&p.value.finding_id)?, proof_world.held(r)?);
        if proof.finding.unit_id != original.finding.unit_id
            || proof.finding.observed_at <= original.finding.observed_at
        {
            return Err(Error::Invalid("the re-visit finding must be a later finding at the same unit".into()));
        }
    }
    change(repo, id, by, now, |p| Ok(p.verify(pass, comment, revisit, by.name, now)?)).await
}

/// 销号.
pub async fn close(
    repo: &dyn Repo,
    id: &str,
    comment: Option<&str>,
    by: Actor<'_>,
    now: DateTime<Utc>,
) -> Result<Stepped> {
    change(repo, id, by, now, |p| Ok(p.close(comment, today(now), by.name, now)?)).await
}
