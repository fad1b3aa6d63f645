//! End-to-end verification of what the office holds: blob bytes ↔ their name ↔ the evidence
//! records naming them ↔ each change row ↔ the change its device signed in a batch, linked
//! into the device's chain ↔ the stored manifest, its digest and the device's signature ↔ the
//! receipt the office signed ↔ the log entry, its inclusion in the log ↔ the signed head of
//! its day, and consecutive heads consistent with each other.
//!
//! It reads the raw bytes the store holds ([`Holdings`]), so anything damaged (not UTF-8, not
//! JSON, not the canonical form that was signed) is reported as a failed check, never a panic.
//! Every check names what it is about; [`Scope`] picks the checks of one photo, finding,
//! batch or notice, and the whole-log checks always come along, since a rewritten log
//! endangers every entry.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use ed25519_dalek::VerifyingKey;
use mingcha_core::change::{ChangeOp, ChangeRecord, EntityKind};
use mingcha_core::custody::{self, Frontier, Hash, LogEntry, SignedTreeHead};
use mingcha_core::evidence::Sha256Hex;
use mingcha_core::sync::{Manifest, SignedReceipt};
use serde::Serialize;

use super::office_day;
use crate::blobs::BlobStore;
use crate::error::Result;
use crate::key::{parse_public_key, sha256_hex};

/// One device as stored.
#[derive(Debug, Clone)]
pub struct HeldDevice {
    pub id: String,
    pub public_key: String,
    pub chain_head: Option<String>,
    pub acked_seq: i64,
}

/// One committed batch as stored: its manifest and receipt exactly as the columns hold them.
#[derive(Debug, Clone)]
pub struct HeldBatch {
    pub id: String,
    pub device_id: String,
    pub manifest: Vec<u8>,
    pub signature: String,
    pub manifest_sha256: String,
    pub receipt: Option<Vec<u8>>,
}

/// One change row as stored.
#[derive(Debug, Clone)]
pub struct HeldChange {
    pub id: String,
    pub device_id: String,
    pub seq: i64,
    pub entity: String,
    pub entity_id: String,
    pub op: String,
    pub payload: Vec<u8>,
    /// RFC 3339.
    pub changed_at: String,
    pub batch_id: String,
    pub chain: Option<String>,
}

/// One row of the custody log as stored.
#[derive(Debug, Clone)]
pub struct HeldLogRow {
    pub idx: i64,
    pub batch_id: String,
    pub entry: Vec<u8>,
    pub leaf_hash: String,
    pub frontier: Vec<u8>,
}

/// One day's signed head as stored.
#[derive(Debug, Clone)]
pub struct HeldHead {
    pub day: String,
    pub tree_size: i64,
    pub head: Vec<u8>,
}

/// Everything the checks read from the tables, raw.
#[derive(Debug, Clone, Default)]
pub struct Holdings {
    pub devices: Vec<HeldDevice>,
    /// Committed batches only (an open batch promises nothing yet).
    pub batches: Vec<HeldBatch>,
    /// In (device, seq) order.
    pub changes: Vec<HeldChange>,
    /// In index order.
    pub log: Vec<HeldLogRow>,
    /// In day order.
    pub heads: Vec<HeldHead>,
    /// (sha256, size) of every blob the office records.
    pub blobs: Vec<(String, i64)>,
    /// True when the database re-encodes JSON (PostgreSQL's JSONB): payloads are then compared
    /// as values; otherwise byte for byte with what the device signed.
    pub payload_normalized: bool,
    /// (notice id, number, problem ids) of every issued notice, and problem id → finding id.
    pub notices: Vec<(String, String, Vec<String>)>,
    pub problems: HashMap<String, String>,
}

/// What a check is about, for choosing the checks of a scope.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Subject {
    Blob(String),
    Change(String),
    Batch(String),
    Device(String),
    /// The log and the daily heads as a whole.
    Log,
}

/// One check and its outcome, in words a person reads.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub ok: bool,
    /// `blob`, `record`, `change`, `chain`, `manifest`, `signature`, `receipt`, `log`, `head`.
    pub kind: &'static str,
    pub message: String,
    #[serde(skip)]
    pub about: Vec<Subject>,
}

/// The outcome of a verification.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// What was verified, in words.
    pub scope: String,
    pub holds: bool,
    pub checks: Vec<Check>,
}

impl Report {
    /// One line per check (✓ or ✗). With `summarise`, passing checks of a kind become one
    /// line with their count, and every failure still has its own line.
    pub fn lines(&self, summarise: bool) -> Vec<String> {
        let mut out = vec![format!("verifying {}", self.scope)];
        if summarise {
            let mut passed: BTreeMap<&str, usize> = BTreeMap::new();
            for c in self.checks.iter().filter(|c| c.ok) {
                *passed.entry(c.kind).or_default() += 1;
            }
            for (kind, n) in passed {
                out.push(format!("✓ {n} {kind} check(s) hold"));
            }
        } else {
            out.extend(self.checks.iter().filter(|c| c.ok).map(|c| format!("✓ {}", c.message)));
        }
        out.extend(self.checks.iter().filter(|c| !c.ok).map(|c| format!("✗ {}", c.message)));
        let failed = self.checks.iter().filter(|c| !c.ok).count();
        if self.checks.is_empty() {
            return out;
        }
        out.push(if failed == 0 {
            format!("all {} checks hold", self.checks.len())
        } else {
            format!("{failed} of {} checks do NOT hold", self.checks.len())
        });
        out
    }

    /// The failed checks.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| !c.ok)
    }
}

/// What to verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Everything,
    Photo(String),
    Finding(String),
    Batch(String),
    /// A notice by number (e.g. 督查通报〔2026〕3号) or id.
    Notice(String),
}

impl Scope {
    fn describe(&self) -> String {
        match self {
            Self::Everything => "everything the office holds".into(),
            Self::Photo(s) => format!("photo {s}"),
            Self::Finding(f) => format!("finding {f}"),
            Self::Batch(b) => format!("batch {b}"),
            Self::Notice(n) => format!("notice {n}"),
        }
    }
}

/// A signature verifies, and is written exactly as the office or device wrote it (lower-case
/// hex): an upper-cased digit decodes to the same bytes but is still an altered record.
fn verifies(key: &VerifyingKey, message: &[u8], signature: &str) -> bool {
    mingcha_core::hex::decode(signature).is_some_and(|b| mingcha_core::hex::encode(&b) == signature)
        && crate::key::verifies(key, message, signature)
}

/// Ids in messages: a UUID whole (the first characters of a UUIDv7 are only its time), a
/// digest by its first 12 characters.
fn short(s: &str) -> String {
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) { s[..12].to_owned() + "…" } else { s.to_owned() }
}

struct Checks(Vec<Check>);

impl Checks {
    fn push(&mut self, ok: bool, kind: &'static str, about: Vec<Subject>, message: String) {
        self.0.push(Check { ok, kind, message, about });
    }
}

/// Parse stored bytes as the JSON of `T`, refusing anything not in canonical form (the bytes
/// `serde_json` writes for the value): a bit flip that still parses is a change too.
fn canonical<T: serde::de::DeserializeOwned + Serialize>(bytes: &[u8]) -> std::result::Result<T, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("is not valid UTF-8 ({e})"))?;
    let value: T = serde_json::from_str(text).map_err(|e| format!("is not valid JSON of its kind ({e})"))?;
    match serde_json::to_vec(&value) {
        Ok(again) if again == bytes => Ok(value),
        _ => Err("is not in the canonical form it was written in (it was altered)".into()),
    }
}

/// A description of a change for messages: "change 7 of device 0192… (finding f1 update)".
fn change_name(device: &str, seq: i64, entity: &str, entity_id: &str, op: &str) -> String {
    format!("change {seq} of device {} ({entity} {} {op})", short(device), short(entity_id))
}

fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

fn change_of(row: &HeldChange) -> std::result::Result<ChangeRecord, String> {
    let payload: serde_json::Value = std::str::from_utf8(&row.payload)
        .map_err(|_| "its payload is not valid UTF-8".to_owned())
        .and_then(|t| serde_json::from_str(t).map_err(|_| "its payload is not valid JSON".to_owned()))?;
    Ok(ChangeRecord {
        id: row.id.parse().map_err(|_| format!("its id `{}` is damaged", row.id))?,
        seq: u64::try_from(row.seq).map_err(|_| "its seq is negative".to_owned())?,
        device_id: row.device_id.parse().map_err(|_| "its device id is damaged".to_owned())?,
        entity: row.entity.parse().map_err(|_| format!("its entity `{}` is damaged", row.entity))?,
        entity_id: row.entity_id.clone(),
        op: row.op.parse().map_err(|_| format!("its op `{}` is damaged", row.op))?,
        payload,
        at: DateTime::parse_from_rfc3339(&row.changed_at)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| "its time is damaged".to_owned())?,
    })
}

/// A parsed batch, or why it could not be read.
struct Batch {
    manifest: Option<Manifest>,
    receipt: Option<SignedReceipt>,
}

/// Verify `scope` against what the office holds. `office_key` is the office's public key.
pub async fn verify(h: &Holdings, blobs: &dyn BlobStore, office_key: &VerifyingKey, scope: &Scope) -> Result<Report> {
    let mut c = Checks(Vec::new());
    let devices: HashMap<&str, &HeldDevice> = h.devices.iter().map(|d| (d.id.as_str(), d)).collect();

    // Batches: the manifest as signed, the receipt as signed.
    let mut batches: HashMap<&str, Batch> = HashMap::new();
    for b in &h.batches {
        let about = vec![Subject::Batch(b.id.clone())];
        let name = format!("batch {} of device {}", short(&b.id), short(&b.device_id));
        let digest_ok = sha256_hex(&b.manifest) == b.manifest_sha256;
        let manifest = canonical::<Manifest>(&b.manifest);
        match (&manifest, digest_ok) {
            (Ok(_), true) => {
                c.push(true, "manifest", about.clone(), format!("{name}: the stored manifest hashes to its digest"))
            }
            (Err(why), _) => c.push(false, "manifest", about.clone(), format!("{name}: the stored manifest {why}")),
            (Ok(_), false) => c.push(
                false,
                "manifest",
                about.clone(),
                format!(
                    "{name}: the stored manifest does not hash to its digest {} (it was altered)",
                    short(&b.manifest_sha256)
                ),
            ),
        }
        let manifest = manifest.ok().filter(|_| digest_ok);
        if let Some(m) = &manifest {
            let key = devices.get(b.device_id.as_str()).and_then(|d| parse_public_key(&d.public_key));
            let signed = key.is_some_and(|k| verifies(&k, &m.signing_message(), &b.signature));
            c.push(
                signed,
                "signature",
                about.clone(),
                if signed {
                    format!("{name}: the manifest's signature verifies with the device's key")
                } else {
                    format!("{name}: the manifest's signature does NOT verify with the device's key")
                },
            );
            let chain_ok =
                m.check().is_ok() && m.device_id.to_string() == b.device_id && m.batch_id.to_string() == b.id;
            c.push(
                chain_ok,
                "chain",
                about.clone(),
                if chain_ok {
                    format!(
                        "{name}: changes {}–{} link from {} to {}",
                        m.after_seq + 1,
                        m.last_seq(),
                        m.chain_before.short(),
                        m.chain_head.short()
                    )
                } else {
                    format!("{name}: the manifest's changes do not link from its chain_before to its chain_head")
                },
            );
        }
        let receipt = match b.receipt.as_deref().map(canonical::<SignedReceipt>) {
            None => {
                c.push(false, "receipt", about.clone(), format!("{name}: committed, but no receipt is stored"));
                None
            }
            Some(Err(why)) => {
                c.push(false, "receipt", about.clone(), format!("{name}: the stored receipt {why}"));
                None
            }
            Some(Ok(r)) => {
                let signed = verifies(office_key, &r.receipt.signing_message(), &r.signature);
                let names = r.receipt.manifest_sha256 == b.manifest_sha256 && r.receipt.batch_id.to_string() == b.id;
                let head = manifest.as_ref().is_none_or(|m| m.chain_head == r.receipt.chain_head);
                let (ok, msg) = match (signed, names, head) {
                    (true, true, true) => {
                        (true, "the receipt is signed by the office and names this manifest and chain head".to_owned())
                    }
                    (false, _, _) => {
                        (false, "the stored receipt's signature does NOT verify with the office's key".to_owned())
                    }
                    (_, false, _) => (false, "the stored receipt names another manifest".to_owned()),
                    (_, _, false) => (false, "the stored receipt's chain head is not the manifest's".to_owned()),
                };
                c.push(ok, "receipt", about.clone(), format!("{name}: {msg}"));
                Some(r)
            }
        };
        batches.insert(b.id.as_str(), Batch { manifest, receipt });
    }

    // Changes: each row is the change its device signed, and links into the device's chain.
    let mut last_link: HashMap<&str, (i64, Option<Hash>)> = HashMap::new();
    for row in &h.changes {
        let name = change_name(&row.device_id, row.seq, &row.entity, &row.entity_id, &row.op);
        let about = vec![Subject::Change(row.id.clone()), Subject::Batch(row.batch_id.clone())];
        let parsed = change_of(row);
        let signed = batches
            .get(row.batch_id.as_str())
            .and_then(|b| b.manifest.as_ref())
            .and_then(|m| m.changes.iter().find(|ch| ch.id.to_string() == row.id));
        match (&parsed, signed) {
            (Err(why), _) => c.push(false, "change", about.clone(), format!("{name}: {why}")),
            (Ok(_), None) => c.push(
                false,
                "change",
                about.clone(),
                format!("{name}: its batch {}'s manifest cannot be read or does not carry it", short(&row.batch_id)),
            ),
            (Ok(mine), Some(theirs)) => {
                let same_bytes = h.payload_normalized
                    || serde_json::to_vec(&theirs.payload).ok().as_deref() == Some(&row.payload[..]);
                // Both stores keep times to the microsecond.
                let mut theirs = theirs.clone();
                theirs.at = micros(theirs.at);
                let ok = *mine == theirs && same_bytes;
                c.push(
                    ok,
                    "change",
                    about.clone(),
                    if ok {
                        format!("{name} equals the change its device signed in batch {}", short(&row.batch_id))
                    } else {
                        format!("{name} differs from the manifest its device signed (batch {})", short(&row.batch_id))
                    },
                );
            }
        }
        // The link: from the previous change's stored link (genesis before seq 1).
        let stored = row.chain.as_deref().map(str::parse::<Hash>);
        let prev = match last_link.get(row.device_id.as_str()) {
            Some((seq, link)) if *seq == row.seq - 1 => *link,
            _ if row.seq == 1 => Some(Hash::GENESIS),
            _ => None,
        };
        // The link covers the change as signed; the row was compared with it just above.
        match (stored.clone(), prev, signed.ok_or(())) {
            (None, _, _) => c.push(
                true,
                "chain",
                about.clone(),
                format!("{name}: stored before the chain of custody began (no link to check)"),
            ),
            (Some(Err(_)), _, _) => {
                c.push(false, "chain", about.clone(), format!("{name}: its stored chain link is damaged"))
            }
            (Some(Ok(link)), Some(prev), Ok(ch)) => {
                let ok = custody::link(&prev, ch) == link;
                c.push(
                    ok,
                    "chain",
                    about.clone(),
                    if ok {
                        format!("{name}: its chain link {} recomputes from the change before it", link.short())
                    } else {
                        format!("{name}: its chain link {} does NOT recompute from the change before it", link.short())
                    },
                );
            }
            (Some(Ok(_)), None, _) => c.push(
                true,
                "chain",
                about.clone(),
                format!("{name}: the change before it predates the chain; this one anchors it"),
            ),
            (Some(Ok(_)), _, Err(_)) => {
                c.push(false, "chain", about.clone(), format!("{name}: its chain link cannot be recomputed"))
            }
        }
        last_link.insert(row.device_id.as_str(), (row.seq, stored.and_then(|s| s.ok())));
    }
    for d in &h.devices {
        let about = vec![Subject::Device(d.id.clone())];
        let last = last_link.get(d.id.as_str());
        let held_to = last.map_or(0, |(s, _)| *s);
        let head = d.chain_head.as_deref().map(str::parse::<Hash>);
        let (ok, msg) = match (head, last) {
            (None, _) => (true, "enrolled before the chain of custody; not anchored yet".to_owned()),
            (Some(Err(_)), _) => (false, "its stored chain head is damaged".to_owned()),
            (Some(Ok(h)), None) => (h == Hash::GENESIS, format!("holds no changes; chain head {}", h.short())),
            (Some(Ok(h)), Some((_, link))) => (
                Some(h) == *link && held_to == d.acked_seq,
                format!("chain of {held_to} change(s) ends at {}, the head the office accepted", h.short()),
            ),
        };
        let msg = if ok { msg } else { format!("{msg} — it does NOT match its last stored change {held_to}") };
        c.push(ok, "chain", about, format!("device {}: {msg}", short(&d.id)));
    }

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

    // Blobs: bytes hash to their name, and evidence records name them.
    let mut named: HashMap<String, Vec<&HeldChange>> = HashMap::new();
    for row in &h.changes {
        if let Some(sha) = blob_named(row) {
            named.entry(sha).or_default().push(row);
        }
    }
    let held_blobs: BTreeSet<&str> = h.blobs.iter().map(|(s, _)| s.as_str()).collect();
    let wanted = wanted_subjects(h, scope);
    for (sha, size) in &h.blobs {
        let about = vec![Subject::Blob(sha.clone())];
        if let Some(w) = &wanted
            && !w.contains(&about[0])
        {
            continue;
        }
        let name = format!("blob {}", short(sha));
        // Hashed as it is read: a 2 GiB video is checked without being held in memory.
        let held = match Sha256Hex::parse(sha) {
            Ok(s) => blobs.digest(&s).await?,
            Err(_) => None,
        };
        let (ok, msg) = match held {
            None => (false, format!("{name}: the file is missing from the blob store")),
            Some((digest, _)) if digest != *sha => {
                (false, format!("{name}: its bytes do NOT hash to its name (the file was altered)"))
            }
            Some((_, len)) if i64::try_from(len).ok() != Some(*size) => {
                (false, format!("{name}: its size is not the recorded {size} bytes"))
            }
            Some(_) => (true, format!("{name}: its {size} bytes hash to its name")),
        };
        c.push(ok, "blob", about.clone(), msg);
        if let Some(rows) = named.get(sha) {
            let mut about = about;
            about.extend(rows.iter().map(|r| Subject::Change(r.id.clone())));
            let records: Vec<String> = rows.iter().map(|r| format!("{} {}", r.entity, short(&r.entity_id))).collect();
            c.push(true, "record", about, format!("{name}: named by {}", records.join(", ")));
        }
    }
    for (sha, rows) in &named {
        if !held_blobs.contains(sha.as_str()) {
            let about: Vec<Subject> = std::iter::once(Subject::Blob(sha.clone()))
                .chain(rows.iter().map(|r| Subject::Change(r.id.clone())))
                .collect();
            c.push(false, "record", about, format!("blob {}: named by an evidence record but not held", short(sha)));
        }
    }

    let checks = match &wanted {
        None => c.0,
        Some(w) => c.0.into_iter().filter(|ch| ch.about.iter().any(|s| *s == Subject::Log || w.contains(s))).collect(),
    };
    let mut scope_text = scope.describe();
    if let Some(w) = &wanted
        && !w.iter().any(|s| matches!(s, Subject::Change(_) | Subject::Blob(_) | Subject::Batch(_)))
    {
        // Checks of the log as a whole would only say that something else holds.
        scope_text.push_str(" (the office holds nothing under this name)");
        return Ok(Report { scope: scope_text, holds: false, checks: Vec::new() });
    }
    let holds = checks.iter().all(|ch| ch.ok) && wanted.as_ref().is_none_or(|w| !w.is_empty());
    Ok(Report { scope: scope_text, holds, checks })
}

/// A scope named by a prefix of its digest or id, the way a person copies one from a listing
/// (at least 8 characters), made whole when exactly one thing the office holds starts with it.
/// An ambiguous prefix is an error naming the candidates; one that matches nothing is left as
/// it is, and the report then says the office holds nothing under that name.
pub fn resolve(h: &Holdings, scope: &Scope) -> Result<Scope> {
    let pick = |key: &str, names: BTreeSet<String>, what: &str| -> Result<String> {
        if names.contains(key) || key.len() < 8 {
            return Ok(key.to_owned());
        }
        let found: Vec<String> = names.into_iter().filter(|n| n.starts_with(key)).collect();
        match found.as_slice() {
            [one] => Ok(one.clone()),
            [] => Ok(key.to_owned()),
            many => Err(crate::error::Error::BadRequest(format!(
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
fn blob_named(row: &HeldChange) -> Option<String> {
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
