//! The checks of the custody log: each entry recomputes from its batch, each receipt's proof
//! puts its batch in the log, each day's signed head holds the log's root and stays
//! consistent with the day before, and each entry is covered by the head of its day.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use ed25519_dalek::VerifyingKey;
use mingcha_core::custody::{self, Frontier, Hash, LogEntry, SignedTreeHead};

use super::batches::Batch;
use super::{Checks, Holdings, Subject, canonical, office_day, short, verifies};

/// Every check of the log and the heads.
pub(super) fn log(h: &Holdings, batches: &HashMap<&str, Batch>, office_key: &VerifyingKey, c: &mut Checks) {
    // The log: each entry recomputes from its batch, and leaves fold into the stored frontier.
    let mut frontier = Frontier::default();
    let mut roots: Vec<Hash> = Vec::with_capacity(h.log.len());
    let mut leaves: Vec<Hash> = Vec::with_capacity(h.log.len());
    let mut entry_of: HashMap<&str, (u64, Option<LogEntry>)> = HashMap::new();
    for (i, row) in h.log.iter().enumerate() {
        let about = vec![Subject::Log, Subject::Batch(row.batch_id.clone())];
        let name = format!("log entry {} (batch {})", row.idx, short(&row.batch_id));
        let entry = canonical::<LogEntry>(&row.entry);
        let leaf = match &entry {
            Ok(e) => e.leaf_hash(),
            Err(_) => row.leaf_hash.parse().unwrap_or_default(),
        };
        let expected = batches
            .get(row.batch_id.as_str())
            .and_then(|b| Some((b.manifest.as_ref()?, b.receipt.as_ref()?)))
            .map(|(m, r)| m.log_entry(&r.receipt.manifest_sha256, r.receipt.committed_at));
        let (ok, msg) = match (&entry, &expected) {
            (Err(why), _) => (false, format!("{name}: the stored entry {why}")),
            (Ok(_), _) if i64::try_from(i).ok() != Some(row.idx) => {
                (false, format!("{name}: the log skips or repeats an index"))
            }
            (Ok(e), _) if e.leaf_hash().to_hex() != row.leaf_hash => {
                (false, format!("{name}: its stored leaf hash is not the entry's"))
            }
            (Ok(_), None) => (false, format!("{name}: its batch cannot be read to recompute the entry")),
            (Ok(e), Some(x)) if e != x => {
                (false, format!("{name}: the entry differs from what its batch and receipt say"))
            }
            (Ok(_), Some(_)) => (true, format!("{name}: the entry recomputes from its batch and receipt")),
        };
        c.push(ok, "log", about, msg);
        frontier.push(leaf);
        leaves.push(leaf);
        roots.push(frontier.root());
        let stored_frontier = canonical::<Frontier>(&row.frontier);
        if stored_frontier.as_ref().ok() != Some(&frontier) {
            c.push(
                false,
                "log",
                vec![Subject::Log],
                format!("{name}: the stored frontier is not the log's right border after it"),
            );
        }
        entry_of.insert(row.batch_id.as_str(), (row.idx.max(0).unsigned_abs(), entry.ok()));
    }
    let root_at = |size: u64| -> Option<Hash> {
        if size == 0 { Some(custody::root(&[])) } else { roots.get(usize::try_from(size - 1).ok()?).copied() }
    };

    // Each committed batch is in the log where its receipt says, proven by the receipt's proof.
    for b in &h.batches {
        let about = vec![Subject::Batch(b.id.clone()), Subject::Log];
        let name = format!("batch {}", short(&b.id));
        let Some(parsed) = batches.get(b.id.as_str()) else { continue };
        let Some(r) = &parsed.receipt else { continue };
        let pos = &r.receipt.log;
        let (ok, msg) = match entry_of.get(b.id.as_str()) {
            None => (false, format!("{name}: is not in the office's log")),
            Some((idx, _)) if *idx != pos.index || pos.tree_size != pos.index + 1 => {
                (false, format!("{name}: the receipt's log position {} is not its entry {idx}", pos.index))
            }
            Some((_, entry)) => {
                let leaf = leaves.get(usize::try_from(pos.index).unwrap_or(usize::MAX)).copied();
                let proven = leaf
                    .is_some_and(|l| custody::verify_inclusion(&l, pos.index, pos.tree_size, &pos.proof, &pos.root))
                    && entry.as_ref().is_some_and(|e| pos.proves(e));
                if !proven {
                    (false, format!("{name}: the receipt's inclusion proof does NOT prove its log entry"))
                } else if root_at(pos.tree_size) != Some(pos.root) {
                    (false, format!("{name}: the root in its receipt is not the log's root at size {}", pos.tree_size))
                } else {
                    (true, format!("{name}: the receipt's proof puts its entry at index {} of the log", pos.index))
                }
            }
        };
        c.push(ok, "log", about, msg);
    }

    // The signed heads: signature, the log's root at their size, consistency with the day before.
    let n = leaves.len() as u64;
    let mut prev: Option<SignedTreeHead> = None;
    let mut heads: BTreeMap<NaiveDate, u64> = BTreeMap::new();
    for row in &h.heads {
        let about = vec![Subject::Log];
        let name = format!("signed head of {}", row.day);
        let head = match canonical::<SignedTreeHead>(&row.head) {
            Ok(s) => s,
            Err(why) => {
                c.push(false, "head", about, format!("{name}: the stored head {why}"));
                continue;
            }
        };
        let t = &head.head;
        let signed = verifies(office_key, &t.signing_message(), &head.signature);
        let (ok, msg) = if !signed {
            (false, format!("{name}: its signature does NOT verify with the office's key"))
        } else if t.day.to_string() != row.day || i64::try_from(t.tree_size).ok() != Some(row.tree_size) {
            (false, format!("{name}: the stored row and the signed head disagree on the day or size"))
        } else if t.tree_size > n {
            (false, format!("{name}: it names {} entries; the log holds only {n}", t.tree_size))
        } else if root_at(t.tree_size) != Some(t.root) {
            (false, format!("{name}: its root is NOT the log's root at size {}", t.tree_size))
        } else {
            (
                true,
                format!(
                    "{name}: signed by the office; the log's first {} entries have its root {}",
                    t.tree_size,
                    t.root.short()
                ),
            )
        };
        c.push(ok, "head", about.clone(), msg);
        if ok {
            heads.insert(t.day, t.tree_size);
        }
        if let Some(p) = &prev
            && ok
        {
            let old = usize::try_from(p.head.tree_size).unwrap_or(usize::MAX);
            let new = usize::try_from(t.tree_size).unwrap_or(usize::MAX);
            let consistent = new <= leaves.len()
                && (old == 0
                    || custody::consistency_proof(old, &leaves[..new]).is_some_and(|proof| {
                        custody::verify_consistency(old as u64, new as u64, &p.head.root, &t.root, &proof)
                    }));
            c.push(
                consistent,
                "head",
                about,
                if consistent {
                    format!("{name}: contains the head of {} unchanged (consistency proof)", p.head.day)
                } else {
                    format!("{name}: is NOT consistent with the head of {}", p.head.day)
                },
            );
        }
        if ok {
            prev = Some(head);
        }
    }
    // Each entry is covered by the head of the day it was committed.
    for (batch, (idx, entry)) in &entry_of {
        let Some(e) = entry else { continue };
        let day = office_day(e.committed_at);
        let about = vec![Subject::Log, Subject::Batch((*batch).to_owned())];
        let ok = heads.get(&day).is_some_and(|size| *size > *idx);
        c.push(
            ok,
            "head",
            about,
            if ok {
                format!("log entry {idx}: in the office's signed head of {day}")
            } else {
                format!("log entry {idx}: NOT covered by a valid signed head of {day}")
            },
        );
    }
}
