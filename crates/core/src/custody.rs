//! Chain of custody (证据保管链): what lets the office show, long after the fact, that a photo
//! in a notice is the one an inspector took, unchanged, and that the office held it on a date.
//!
//! Three links, each a pure function here; the callers hold the keys and the storage:
//!
//! 1. **The device's hash chain.** Every change a device records (a capture, an edit, a
//!    tombstone) is linked to the one before it: `link(prev, change)` hashes the previous link
//!    and the change's canonical bytes. The store writes the link in the same transaction as
//!    the change. Altering, dropping or reordering any change breaks every link after it.
//! 2. **Signed batches.** A manifest names the chain state it continues from and the state it
//!    reaches ([`crate::sync::Manifest::chain_before`], `chain_head`), and the device signs it.
//!    The office accepts a batch only if it continues from the last state it accepted: a gap,
//!    a fork or a replay is refused with a reason.
//! 3. **The office's log.** Each accepted batch becomes one leaf of an append-only Merkle tree
//!    in the way of RFC 6962 (certificate transparency): [`LogEntry`] is the leaf, the receipt
//!    carries the leaf's index, the tree's size and root and the inclusion proof, and the
//!    office signs a [`TreeHead`] for each day, so it can prove what it held on a date and that
//!    it never rewrote what it held before.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::change::ChangeRecord;
use crate::hex;
use crate::id::DeviceId;

/// A SHA-256 value in the chain or the log, written as 64 lower-case hex characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The state of a chain before its first change: 32 zero bytes.
    pub const GENESIS: Hash = Hash([0; 32]);

    pub fn to_hex(&self) -> String {
        hex::encode(&self.0)
    }

    /// The first 12 hex characters, for messages a person reads.
    pub fn short(&self) -> String {
        self.to_hex()[..12].to_owned()
    }

    fn of(parts: &[&[u8]]) -> Hash {
        let mut h = Sha256::new();
        for p in parts {
            h.update(p);
        }
        Hash(h.finalize().into())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Text that is not 64 hex characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a SHA-256 value (64 hex characters)")]
pub struct BadHash(pub String);

impl FromStr for Hash {
    type Err = BadHash;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 64 || s.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(BadHash(s.chars().take(80).collect()));
        }
        hex::decode_array::<32>(s).map(Hash).ok_or_else(|| BadHash(s.chars().take(80).collect()))
    }
}

impl Serialize for Hash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The canonical bytes of a change: what its chain link covers. `serde_json` writes struct
/// fields in declaration order and object keys sorted, so a change read back from any store
/// gives the same bytes.
pub fn change_bytes(change: &ChangeRecord) -> Vec<u8> {
    serde_json::to_vec(change).unwrap_or_default()
}

/// The chain state after `change`, from the state before it.
pub fn link(prev: &Hash, change: &ChangeRecord) -> Hash {
    Hash::of(&[b"mingcha-chain-v1\n", &prev.0, &change_bytes(change)])
}

/// The chain state after every change of `changes`, in order, from `start`.
pub fn fold<'a>(start: Hash, changes: impl IntoIterator<Item = &'a ChangeRecord>) -> Hash {
    changes.into_iter().fold(start, |prev, c| link(&prev, c))
}

/// One accepted batch, as the office's log records it: which device, which range of its
/// chain, and the manifest's digest. Its canonical bytes are a leaf of the Merkle log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    pub device_id: DeviceId,
    pub batch_id: Uuid,
    pub after_seq: u64,
    pub last_seq: u64,
    pub chain_before: Hash,
    pub chain_head: Hash,
    /// SHA-256 (hex) of the manifest's canonical bytes, as the device signed them.
    pub manifest_sha256: String,
    pub committed_at: DateTime<Utc>,
}

impl LogEntry {
    pub fn canonical_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The leaf hash of this entry in the log (RFC 6962: a 0x00 prefix).
    pub fn leaf_hash(&self) -> Hash {
        leaf_hash(&[b"mingcha-log-entry-v1\n".as_slice(), &self.canonical_bytes()].concat())
    }
}

/// Where a batch sits in the office's log, as its receipt states it (and the office signs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPosition {
    /// The leaf's index, from 0.
    pub index: u64,
    /// The size of the tree just after the leaf was appended (`index + 1`).
    pub tree_size: u64,
    pub root: Hash,
    /// The inclusion proof of the leaf in that tree, bottom up.
    pub proof: Vec<Hash>,
}

impl LogPosition {
    /// Whether `entry` is the leaf this position proves, in the tree it names.
    pub fn proves(&self, entry: &LogEntry) -> bool {
        verify_inclusion(&entry.leaf_hash(), self.index, self.tree_size, &self.proof, &self.root)
    }
}

/// The state of the office's log at the end of a day (in the office's time zone): its size
/// and root, signed by the office. Heads only ever grow, and each contains the one before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeHead {
    pub day: NaiveDate,
    pub tree_size: u64,
    pub root: Hash,
    pub signed_at: DateTime<Utc>,
}

impl TreeHead {
    pub fn signing_message(&self) -> Vec<u8> {
        [b"mingcha-tree-head-v1\n".as_slice(), &serde_json::to_vec(self).unwrap_or_default()].concat()
    }
}

/// A tree head with the office's ed25519 signature (hex) over [`TreeHead::signing_message`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedTreeHead {
    pub head: TreeHead,
    pub signature: String,
}

/// RFC 6962's leaf hash: SHA-256 of 0x00 and the data.
pub fn leaf_hash(data: &[u8]) -> Hash {
    Hash::of(&[&[0x00], data])
}

/// RFC 6962's interior node: SHA-256 of 0x01, the left and the right child.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Hash::of(&[&[0x01], &left.0, &right.0])
}

/// The largest power of two smaller than `n` (for `n > 1`): where RFC 6962 splits a tree.
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// The root of the tree over `leaves` (leaf hashes). The empty tree's root is SHA-256 of
/// nothing, as RFC 6962 defines it.
pub fn root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Hash::of(&[]),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&root(&leaves[..k]), &root(&leaves[k..]))
        }
    }
}

/// The inclusion proof of leaf `index` in the tree over `leaves`, bottom up; `None` when the
/// index is outside the tree.
pub fn inclusion_proof(index: usize, leaves: &[Hash]) -> Option<Vec<Hash>> {
    fn path(m: usize, leaves: &[Hash], out: &mut Vec<Hash>) {
        let n = leaves.len();
        if n <= 1 {
            return;
        }
        let k = split(n);
        if m < k {
            path(m, &leaves[..k], out);
            out.push(root(&leaves[k..]));
        } else {
            path(m - k, &leaves[k..], out);
            out.push(root(&leaves[..k]));
        }
    }
    if index >= leaves.len() {
        return None;
    }
    let mut out = Vec::new();
    path(index, leaves, &mut out);
    Some(out)
}

/// Whether `proof` shows `leaf` at `index` in a tree of `size` leaves with `root` (the
/// verification of RFC 9162, section 2.1.3.2).
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    s_n == 0 && r == *root
}

/// The consistency proof between the first `old_size` leaves and all of `leaves` (RFC 6962,
/// section 2.1.2): what shows that a later head still contains an earlier one unchanged.
/// `None` unless `0 < old_size <= leaves.len()`.
pub fn consistency_proof(old_size: usize, leaves: &[Hash]) -> Option<Vec<Hash>> {
    fn sub(m: usize, leaves: &[Hash], complete: bool, out: &mut Vec<Hash>) {
        let n = leaves.len();
        if m == n {
            if !complete {
                out.push(root(leaves));
            }
            return;
        }
        let k = split(n);
        if m <= k {
            sub(m, &leaves[..k], complete, out);
            out.push(root(&leaves[k..]));
        } else {
            sub(m - k, &leaves[k..], false, out);
            out.push(root(&leaves[..k]));
        }
    }
    if old_size == 0 || old_size > leaves.len() {
        return None;
    }
    let mut out = Vec::new();
    sub(old_size, leaves, true, &mut out);
    Some(out)
}

/// Whether `proof` shows that the tree of `old_size` with `old_root` is the first part of the
/// tree of `new_size` with `new_root` (RFC 9162, section 2.1.4.2).
pub fn verify_consistency(old_size: u64, new_size: u64, old_root: &Hash, new_root: &Hash, proof: &[Hash]) -> bool {
    if old_size == 0 || old_size > new_size {
        return false;
    }
    if old_size == new_size {
        return proof.is_empty() && old_root == new_root;
    }
    let mut path: Vec<Hash> = proof.to_vec();
    if old_size.is_power_of_two() {
        path.insert(0, *old_root);
    }
    let Some((first, rest)) = path.split_first() else { return false };
    let (mut f_n, mut s_n) = (old_size - 1, new_size - 1);
    while f_n & 1 == 1 {
        f_n >>= 1;
        s_n >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    s_n == 0 && fr == *old_root && sr == *new_root
}

/// The roots of the perfect subtrees that make up a tree of `leaves` (its right border), left
/// to right: enough to append a leaf, find the new root, and prove the new leaf, without
/// reading the whole log.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Frontier {
    pub size: u64,
    /// One root per set bit of `size`, the largest subtree first.
    pub nodes: Vec<Hash>,
}

impl Frontier {
    /// The frontier of a whole list of leaves.
    pub fn of(leaves: &[Hash]) -> Frontier {
        let mut f = Frontier::default();
        for l in leaves {
            f.push(*l);
        }
        f
    }

    /// Append one leaf: merge equal-sized subtrees, as a binary counter carries.
    pub fn push(&mut self, leaf: Hash) {
        let mut node = leaf;
        let mut size = self.size;
        while size & 1 == 1 {
            let left = self.nodes.pop().unwrap_or_default();
            node = node_hash(&left, &node);
            size >>= 1;
        }
        self.nodes.push(node);
        self.size += 1;
    }

    /// The root of the tree: the subtrees folded from the right.
    pub fn root(&self) -> Hash {
        let mut it = self.nodes.iter().rev();
        let Some(last) = it.next() else { return root(&[]) };
        it.fold(*last, |acc, left| node_hash(left, &acc))
    }

    /// Append `leaf` and give its position: index, new size, new root, and its inclusion proof
    /// (the frontier before the append, bottom up).
    pub fn append(&mut self, leaf: Hash) -> LogPosition {
        let proof: Vec<Hash> = self.nodes.iter().rev().copied().collect();
        let index = self.size;
        self.push(leaf);
        LogPosition { index, tree_size: self.size, root: self.root(), proof }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::change::{ChangeOp, EntityKind};
    use crate::id::ChangeId;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(format!("leaf {i}").as_bytes())).collect()
    }

    #[test]
    fn inclusion_proofs_verify_for_every_leaf_of_every_size_and_fail_when_altered() {
        for n in 1..=33 {
            let l = leaves(n);
            let r = root(&l);
            for i in 0..n {
                let proof = inclusion_proof(i, &l).unwrap();
                assert!(verify_inclusion(&l[i], i as u64, n as u64, &proof, &r), "leaf {i} of {n}");
                let other = leaf_hash(b"another leaf");
                assert!(!verify_inclusion(&other, i as u64, n as u64, &proof, &r));
                if n > 1 {
                    assert!(!verify_inclusion(&l[i], ((i + 1) % n) as u64, n as u64, &proof, &r), "wrong index");
                    let mut bent = proof.clone();
                    bent[0].0[0] ^= 1;
                    assert!(!verify_inclusion(&l[i], i as u64, n as u64, &bent, &r), "altered proof");
                }
            }
            assert!(inclusion_proof(n, &l).is_none());
        }
    }

    #[test]
    fn the_frontier_gives_the_same_root_and_proof_as_the_whole_tree() {
        let l = leaves(40);
        let mut f = Frontier::default();
        for (i, leaf) in l.iter().enumerate() {
            let pos = f.append(*leaf);
            assert_eq!(pos.index, i as u64);
            assert_eq!(pos.root, root(&l[..=i]), "root after {} leaves", i + 1);
            assert_eq!(Some(pos.proof.clone()), inclusion_proof(i, &l[..=i]), "proof of leaf {i}");
            assert!(verify_inclusion(leaf, pos.index, pos.tree_size, &pos.proof, &pos.root));
        }
        assert_eq!(Frontier::of(&l), f);
    }

    #[test]
    fn consistency_proofs_show_an_old_head_inside_a_new_one_and_catch_a_rewrite() {
        for n in 1..=20 {
            let l = leaves(n);
            for m in 1..=n {
                let proof = consistency_proof(m, &l).unwrap();
                assert!(verify_consistency(m as u64, n as u64, &root(&l[..m]), &root(&l), &proof), "{m} in {n}");
                let mut rewritten = l.clone();
                rewritten[m - 1] = leaf_hash(b"rewritten");
                assert!(
                    !verify_consistency(m as u64, n as u64, &root(&l[..m]), &root(&rewritten), &proof),
                    "a rewritten leaf {m} in {n} must not pass"
                );
            }
        }
    }

    #[test]
    fn a_chain_link_covers_every_field_of_the_change() {
        let at = "2026-11-22T01:20:00Z".parse().unwrap();
        let change = ChangeRecord {
            id: ChangeId::from_uuid(Uuid::nil()),
            seq: 1,
            device_id: DeviceId::from_uuid(Uuid::nil()),
            entity: EntityKind::Finding,
            entity_id: "f1".into(),
            op: ChangeOp::Create,
            payload: serde_json::json!({"description": "3号窗口脱岗"}),
            at,
        };
        let h = link(&Hash::GENESIS, &change);
        let mut other = change.clone();
        other.payload = serde_json::json!({"description": "3号窗口在岗"});
        assert_ne!(link(&Hash::GENESIS, &other), h);
        let mut other = change.clone();
        other.seq = 2;
        assert_ne!(link(&Hash::GENESIS, &other), h);
        assert_ne!(link(&h, &change), h, "the previous link is covered");
        assert_eq!(fold(Hash::GENESIS, [&change, &change]), link(&h, &change));
        assert_eq!(h.to_hex().parse::<Hash>(), Ok(h));
        assert!("00".parse::<Hash>().is_err());
    }
}
