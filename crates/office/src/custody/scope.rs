//! Which checks a scope takes: a prefix made whole, and the subjects a photo, finding, batch
//! or notice covers.

use std::collections::BTreeSet;

use mingcha_core::change::{ChangeOp, EntityKind};

use super::{HeldChange, Holdings, Scope, Subject};

/// A scope's prefix names more than one thing the office holds; the words list some of them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AmbiguousScope(pub String);

/// What a verification of one scope covers, worked out once: the subjects it picks (`None` for
/// everything), whose blobs the caller hashes and whose checks [`super::verify`] keeps.
#[derive(Debug, Clone)]
pub struct Plan {
    pub(super) scope: Scope,
    pub(super) wanted: Option<BTreeSet<Subject>>,
}

impl Plan {
    pub fn new(h: &Holdings, scope: &Scope) -> Self {
        Self { scope: scope.clone(), wanted: wanted_subjects(h, scope) }
    }

    /// The blobs [`super::verify`] needs hashed: those the scope covers, all for everything.
    pub fn blobs_to_hash(&self, h: &Holdings) -> Vec<String> {
        h.blobs
            .iter()
            .map(|(sha, _)| sha)
            .filter(|sha| self.wanted.as_ref().is_none_or(|w| w.contains(&Subject::Blob((*sha).clone()))))
            .cloned()
            .collect()
    }
}

/// A scope named by a prefix of its digest or id, the way a person copies one from a listing
/// (at least 8 characters), made whole when exactly one thing the office holds starts with it.
/// An ambiguous prefix is an error naming the candidates; one that matches nothing is left as
/// it is, and the report then says the office holds nothing under that name.
pub fn resolve(h: &Holdings, scope: &Scope) -> Result<Scope, AmbiguousScope> {
    let pick = |key: &str, names: BTreeSet<String>, what: &str| -> Result<String, AmbiguousScope> {
        if names.contains(key) || key.len() < 8 {
            return Ok(key.to_owned());
        }
        let found: Vec<String> = names.into_iter().filter(|n| n.starts_with(key)).collect();
        match found.as_slice() {
            [one] => Ok(one.clone()),
            [] => Ok(key.to_owned()),
            many => Err(AmbiguousScope(format!(
                "{what} `{key}` is ambiguous: {}",
                many.iter().take(6).cloned().collect::<Vec<_>>().join(", ")
            ))),
        }
    };
    Ok(match scope {
        Scope::Photo(sha) => {
            let mut names: BTreeSet<String> = h.blobs.iter().map(|(s, _)| s.clone()).collect();
            names.extend(h.changes.iter().filter_map(blob_named));
            Scope::Photo(pick(sha, names, "photo")?)
        }
        Scope::Finding(f) => {
            let names = h
                .changes
                .iter()
                .filter(|r| r.entity == EntityKind::Finding.as_str())
                .map(|r| r.entity_id.clone())
                .collect();
            Scope::Finding(pick(f, names, "finding")?)
        }
        Scope::Batch(b) => Scope::Batch(pick(b, h.batches.iter().map(|x| x.id.clone()).collect(), "batch")?),
        other => other.clone(),
    })
}

/// The blob an evidence or disclosure-copy record names, if any.
pub(super) fn blob_named(row: &HeldChange) -> Option<String> {
    if row.entity != EntityKind::Evidence.as_str() && row.entity != EntityKind::DisclosureCopy.as_str() {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(&row.payload).ok()?;
    v.get("sha256").and_then(|s| s.as_str()).map(str::to_owned)
}

/// Whether a change's payload names `needle` under `key` (or, if it cannot be read, contains
/// it anywhere: a damaged row still belongs to the scope it was in).
fn names(row: &HeldChange, pointer: &str, needle: &str) -> bool {
    match serde_json::from_slice::<serde_json::Value>(&row.payload) {
        Ok(v) => v.pointer(pointer).and_then(|s| s.as_str()) == Some(needle),
        Err(_) => String::from_utf8_lossy(&row.payload).contains(needle),
    }
}

/// The subjects a scope covers; `None` for everything.
fn wanted_subjects(h: &Holdings, scope: &Scope) -> Option<BTreeSet<Subject>> {
    let mut findings: Vec<String> = Vec::new();
    let mut photos: Vec<String> = Vec::new();
    let mut batches: Vec<String> = Vec::new();
    match scope {
        Scope::Everything => return None,
        Scope::Photo(sha) => photos.push(sha.clone()),
        Scope::Finding(f) => findings.push(f.clone()),
        Scope::Batch(b) => batches.push(b.clone()),
        Scope::Notice(n) => {
            for (id, number, problems) in &h.notices {
                if id == n || number == n {
                    findings.extend(problems.iter().filter_map(|p| h.problems.get(p).cloned()));
                }
            }
        }
    }
    let mut out = BTreeSet::new();
    // A finding's own changes, and the evidence attached to it.
    let mut evidence: BTreeSet<String> = BTreeSet::new();
    for row in &h.changes {
        let is = |k: EntityKind| row.entity == k.as_str();
        for f in &findings {
            if is(EntityKind::Finding) && row.entity_id == *f {
                out.insert(Subject::Change(row.id.clone()));
            }
            if is(EntityKind::Evidence) && names(row, "/evidence/target/finding_id", f) {
                evidence.insert(row.entity_id.clone());
            }
        }
        for p in &photos {
            if (is(EntityKind::Evidence) || is(EntityKind::DisclosureCopy)) && names(row, "/sha256", p) {
                evidence.insert(row.entity_id.clone());
            }
        }
        if batches.contains(&row.batch_id) {
            out.insert(Subject::Change(row.id.clone()));
        }
    }
    for row in &h.changes {
        let evidence_row =
            row.entity == EntityKind::Evidence.as_str() || row.entity == EntityKind::DisclosureCopy.as_str();
        if evidence_row && (evidence.contains(&row.entity_id) || names_any(row, &evidence)) {
            out.insert(Subject::Change(row.id.clone()));
        }
    }
    for p in &photos {
        if h.blobs.iter().any(|(s, _)| s == p) {
            out.insert(Subject::Blob(p.clone()));
        }
    }
    let chosen: Vec<&HeldChange> = h.changes.iter().filter(|r| out.contains(&Subject::Change(r.id.clone()))).collect();
    for row in chosen {
        out.insert(Subject::Batch(row.batch_id.clone()));
        out.insert(Subject::Device(row.device_id.clone()));
        if let Some(sha) = blob_named(row)
            && row.op != ChangeOp::Delete.as_str()
        {
            out.insert(Subject::Blob(sha));
        }
    }
    for b in &batches {
        if h.batches.iter().any(|x| x.id == *b) {
            out.insert(Subject::Batch(b.clone()));
        }
    }
    Some(out)
}

/// A disclosure copy names the evidence it was made from.
fn names_any(row: &HeldChange, evidence: &BTreeSet<String>) -> bool {
    evidence.iter().any(|e| names(row, "/evidence_id", e))
}
