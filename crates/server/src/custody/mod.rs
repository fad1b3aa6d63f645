//! The office's side of the chain of custody (证据保管链, see `mingcha_core::custody`): the
//! rule a batch must meet to continue a device's chain, the day a signed head belongs to, and
//! [`verify_scope`], the end-to-end check behind `mingcha-server verify` and the console's
//! mark: it reads what the checks need and hashes the blobs, and the checks themselves are
//! `mingcha_office::custody`'s (re-exported here as [`verify`]).
//!
//! The stores (`repo/sqlite`, `repo/postgres`) gather what they hold and call
//! [`check_continuation`] inside the transaction that stores or commits the batch, so both
//! backends refuse exactly the same batches.

pub use mingcha_office::custody as verify;
pub use mingcha_office::custody::office_day;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use mingcha_core::custody::{self, Frontier, Hash, SignedTreeHead, TreeHead};
use mingcha_core::evidence::Sha256Hex;
use mingcha_core::sync::Manifest;

use crate::error::{Error, Result};
use crate::key::ServerKey;

/// What the office holds of a device's chain, as far as one batch needs it.
#[derive(Debug, Clone, Default)]
pub struct StoredChain {
    /// The last seq the office holds.
    pub acked_seq: u64,
    /// The accepted chain head; `None` for a device enrolled before the chain existed.
    pub head: Option<Hash>,
    /// The stored link of each seq from the batch's `after_seq` to the overlap's end
    /// (`None`: a change stored before the chain existed).
    pub links: BTreeMap<u64, Option<Hash>>,
}

impl StoredChain {
    /// The seqs whose stored links a batch needs: its `after_seq` and its overlap with what
    /// the office holds.
    pub fn wanted(m: &Manifest, acked_seq: u64) -> std::ops::RangeInclusive<u64> {
        m.after_seq.max(1)..=m.last_seq().min(acked_seq)
    }
}

/// Whether `m` continues the device's chain as the office holds it. A batch must start where
/// the office stands (`after_seq == acked`, `chain_before` the accepted head), or overlap what
/// it holds exactly (a device that lost a receipt and rebuilt): the same links at the same
/// seqs. A batch with nothing new is a replay; one that starts beyond is a gap.
pub fn check_continuation(m: &Manifest, held: &StoredChain) -> Result<()> {
    let acked = held.acked_seq;
    if m.after_seq > acked {
        return Err(Error::SequenceGap { after_seq: m.after_seq, acked_seq: acked });
    }
    let expected_before = if m.after_seq == acked {
        held.head
    } else if m.after_seq == 0 {
        Some(Hash::GENESIS)
    } else {
        held.links.get(&m.after_seq).copied().flatten()
    };
    // No stored state (a device or changes from before the chain existed): the batch anchors it.
    if let Some(expected) = expected_before
        && expected != m.chain_before
    {
        return Err(Error::ChainFork { seq: m.after_seq, expected, offered: m.chain_before });
    }
    let mut link = m.chain_before;
    for c in m.changes.iter().take_while(|c| c.seq <= acked) {
        link = custody::link(&link, c);
        if let Some(Some(stored)) = held.links.get(&c.seq)
            && *stored != link
        {
            return Err(Error::ChainFork { seq: c.seq, expected: *stored, offered: link });
        }
    }
    if m.after_seq < acked && m.last_seq() <= acked {
        return Err(Error::ChainReplay { acked_seq: acked, chain_head: held.head });
    }
    Ok(())
}

/// The link after each change of `m`, in order.
pub fn links(m: &Manifest) -> Vec<Hash> {
    let mut link = m.chain_before;
    m.changes
        .iter()
        .map(|c| {
            link = custody::link(&link, c);
            link
        })
        .collect()
}

/// Today's head of a log whose right border is `frontier`, signed.
pub fn sign_head(key: &ServerKey, frontier: &Frontier, now: DateTime<Utc>) -> SignedTreeHead {
    key.sign_tree_head(TreeHead {
        day: office_day(now),
        tree_size: frontier.size,
        root: frontier.root(),
        signed_at: now,
    })
}

/// A hash read back from the database.
pub(crate) fn stored_hash(s: &str) -> Result<Hash> {
    s.parse().map_err(|e| Error::Internal(format!("a stored chain or log hash is damaged: {e}")))
}

/// Gather what the checks read: the tables' raw bytes, plus the notices and problems that
/// lead from a notice to its findings.
pub async fn holdings(repo: &dyn crate::repo::Repo) -> Result<verify::Holdings> {
    use crate::console::kind;
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
    repo: &dyn crate::repo::Repo,
    blobs: &dyn crate::blobs::BlobStore,
    office_key: &ed25519_dalek::VerifyingKey,
    scope: &verify::Scope,
) -> Result<verify::Report> {
    let h = holdings(repo).await?;
    let scope = verify::resolve(&h, scope).map_err(|e| Error::BadRequest(e.to_string()))?;
    let mut hashed = verify::BlobDigests::new();
    for sha in verify::blobs_to_hash(&h, &scope) {
        // Hashed as it is read: a 2 GiB video is checked without being held in memory.
        let held = match Sha256Hex::parse(&sha) {
            Ok(s) => blobs.digest(&s).await?,
            Err(_) => None,
        };
        hashed.insert(sha, held);
    }
    Ok(verify::verify(&h, &hashed, office_key, &scope))
}
