//! One sync run: batches up until the office has acknowledged the whole change log, then
//! office events down until there are no more.

use std::sync::Arc;

use mingcha_core::sync::{BATCH_MAX_CHANGES, BatchStage, BlobRef, ItemOutcome, Manifest, SignedManifest};

use super::client::{OfficeClient, OfficeUrl};
use super::state::{self, BatchRow};
use super::{BlobSource, SyncError, SyncEvent, SyncFailure, SyncOptions, SyncSummary, events, upload};
use crate::device_key::DeviceSigner;
use crate::{Store, StoreError, new_id};

pub(super) fn run(
    store: &mut Store,
    opts: &SyncOptions,
    blobs: &dyn BlobSource,
    progress: &mut dyn FnMut(SyncEvent),
) -> Result<SyncSummary, SyncError> {
    let server = state::enrolled(&store.conn)?.ok_or(SyncError::NotEnrolled)?;
    let url = OfficeUrl::parse(opts.server_url.as_deref().unwrap_or(&server.url))?;
    let signer = Arc::new(store.signer()?);
    let device = Some((store.identity.device_id, Arc::clone(&signer)));
    let client = OfficeClient::new(url.clone(), device, opts, server.tls_pin.as_deref())?;
    let mut summary = SyncSummary { server: url.as_string(), ..SyncSummary::default() };
    let mut push =
        Push { store, client: &client, signer: &signer, server_key: &server.server_key, summary: &mut summary };
    push.batches(opts, blobs, progress)?;
    push.pull(progress)?;
    // A plan the office assigned was just written and logged here: send it up now, so the
    // sync ends with nothing waiting (unless a blob failed above, which holds back the rest).
    if push.summary.failures.is_empty() {
        push.batches(opts, blobs, progress)?;
    }
    if opts.server_url.is_some() {
        state::set_url(&store.conn, &url.as_string())?;
    }
    state::finished(&store.conn, store.clock.now())?;
    let status = store.sync_status()?;
    summary.acked_seq = status.acked_seq;
    summary.unsynced_changes = status.unsynced_changes;
    Ok(summary)
}

struct Push<'a> {
    store: &'a mut Store,
    client: &'a OfficeClient,
    signer: &'a DeviceSigner,
    server_key: &'a str,
    summary: &'a mut SyncSummary,
}

impl Push<'_> {
    /// Send batches until nothing is pending. Stops early (with the reasons in the summary)
    /// when a blob could not be sent: later batches must wait, since seqs go up without gaps.
    fn batches(
        &mut self,
        opts: &SyncOptions,
        blobs: &dyn BlobSource,
        progress: &mut dyn FnMut(SyncEvent),
    ) -> Result<(), SyncError> {
        loop {
            let (batch, resumed) = match state::open_batch(&self.store.conn)? {
                Some(b) => (b, true),
                None => match self.new_batch()? {
                    Some(b) => (b, false),
                    None => return Ok(()),
                },
            };
            let manifest = rebuild(self.store, &batch)?;
            progress(SyncEvent::Batch { batch_id: batch.batch_id, changes: manifest.changes.len(), resumed });
            let signature = self.signer.sign(&manifest.signing_message());
            let signed = SignedManifest { manifest, signature };
            let answer = self.client.send_manifest(&signed)?;
            let manifest = signed.manifest;
            if answer.batch_id != batch.batch_id {
                return Err(bad("the manifest", format!("it answered for batch {}", answer.batch_id)));
            }
            let receipt = match answer.receipt {
                Some(r) if answer.stage == BatchStage::Committed => r,
                _ => {
                    let missing = wanted(&manifest, &answer.missing)?;
                    self.summary.blobs_already_there += (manifest.blobs.len() - missing.len()) as u64;
                    progress(SyncEvent::Uploading {
                        blobs: missing.len(),
                        bytes: missing.iter().map(|b| b.size).sum(),
                    });
                    let up = upload::upload_all(self.client, blobs, &missing, opts.upload_threads, progress);
                    self.summary.blobs_uploaded += up.sent;
                    self.summary.blobs_already_there += up.already_there;
                    self.summary.bytes_sent += up.bytes_sent;
                    if !up.failures.is_empty() {
                        self.summary.failures.extend(up.failures);
                        return Ok(());
                    }
                    match self.client.commit(batch.batch_id) {
                        Ok(r) => r,
                        Err(SyncError::Refused { code, message, .. }) if code == "missing_blobs" => {
                            let what = format!("batch {}", batch.batch_id);
                            self.summary.failures.push(SyncFailure { what, code, reason: message });
                            return Ok(());
                        }
                        Err(e) => return Err(e),
                    }
                }
            };
            state::check_receipt(self.server_key, &manifest, &receipt)
                .map_err(|reason| SyncError::BadReceipt { batch_id: batch.batch_id, reason })?;
            state::store_receipt(&mut self.store.conn, &batch, &receipt, self.server_key, self.store.clock.now())?;
            let stored = receipt.receipt.items.iter().filter(|i| i.outcome == ItemOutcome::Stored).count() as u64;
            let already_there = receipt.receipt.items.len() as u64 - stored;
            self.summary.batches += 1;
            self.summary.changes_stored += stored;
            self.summary.changes_already_there += already_there;
            progress(SyncEvent::Committed { batch_id: batch.batch_id, stored, already_there });
        }
    }

    /// Persist the next batch before anything is sent; None when nothing is pending.
    fn new_batch(&mut self) -> Result<Option<BatchRow>, SyncError> {
        let acked = state::position(&self.store.conn)?.acked_seq;
        let changes = self.store.changes_page(acked, Some(BATCH_MAX_CHANGES))?;
        if changes.is_empty() {
            return Ok(None);
        }
        let now = self.store.clock.now();
        let chain_before = self.store.chain_at(acked)?;
        let manifest = Manifest::new(new_id(now), self.store.identity.device_id, acked, chain_before, changes);
        manifest.check().map_err(|e| StoreError::Corrupt(format!("the change log cannot be sent: {e}")))?;
        let row = BatchRow {
            batch_id: manifest.batch_id,
            after_seq: acked,
            last_seq: manifest.last_seq(),
            manifest_sha256: state::manifest_digest(&manifest),
        };
        state::create_batch(&self.store.conn, &row, now)?;
        Ok(Some(row))
    }

    /// Office events, page after page, each page applied with its cursor in one transaction.
    fn pull(&mut self, progress: &mut dyn FnMut(SyncEvent)) -> Result<(), SyncError> {
        loop {
            let since = state::position(&self.store.conn)?.pull_cursor;
            let page = self.client.pull(since)?;
            if page.cursor < since || (page.more && page.cursor == since) {
                return Err(bad("the pull", format!("cursor {} after {since}, more: {}", page.cursor, page.more)));
            }
            let applied = events::apply_pull(self.store, &page)?;
            self.summary.events_applied += applied.events;
            self.summary.notes.extend(applied.notes);
            progress(SyncEvent::Pulled { events: applied.events });
            if !page.more {
                return Ok(());
            }
        }
    }
}

/// The persisted batch's manifest, rebuilt from the append-only log and proven identical.
pub(super) fn rebuild(store: &Store, b: &BatchRow) -> Result<Manifest, SyncError> {
    let changed = |reason: String| SyncError::BatchChanged { batch_id: b.batch_id, reason };
    let count = usize::try_from(b.last_seq - b.after_seq).map_err(|e| changed(e.to_string()))?;
    let changes = store.changes_page(b.after_seq, Some(count))?;
    let m = Manifest::new(b.batch_id, store.identity.device_id, b.after_seq, store.chain_at(b.after_seq)?, changes);
    if m.changes.len() != count || m.last_seq() != b.last_seq {
        return Err(changed(format!("the change log no longer holds seq {}..={}", b.after_seq + 1, b.last_seq)));
    }
    if state::manifest_digest(&m) != b.manifest_sha256 {
        return Err(changed("its content differs from what was first sent".into()));
    }
    m.check().map_err(|e| changed(e.to_string()))?;
    Ok(m)
}

fn bad(what: &str, reason: String) -> SyncError {
    SyncError::BadResponse { what: what.to_owned(), reason }
}

/// The blobs the office asks for, as the manifest describes them; asking for one the batch
/// does not carry is a broken answer, not something to read off the disk and send.
fn wanted(m: &Manifest, missing: &[BlobRef]) -> Result<Vec<BlobRef>, SyncError> {
    missing
        .iter()
        .map(|want| {
            m.blobs.iter().find(|b| b.sha256 == want.sha256).cloned().ok_or_else(|| {
                bad(
                    "the manifest",
                    format!("it asks for blob {}, which this batch does not carry", want.sha256.as_str()),
                )
            })
        })
        .collect()
}
