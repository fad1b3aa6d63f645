//! Evidence blobs at the office: write-once, by content.
//!
//! A device uploads a blob in chunks of at most 16 MiB. On disk ([`DiskBlobStore`]):
//!
//! - each chunk (already received in full and checked against the request's body digest) is
//!   appended to `uploads/<device>/<sha256>.part` and fsynced, so the part's length is always
//!   how much the office holds, and an upload that was cut resumes from there;
//! - when the last byte arrives, the whole part is hashed. If it matches, it is published with
//!   a hard link to `blobs/sha256/ab/cd/<sha256>` — a link never replaces an existing file and
//!   appears whole or not at all — and the folder is fsynced; then the part is removed. If it
//!   does not match, the part is removed and the upload refused (`digest_mismatch`).
//!
//! So the final path only ever holds a complete, verified, fsynced file, whatever instant the
//! process is killed at. A kill during an append can leave a part with the start of a chunk:
//! those bytes are correct (the chunk was verified before it was written), so resuming from
//! the part's length is right. Should a power cut leave garbage at the end of a part, the final
//! hash refuses it and the device starts that blob again.
//!
//! Stored blobs are read as streams ([`BlobStore::open`], served chunk by chunk by [`body`]) or
//! hashed as they are read ([`BlobStore::digest`]); only [`BlobStore::read_at_most`] brings a
//! blob into memory, and only one under the size its caller names. Parts left unfinished are
//! swept ([`DiskBlobStore::sweep_parts`]) at start and every hour by `serve`. Folders are made
//! 0700 and parts 0600: the office's files are the server account's alone.
//!
//! **An S3-compatible store** would implement the same trait: `received` and `append` map to a
//! multipart upload keyed by `(device, sha256)` (the part list says how much is held; each
//! chunk is one part), `append` completes the upload into a staging key when the size is
//! reached, and publishing copies it to `sha256/<hex>` with a conditional put-if-absent
//! (`If-None-Match: *`) after checking the SHA-256 (S3's `x-amz-checksum-sha256` of the
//! whole object, or a hash computed while streaming the staging object). The final key is
//! then write-once like the file here.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use async_trait::async_trait;
use mingcha_core::evidence::Sha256Hex;
use mingcha_core::id::DeviceId;
use sha2::{Digest, Sha256};
use tokio::io::AsyncRead;

use crate::error::{RepoError, Result};
use crate::fs::{private_dir, sync_dir};

/// How much of a blob the store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Not complete: this many bytes are held for this device.
    Partial(u64),
    /// Verified and visible.
    Stored,
}

/// Where blob bytes live. Every method is keyed by the digest, and `append` refuses to write
/// anything that would make the final blob differ from its name.
#[async_trait]
pub trait BlobStore: Send + Sync + std::fmt::Debug {
    /// Is the blob stored, verified, at its final place?
    async fn contains(&self, sha256: &Sha256Hex) -> Result<bool>;
    /// How much of an upload by `device` is held.
    async fn progress(&self, device: DeviceId, sha256: &Sha256Hex) -> Result<Progress>;
    /// Append `bytes` at `offset` to `device`'s upload of a blob of `size` bytes, and publish
    /// the blob when it is complete and matches its digest.
    async fn append(
        &self,
        device: DeviceId,
        sha256: &Sha256Hex,
        size: u64,
        offset: u64,
        bytes: Vec<u8>,
    ) -> Result<Progress>;
    /// A stored blob as a stream of its bytes, or `None`.
    async fn open(&self, sha256: &Sha256Hex) -> Result<Option<BlobReader>>;
    /// The SHA-256 (hex) and length of the bytes stored under `sha256`, read as a stream: what
    /// the custody check compares with the name.
    async fn digest(&self, sha256: &Sha256Hex) -> Result<Option<(String, u64)>>;
    /// The bytes of a stored blob of at most `max` bytes; a larger one is `blob_too_large`.
    async fn read_at_most(&self, sha256: &Sha256Hex, max: u64) -> Result<Option<Vec<u8>>>;
    /// Store `bytes` the office made or received whole (a console upload, a notice), by their
    /// digest; storing the same bytes twice is the same blob.
    async fn put(&self, bytes: Vec<u8>) -> Result<Sha256Hex>;
}

/// A stored blob being read: its length, and its bytes as they come off the store.
pub struct BlobReader {
    pub size: u64,
    pub reader: Pin<Box<dyn AsyncRead + Send + Sync>>,
}

impl std::fmt::Debug for BlobReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobReader").field("size", &self.size).finish_non_exhaustive()
    }
}

/// Blobs in a folder: `blobs/sha256/ab/cd/<hex>`, parts in `uploads/<device>/<hex>.part`.
#[derive(Debug, Clone)]
pub struct DiskBlobStore {
    blobs: PathBuf,
    uploads: PathBuf,
    /// Uploads being written now: one writer per (device, digest), so two requests for the
    /// same part cannot interleave their appends.
    busy: Arc<Mutex<HashSet<(DeviceId, String)>>>,
}

impl DiskBlobStore {
    pub fn new(blobs: PathBuf, uploads: PathBuf) -> Self {
        Self { blobs, uploads, busy: Arc::default() }
    }

    /// The final path of a blob. The digest was parsed as 64 hex characters, so it can never
    /// name anything outside the folder.
    pub fn path_of(&self, sha256: &Sha256Hex) -> PathBuf {
        let h = sha256.as_str();
        self.blobs.join("sha256").join(&h[0..2]).join(&h[2..4]).join(h)
    }

    fn part_of(&self, device: DeviceId, sha256: &Sha256Hex) -> PathBuf {
        self.uploads.join(device.to_string()).join(format!("{}.part", sha256.as_str()))
    }
}

fn len_of(path: &Path) -> Result<u64> {
    match std::fs::metadata(path) {
        Ok(m) => Ok(m.len()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(e.into()),
    }
}

/// The SHA-256 (hex) and length of a file, read 1 MiB at a time.
fn hash_file(path: &Path) -> Result<(String, u64)> {
    let mut f = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut len = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        len += n as u64;
    }
    Ok((mingcha_core::hex::encode(&hasher.finalize()), len))
}

/// Publish a verified, fsynced part at `dest`, never replacing what is there: a blob already
/// at `dest` has the same digest, so it is the same bytes.
fn publish(part: &Path, dest: &Path) -> Result<()> {
    let dir = dest.parent().ok_or_else(|| RepoError::Internal("a blob path has no folder".into()))?;
    private_dir(dir)?;
    match std::fs::hard_link(part, dest) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e.into()),
    }
    // The new name, and the folders made for it, must survive a power cut.
    let mut d = Some(dir);
    for _ in 0..3 {
        if let Some(folder) = d {
            sync_dir(folder)?;
            d = folder.parent();
        }
    }
    Ok(())
}

impl DiskBlobStore {
    fn append_blocking(
        &self,
        device: DeviceId,
        sha256: &Sha256Hex,
        size: u64,
        offset: u64,
        bytes: &[u8],
    ) -> Result<Progress> {
        let dest = self.path_of(sha256);
        if dest.exists() {
            return Ok(Progress::Stored);
        }
        let part = self.part_of(device, sha256);
        let held = len_of(&part)?;
        if offset != held {
            return Err(RepoError::OffsetMismatch { received: held });
        }
        let end = offset.checked_add(bytes.len() as u64).ok_or(RepoError::BeyondSize { size })?;
        if end > size {
            return Err(RepoError::BeyondSize { size });
        }
        let folder = part.parent().ok_or_else(|| RepoError::Internal("a part path has no folder".into()))?;
        if !folder.exists() {
            private_dir(folder)?;
            sync_dir(&self.uploads)?;
        }
        let mut f = OpenOptions::new().create(true).append(true).mode(0o600).open(&part)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        if held == 0 {
            sync_dir(folder)?;
        }
        if end < size {
            return Ok(Progress::Partial(end));
        }
        let verified = hash_file(&part)?.0 == sha256.as_str();
        if verified {
            publish(&part, &dest)?;
        }
        std::fs::remove_file(&part)?;
        sync_dir(folder)?;
        if verified { Ok(Progress::Stored) } else { Err(RepoError::DigestMismatch) }
    }
}

impl DiskBlobStore {
    /// Delete the parts (`uploads/<device>/<hex>.part`) last written more than `max_age`
    /// before `now`: uploads a laptop abandoned. A part being appended to now is skipped.
    /// Answers how many were deleted.
    pub fn sweep_parts(&self, now: SystemTime, max_age: std::time::Duration) -> Result<usize> {
        let Ok(devices) = std::fs::read_dir(&self.uploads) else { return Ok(0) };
        let mut swept = 0;
        for device in devices.flatten() {
            let Ok(parts) = std::fs::read_dir(device.path()) else { continue };
            for part in parts.flatten() {
                let path = part.path();
                if path.extension().is_none_or(|e| e != "part") {
                    continue;
                }
                let written = part.metadata().and_then(|m| m.modified())?;
                let old = now.duration_since(written).is_ok_and(|age| age > max_age);
                if old && !self.busy_with(&path)? {
                    std::fs::remove_file(&path)?;
                    swept += 1;
                }
            }
        }
        Ok(swept)
    }

    /// Is a request appending to the part at `path` now?
    fn busy_with(&self, path: &Path) -> Result<bool> {
        let busy = self.busy.lock().map_err(|_| RepoError::Internal("blob lock poisoned".into()))?;
        Ok(busy.iter().any(|(device, sha)| Sha256Hex::parse(sha).is_ok_and(|sha| self.part_of(*device, &sha) == path)))
    }
}

/// Releases a (device, digest) slot when the append ends, however it ends.
struct Slot<'a> {
    busy: &'a Mutex<HashSet<(DeviceId, String)>>,
    key: (DeviceId, String),
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if let Ok(mut busy) = self.busy.lock() {
            busy.remove(&self.key);
        }
    }
}

#[async_trait]
impl BlobStore for DiskBlobStore {
    async fn contains(&self, sha256: &Sha256Hex) -> Result<bool> {
        Ok(tokio::fs::try_exists(self.path_of(sha256)).await?)
    }

    async fn progress(&self, device: DeviceId, sha256: &Sha256Hex) -> Result<Progress> {
        if self.contains(sha256).await? {
            return Ok(Progress::Stored);
        }
        let part = self.part_of(device, sha256);
        tokio::task::spawn_blocking(move || len_of(&part).map(Progress::Partial))
            .await
            .map_err(|e| RepoError::Internal(format!("blob task: {e}")))?
    }

    async fn append(
        &self,
        device: DeviceId,
        sha256: &Sha256Hex,
        size: u64,
        offset: u64,
        bytes: Vec<u8>,
    ) -> Result<Progress> {
        let (store, sha256) = (self.clone(), sha256.clone());
        tokio::task::spawn_blocking(move || {
            let key = (device, sha256.as_str().to_owned());
            let claimed =
                store.busy.lock().map_err(|_| RepoError::Internal("blob lock poisoned".into()))?.insert(key.clone());
            if !claimed {
                // Another request is writing this part now: tell the device where it stands.
                let held = len_of(&store.part_of(device, &sha256))?;
                return Err(RepoError::OffsetMismatch { received: held });
            }
            let _slot = Slot { busy: &store.busy, key };
            store.append_blocking(device, &sha256, size, offset, &bytes)
        })
        .await
        .map_err(|e| RepoError::Internal(format!("blob task: {e}")))?
    }

    async fn open(&self, sha256: &Sha256Hex) -> Result<Option<BlobReader>> {
        let file = match tokio::fs::File::open(self.path_of(sha256)).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let size = file.metadata().await?.len();
        Ok(Some(BlobReader { size, reader: Box::pin(file) }))
    }

    async fn digest(&self, sha256: &Sha256Hex) -> Result<Option<(String, u64)>> {
        let path = self.path_of(sha256);
        tokio::task::spawn_blocking(move || match hash_file(&path) {
            Ok(d) => Ok(Some(d)),
            Err(RepoError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        })
        .await
        .map_err(|e| RepoError::Internal(format!("blob task: {e}")))?
    }

    async fn read_at_most(&self, sha256: &Sha256Hex, max: u64) -> Result<Option<Vec<u8>>> {
        use tokio::io::AsyncReadExt;
        let Some(blob) = self.open(sha256).await? else { return Ok(None) };
        if blob.size > max {
            return Err(RepoError::BlobTooLarge { size: blob.size, max });
        }
        let mut bytes = Vec::with_capacity(usize::try_from(blob.size).unwrap_or(0));
        // `take`: a file that grew since its length was read still yields at most `max`.
        blob.reader.take(max).read_to_end(&mut bytes).await?;
        Ok(Some(bytes))
    }

    async fn put(&self, bytes: Vec<u8>) -> Result<Sha256Hex> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            let sha256 = Sha256Hex::parse(&mingcha_core::hex::encode(&Sha256::digest(&bytes)))
                .map_err(|e| RepoError::Internal(e.to_string()))?;
            let dest = store.path_of(&sha256);
            if dest.exists() {
                return Ok(sha256);
            }
            // Written whole and fsynced under the uploads folder, then published like any blob.
            let office = store.uploads.join("office");
            private_dir(&office)?;
            let mut part = tempfile::NamedTempFile::new_in(&office)?;
            std::io::Write::write_all(&mut part, &bytes)?;
            part.as_file().sync_all()?;
            publish(part.path(), &dest)?;
            Ok(sha256)
        })
        .await
        .map_err(|e| RepoError::Internal(format!("blob task: {e}")))?
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn store() -> (tempfile::TempDir, DiskBlobStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = DiskBlobStore::new(dir.path().join("blobs"), dir.path().join("uploads"));
        (dir, store)
    }

    fn digest(bytes: &[u8]) -> Sha256Hex {
        Sha256Hex::parse(&mingcha_core::hex::encode(&Sha256::digest(bytes))).unwrap()
    }

    #[tokio::test]
    async fn the_final_path_appears_only_when_every_byte_is_verified() {
        let (_dir, store) = store();
        let device = DeviceId::from_uuid(uuid::Uuid::now_v7());
        let bytes = b"0123456789".to_vec();
        let sha = digest(&bytes);
        assert_eq!(store.append(device, &sha, 10, 0, bytes[..4].to_vec()).await.unwrap(), Progress::Partial(4));
        assert!(!store.path_of(&sha).exists(), "a partial blob is never at its final path");
        assert_eq!(store.progress(device, &sha).await.unwrap(), Progress::Partial(4));
        assert_eq!(store.append(device, &sha, 10, 4, bytes[4..].to_vec()).await.unwrap(), Progress::Stored);
        assert_eq!(std::fs::read(store.path_of(&sha)).unwrap(), bytes);
        assert!(!store.part_of(device, &sha).exists(), "the part is gone once published");
    }

    #[tokio::test]
    async fn a_mismatch_discards_the_part_and_never_touches_a_stored_blob() {
        let (_dir, store) = store();
        let (a, b) = (DeviceId::from_uuid(uuid::Uuid::now_v7()), DeviceId::from_uuid(uuid::Uuid::now_v7()));
        let sha = digest(b"genuine");
        let refused = store.append(a, &sha, 7, 0, b"forgery".to_vec()).await;
        assert!(matches!(refused, Err(RepoError::DigestMismatch)));
        assert!(!store.part_of(a, &sha).exists() && !store.path_of(&sha).exists());
        store.append(b, &sha, 7, 0, b"genuine".to_vec()).await.unwrap();
        // Once stored, a later upload is a no-op: the file is never rewritten.
        assert_eq!(store.append(a, &sha, 7, 0, b"forgery".to_vec()).await.unwrap(), Progress::Stored);
        assert_eq!(std::fs::read(store.path_of(&sha)).unwrap(), b"genuine");
    }

    #[tokio::test]
    async fn an_upload_abandoned_for_a_day_is_swept_and_a_recent_one_kept() {
        let (_dir, store) = store();
        let device = DeviceId::from_uuid(uuid::Uuid::now_v7());
        let sha = digest(b"0123456789");
        store.append(device, &sha, 10, 0, b"0123".to_vec()).await.unwrap();
        let day = std::time::Duration::from_secs(24 * 3600);
        let now = SystemTime::now();
        assert_eq!(store.sweep_parts(now + day / 2, day).unwrap(), 0, "half a day old: kept");
        assert!(store.part_of(device, &sha).exists());
        assert_eq!(store.sweep_parts(now + day + day / 24, day).unwrap(), 1, "a day and an hour: swept");
        assert!(!store.part_of(device, &sha).exists());
        assert_eq!(store.progress(device, &sha).await.unwrap(), Progress::Partial(0), "the laptop starts again");
    }

    #[tokio::test]
    async fn a_blob_is_read_as_a_stream_and_into_memory_only_under_a_bound() {
        use tokio::io::AsyncReadExt;
        let (_dir, store) = store();
        let bytes = vec![7u8; 200_000];
        let sha = store.put(bytes.clone()).await.unwrap();
        let mut blob = store.open(&sha).await.unwrap().unwrap();
        assert_eq!(blob.size, 200_000);
        let mut read = Vec::new();
        blob.reader.read_to_end(&mut read).await.unwrap();
        assert_eq!(read, bytes);
        assert_eq!(store.digest(&sha).await.unwrap(), Some((sha.as_str().to_owned(), 200_000)));
        assert_eq!(store.read_at_most(&sha, 200_000).await.unwrap().map(|b| b.len()), Some(200_000));
        assert_eq!(store.read_at_most(&sha, 199_999).await.unwrap_err().code(), "blob_too_large");
        let absent = digest(b"absent");
        assert!(store.open(&absent).await.unwrap().is_none() && store.digest(&absent).await.unwrap().is_none());
    }
}
