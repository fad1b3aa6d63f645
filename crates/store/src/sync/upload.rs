//! Uploading the blobs a batch needs: several at once, each in chunks of at most
//! [`CHUNK_MAX`], resuming from what the office already holds after any interruption.
//!
//! The worker threads never touch the store. They get the client (agent and signer), the
//! [`BlobSource`], and a channel back to the calling thread, which alone reports progress.

use std::io::{Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use mingcha_core::sync::{BlobRef, CHUNK_MAX, UploadState};

use super::client::OfficeClient;
use super::{BlobSource, SyncError, SyncEvent, SyncFailure};

/// How many times the office may leave a blob where it was (a refused offset, a chunk that
/// did not count) before the blob is given up for this run.
const STALLS_MAX: u32 = 5;

/// What the uploads of one batch came to.
#[derive(Debug, Default)]
pub(crate) struct Uploaded {
    pub sent: u64,
    /// Found complete at the office on resuming, so not sent again.
    pub already_there: u64,
    pub bytes_sent: u64,
    pub failures: Vec<SyncFailure>,
}

enum Message {
    Bytes(u64),
    Done { blob: BlobRef, bytes_sent: u64, sent_any: bool },
    Failed(SyncFailure),
}

/// Upload every blob of `missing` on `threads` threads, reporting progress as it goes.
pub(crate) fn upload_all(
    client: &OfficeClient,
    source: &dyn BlobSource,
    missing: &[BlobRef],
    threads: usize,
    progress: &mut dyn FnMut(SyncEvent),
) -> Uploaded {
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel();
    let mut out = Uploaded::default();
    std::thread::scope(|s| {
        for _ in 0..threads.clamp(1, missing.len().max(1)) {
            let (tx, next) = (tx.clone(), &next);
            s.spawn(move || {
                while let Some(blob) = missing.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let message = match upload_one(client, source, blob, &tx) {
                        Ok((bytes_sent, sent_any)) => Message::Done { blob: blob.clone(), bytes_sent, sent_any },
                        Err(f) => Message::Failed(f),
                    };
                    if tx.send(message).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        for message in rx {
            match message {
                Message::Bytes(n) => progress(SyncEvent::BlobBytes { bytes: n }),
                Message::Done { blob, bytes_sent, sent_any } => {
                    out.bytes_sent += bytes_sent;
                    if sent_any {
                        out.sent += 1
                    } else {
                        out.already_there += 1
                    }
                    progress(SyncEvent::BlobDone { sha256: blob.sha256, sent: sent_any });
                }
                Message::Failed(f) => {
                    progress(SyncEvent::BlobFailed { failure: f.clone() });
                    out.failures.push(f);
                }
            }
        }
    });
    out
}

fn failure(blob: &BlobRef, code: &str, reason: impl std::fmt::Display) -> SyncFailure {
    SyncFailure { what: format!("blob {}", blob.sha256.as_str()), code: code.to_owned(), reason: reason.to_string() }
}

fn from_error(blob: &BlobRef, e: &SyncError) -> SyncFailure {
    match e {
        SyncError::Refused { code, .. } if code == "digest_mismatch" => failure(
            blob,
            code,
            "the bytes sent do not match their digest: the original on this laptop may be damaged \
             (run `mingcha photo check`)",
        ),
        _ => failure(blob, e.code(), e),
    }
}

/// Send one blob from wherever the office stands; the bytes actually sent, and whether any
/// were (false when the office turned out to hold it already).
fn upload_one(
    client: &OfficeClient,
    source: &dyn BlobSource,
    blob: &BlobRef,
    tx: &mpsc::Sender<Message>,
) -> Result<(u64, bool), SyncFailure> {
    let mut file = source.open(&blob.sha256).map_err(|e| failure(blob, "blob_unreadable", e))?;
    let (mut offset, mut sent, mut stalls) = (0u64, 0u64, 0u32);
    let mut buf = Vec::new();
    loop {
        let len = (blob.size - offset).min(CHUNK_MAX);
        buf.resize(usize::try_from(len).map_err(|e| failure(blob, "blob_unreadable", e))?, 0);
        file.seek(SeekFrom::Start(offset))
            .and_then(|_| file.read_exact(&mut buf))
            .map_err(|e| failure(blob, "blob_unreadable", format!("reading at byte {offset}: {e}")))?;
        let state = match client.put_chunk(&blob.sha256, offset, &buf) {
            Ok(state) => {
                sent += len;
                let _ = tx.send(Message::Bytes(len));
                state
            }
            // The office holds a different amount than we assumed (a cut upload, or a lost
            // answer): ask it, and go on from there.
            Err(SyncError::Refused { code, .. }) if code == "offset_mismatch" => {
                let state = client.upload_state(&blob.sha256).map_err(|e| from_error(blob, &e))?;
                let _ = tx.send(Message::Bytes(state.received.saturating_sub(offset)));
                state
            }
            Err(e) => return Err(from_error(blob, &e)),
        };
        if check(blob, &state).map_err(|reason| failure(blob, "bad_response", reason))? {
            return Ok((sent, sent > 0));
        }
        if state.received <= offset {
            stalls += 1;
            if stalls > STALLS_MAX {
                return Err(failure(blob, "no_progress", format!("the office stays at byte {}", state.received)));
            }
        }
        offset = state.received;
    }
}

/// An upload answer that makes no sense for the blob it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
enum UploadAnswerProblem {
    #[error("the office reports {received} of {size} bytes of {sha256}")]
    Inconsistent { received: u64, size: u64, sha256: String },
    #[error("the office holds every byte but has not stored the blob")]
    WholeButNotStored,
}

/// True when the office holds the whole blob; an error when its answer makes no sense.
fn check(blob: &BlobRef, state: &UploadState) -> Result<bool, UploadAnswerProblem> {
    if state.sha256 != blob.sha256 || state.size != blob.size || state.received > blob.size {
        return Err(UploadAnswerProblem::Inconsistent {
            received: state.received,
            size: state.size,
            sha256: state.sha256.as_str().to_owned(),
        });
    }
    if state.stored {
        return Ok(true);
    }
    if state.received == blob.size {
        return Err(UploadAnswerProblem::WholeButNotStored);
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mingcha_core::evidence::Sha256Hex;

    fn blob(size: u64) -> BlobRef {
        BlobRef { sha256: Sha256Hex::parse(&"ab".repeat(32)).unwrap(), size }
    }

    #[test]
    fn an_upload_state_is_checked_against_the_blob() {
        let b = blob(10);
        let state = |received, size, stored| UploadState { sha256: b.sha256.clone(), received, size, stored };
        assert_eq!(check(&b, &state(4, 10, false)), Ok(false));
        assert_eq!(check(&b, &state(10, 10, true)), Ok(true));
        assert!(check(&b, &state(11, 10, false)).is_err(), "more than the blob");
        assert!(check(&b, &state(4, 9, false)).is_err(), "another size");
        assert!(check(&b, &state(10, 10, false)).is_err(), "whole but not stored");
        let other = UploadState { sha256: Sha256Hex::parse(&"cd".repeat(32)).unwrap(), ..state(0, 10, false) };
        assert!(check(&b, &other).is_err(), "another blob");
    }
}
