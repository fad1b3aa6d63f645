//! The office's side of the chain of custody (证据保管链, see `mingcha_core::custody`): the rule
//! a batch must meet to continue a device's chain, and the day's signed head. Both stores
//! (`sqlite`, `postgres`) gather what they hold and call [`check_continuation`] inside the
//! transaction that stores or commits the batch, so both backends refuse exactly the same
//! batches.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use mingcha_core::custody::{self, Frontier, Hash, SignedTreeHead, TreeHead};
use mingcha_core::sync::Manifest;
use mingcha_office::custody::office_day;

use crate::error::{RepoError, Result};
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
        return Err(RepoError::SequenceGap { after_seq: m.after_seq, acked_seq: acked });
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
        return Err(RepoError::ChainFork { seq: m.after_seq, expected, offered: m.chain_before });
    }
    let mut link = m.chain_before;
    for c in m.changes.iter().take_while(|c| c.seq <= acked) {
        link = custody::link(&link, c);
        if let Some(Some(stored)) = held.links.get(&c.seq)
            && *stored != link
        {
            return Err(RepoError::ChainFork { seq: c.seq, expected: *stored, offered: link });
        }
    }
    if m.after_seq < acked && m.last_seq() <= acked {
        return Err(RepoError::ChainReplay { acked_seq: acked, chain_head: held.head });
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
pub fn stored_hash(s: &str) -> Result<Hash> {
    s.parse().map_err(|e| RepoError::Internal(format!("a stored chain or log hash is damaged: {e}")))
}
