//! [`verify_scope`], the end-to-end custody check (证据链核验) behind `mingcha-server verify`
//! and the console's mark: it reads what the checks need and hashes the blobs; the checks
//! themselves are `mingcha_office::custody`'s (re-exported here as [`verify`]). The rule a
//! batch must meet to continue a device's chain lives with the exchange (`repo::chain`).

pub use mingcha_office::custody as verify;
pub use mingcha_office::custody::office_day;

use mingcha_core::evidence::Sha256Hex;

use crate::{Error, Result};

/// Gather what the checks read: the tables' raw bytes, plus the notices and problems that
/// lead from a notice to its findings.
pub async fn holdings(repo: &dyn mingcha_office_db::Repo) -> Result<verify::Holdings> {
    use crate::kind;
    let mut h = repo.custody_holdings().await?;
    for d in repo.docs(kind::PROBLEM).await? {
        if let Some(f) = d.body.get("finding_id").and_then(|v| v.as_str()) {
            h.problems.insert(d.id.clone(), f.to_owned());
        }
    }
    for d in repo.docs(kind::NOTICE).await? {
        let number = d.body.get("number").and_then(|v| v.as_str()).unwrap_or_default().to_owned();
        let problems = d
            .body
            .get("problem_ids")
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|p| p.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        h.notices.push((d.id.clone(), number, problems));
    }
    Ok(h)
}

/// Verify `scope` end to end against the office's tables and blob store.
pub async fn verify_scope(
    repo: &dyn mingcha_office_db::Repo,
    blobs: &dyn mingcha_office_db::blobs::BlobStore,
    office_key: &ed25519_dalek::VerifyingKey,
    scope: &verify::Scope,
) -> Result<verify::Report> {
    let h = holdings(repo).await?;
    let scope = verify::resolve(&h, scope).map_err(|e| Error::BadRequest(e.to_string()))?;
    let plan = verify::Plan::new(&h, &scope);
    let mut hashed = verify::BlobDigests::new();
    for sha in plan.blobs_to_hash(&h) {
        // Hashed as it is read: a 2 GiB video is checked without being held in memory.
        let held = match Sha256Hex::parse(&sha) {
            Ok(s) => blobs.digest(&s).await?,
            Err(_) => None,
        };
        hashed.insert(sha, held);
    }
    Ok(verify::verify(&h, &hashed, office_key, &plan))
}
