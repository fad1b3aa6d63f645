//! `mingcha verify` on the laptop: the chain of custody from the records this store holds to
//! the office's signed receipts. The bytes of the evidence are checked by the caller (the
//! store never reads evidence files): [`CustodyReport::blobs`] lists the ones in scope.
//!
//! Each check is one line that says what holds or what does not, and names what changed.

use mingcha_core::change::EntityKind;
use mingcha_core::evidence::Sha256Hex;
use mingcha_core::sync::{Receipt, SignedReceipt};
use rusqlite::types::ValueRef;
use serde::Serialize;
use uuid::Uuid;

use super::push::rebuild;
use super::state::{self, BatchRow};
use crate::error::{Result, StoreError};
use crate::{ChainProblem, Store, resolve_id};

/// What to verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyScope {
    /// The whole store: every change, every receipt, every original.
    All,
    /// One piece of evidence (a photo or file), by id or prefix.
    Evidence(String),
    /// One finding with its evidence, by id or prefix.
    Finding(String),
    /// One batch the laptop sent, by id or prefix.
    Batch(String),
}

/// One line of a report: a check that holds, one that does not, or a plain note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Holds,
    Fails,
    Note,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustodyLine {
    pub verdict: Verdict,
    pub text: String,
}

/// An original whose bytes must hash to its digest, for the caller to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlobInScope {
    /// The evidence record (or disclosure copy) that names it.
    pub record: String,
    pub sha256: Sha256Hex,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustodyReport {
    pub lines: Vec<CustodyLine>,
    pub blobs: Vec<BlobInScope>,
}

impl CustodyReport {
    pub fn holds(&self) -> bool {
        self.lines.iter().all(|l| l.verdict != Verdict::Fails)
    }

    pub fn push(&mut self, verdict: Verdict, text: impl Into<String>) {
        self.lines.push(CustodyLine { verdict, text: text.into() });
    }
}

/// A batch with its receipt as stored, each column as raw text (a damaged one is reported).
struct StoredReceipt {
    row: BatchRow,
    receipt: Option<String>,
    signature: Option<String>,
    server_key: Option<String>,
}

impl Store {
    /// Check the chain of custody within `scope`: the device's hash chain, each change in
    /// scope, and every receipt that covers them.
    pub fn verify_custody(&self, scope: &VerifyScope) -> Result<CustodyReport> {
        let mut report = CustodyReport { lines: Vec::new(), blobs: Vec::new() };
        let seqs = self.scope_seqs(scope, &mut report)?;

        let chain = self.check_chain()?;
        let broken: Vec<&ChainProblem> = chain.problems.iter().collect();
        if broken.is_empty() {
            report.push(
                Verdict::Holds,
                format!("custody chain: {} changes linked from the first, head {}", chain.changes, chain.head.short()),
            );
        }
        for p in &broken {
            report.push(Verdict::Fails, format!("custody chain: {p}"));
        }

        let server_key = state::enrolled(&self.conn)?.map(|s| s.server_key);
        let batches = self.stored_batches()?;
        let mut covered = Vec::new();
        for b in &batches {
            if !seqs.iter().any(|s| (b.row.after_seq + 1..=b.row.last_seq).contains(s)) {
                continue;
            }
            if b.receipt.is_some() {
                covered.push(b.row.after_seq + 1..=b.row.last_seq);
            }
            self.check_batch(b, server_key.as_deref(), &mut report);
        }
        let unsent: Vec<u64> = seqs.iter().copied().filter(|s| !covered.iter().any(|r| r.contains(s))).collect();
        if let (Some(first), Some(last)) = (unsent.first(), unsent.last()) {
            report.push(
                Verdict::Note,
                format!(
                    "{} change(s) in scope ({first}..={last}) have no receipt from the office yet: sync to send them",
                    unsent.len()
                ),
            );
        }
        Ok(report)
    }

    /// The change seqs a scope covers, and the blobs it names.
    fn scope_seqs(&self, scope: &VerifyScope, report: &mut CustodyReport) -> Result<Vec<u64>> {
        let seqs_of = |entity: EntityKind, ids: &[String]| -> Result<Vec<u64>> {
            let mut out = Vec::new();
            let mut stmt = self
                .conn
                .prepare_cached("SELECT seq FROM change_log WHERE entity = ?1 AND entity_id = ?2 ORDER BY seq")?;
            for id in ids {
                for s in stmt.query_map((entity.as_str(), id), |r| r.get::<_, u64>(0))? {
                    out.push(s?);
                }
            }
            Ok(out)
        };
        let blobs_where = |clause: &str, args: &[&str]| -> Result<Vec<BlobInScope>> {
            let sql =
                format!("SELECT id, sha256, size FROM evidence WHERE deleted_at IS NULL AND {clause} ORDER BY id");
            let mut stmt = self.conn.prepare(&sql)?;
            let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?))
            })?;
            rows.map(|row| {
                let (record, sha, size) = row?;
                let sha256 =
                    Sha256Hex::parse(&sha).map_err(|e| StoreError::Corrupt(format!("evidence {record}: {e}")))?;
                Ok(BlobInScope { record, sha256, size })
            })
            .collect()
        };
        Ok(match scope {
            VerifyScope::All => {
                report.blobs = blobs_where("1", &[])?;
                let mut stmt = self.conn.prepare(
                    "SELECT d.id, d.copy, b.size FROM disclosure_copy d JOIN blob b ON b.sha256 = d.copy ORDER BY d.id",
                )?;
                let copies = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?)))?;
                for c in copies {
                    let (record, sha, size) = c?;
                    let sha256 = Sha256Hex::parse(&sha)
                        .map_err(|e| StoreError::Corrupt(format!("disclosure copy {record}: {e}")))?;
                    report.blobs.push(BlobInScope { record, sha256, size });
                }
                let last: u64 =
                    self.conn.query_row("SELECT coalesce(max(seq), 0) FROM change_log", [], |r| r.get(0))?;
                (1..=last).collect()
            }
            VerifyScope::Evidence(key) => {
                let id = resolve_id(&self.conn, "evidence", "evidence", key)?;
                report.blobs = blobs_where("id = ?1", &[&id])?;
                let seqs = seqs_of(EntityKind::Evidence, std::slice::from_ref(&id))?;
                self.note_changes(&seqs, report)?;
                seqs
            }
            VerifyScope::Finding(key) => {
                let id = resolve_id(&self.conn, "finding", "finding", key)?;
                report.blobs = blobs_where("finding_id = ?1", &[&id])?;
                let evidence: Vec<String> = report.blobs.iter().map(|b| b.record.clone()).collect();
                let mut seqs = seqs_of(EntityKind::Finding, std::slice::from_ref(&id))?;
                seqs.extend(seqs_of(EntityKind::Evidence, &evidence)?);
                seqs.sort_unstable();
                self.note_changes(&seqs, report)?;
                seqs
            }
            VerifyScope::Batch(key) => {
                let b = self
                    .stored_batches()?
                    .into_iter()
                    .find(|b| {
                        b.row.batch_id.to_string().starts_with(&key.trim().to_ascii_lowercase())
                            && key.trim().len() >= 4
                    })
                    .ok_or_else(|| StoreError::not_found("batch", key))?;
                (b.row.after_seq + 1..=b.row.last_seq).collect()
            }
        })
    }

    /// One line for each change of a record, as it is logged.
    fn note_changes(&self, seqs: &[u64], report: &mut CustodyReport) -> Result<()> {
        for &seq in seqs {
            let Some(c) = self.changes_page(seq - 1, Some(1))?.into_iter().next() else { continue };
            let link = self.chain_at(seq)?;
            report.push(
                Verdict::Note,
                format!(
                    "change {seq}: {} {} {} at {}, chain link {}",
                    c.op.as_str(),
                    c.entity,
                    c.entity_id,
                    c.at.format("%Y-%m-%d %H:%M:%S UTC"),
                    link.short()
                ),
            );
        }
        Ok(())
    }

    fn stored_batches(&self) -> Result<Vec<StoredReceipt>> {
        let mut stmt = self.conn.prepare(
            "SELECT b.batch_id, b.after_seq, b.last_seq, b.manifest_sha256,
                    CAST(r.receipt AS BLOB), r.signature, r.server_key
             FROM sync_batch b LEFT JOIN sync_receipt r ON r.batch_id = b.batch_id ORDER BY b.after_seq",
        )?;
        let rows = stmt.query_map([], |r| {
            let text = |i: usize| -> rusqlite::Result<Option<String>> {
                Ok(match r.get_ref(i)? {
                    ValueRef::Null => None,
                    ValueRef::Text(b) | ValueRef::Blob(b) => Some(String::from_utf8_lossy(b).into_owned()),
                    other => Some(format!("{other:?}")),
                })
            };
            Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?, text(4)?, text(5)?, text(6)?))
        })?;
        rows.map(|row| {
            let (id, after_seq, last_seq, manifest_sha256, receipt, signature, server_key) = row?;
            let batch_id = Uuid::parse_str(&id).map_err(|e| StoreError::Corrupt(format!("batch id `{id}`: {e}")))?;
            Ok(StoredReceipt {
                row: BatchRow { batch_id, after_seq, last_seq, manifest_sha256 },
                receipt,
                signature,
                server_key,
            })
        })
        .collect()
    }

    /// One batch: its manifest rebuilt from the log, its receipt's signature, content, chain
    /// head and place in the office's log.
    fn check_batch(&self, b: &StoredReceipt, enrolled_key: Option<&str>, report: &mut CustodyReport) {
        let id = b.row.batch_id;
        let range = format!("changes {}..={}", b.row.after_seq + 1, b.row.last_seq);
        let manifest = match rebuild(self, &b.row) {
            Ok(m) => m,
            Err(e) => {
                report.push(
                    Verdict::Fails,
                    format!("batch {id} ({range}): the manifest it signed cannot be rebuilt: {e}"),
                );
                return;
            }
        };
        let (Some(receipt), Some(signature)) = (&b.receipt, &b.signature) else {
            report.push(Verdict::Note, format!("batch {id} ({range}): sent, no receipt from the office yet"));
            return;
        };
        let receipt: Receipt = match serde_json::from_str(receipt) {
            Ok(r) => r,
            Err(e) => {
                report.push(Verdict::Fails, format!("batch {id} ({range}): its stored receipt is damaged: {e}"));
                return;
            }
        };
        // The receipt is kept as the office's canonical bytes; any other bytes that parse to
        // the same receipt (a hex digit's case, say) were still changed on this laptop.
        if receipt.canonical_bytes() != b.receipt.as_deref().unwrap_or_default().as_bytes() {
            report.push(
                Verdict::Fails,
                format!(
                    "batch {id} ({range}): its stored receipt was altered: its bytes are not those the office signed"
                ),
            );
            return;
        }
        let Some(key) = b.server_key.as_deref().or(enrolled_key) else {
            report.push(Verdict::Fails, format!("batch {id}: no office key to check its receipt with"));
            return;
        };
        let signed = SignedReceipt { receipt, signature: signature.clone() };
        match state::check_receipt(key, &manifest, &signed) {
            Ok(()) => {
                let r = &signed.receipt;
                report.push(
                    Verdict::Holds,
                    format!(
                        "batch {id} ({range}): receipt signed by the office on {}, holds chain head {}, \
                         entry {} of {} in the office's log (root {})",
                        r.committed_at.format("%Y-%m-%d %H:%M UTC"),
                        r.chain_head.short(),
                        r.log.index + 1,
                        r.log.tree_size,
                        r.log.root.short()
                    ),
                );
            }
            Err(problem) => report.push(Verdict::Fails, format!("batch {id} ({range}): receipt: {problem}")),
        }
    }
}
