//! Content-addressed, write-once storage of original evidence bytes, sealed at rest.
//!
//! An original is known by the SHA-256 of its plaintext, and is kept sealed
//! ([`crate::sealed`]) at `evidence/v1/ab/cd/<name>`, where the name is HMAC-SHA256 of that
//! digest under the naming key: someone holding the disk cannot tell from the names whether
//! a photo they know is there. It is sealed into `evidence/tmp/`, fsynced, renamed into place
//! and its folders fsynced, so a file at its final name is always whole: a crash leaves either
//! nothing there or the complete file. The same plaintext imported twice is stored once. A
//! stored original is never rewritten; the one exception is a file whose length does not
//! match the plaintext's, which cannot be the original and is replaced by the one that is.
//! Reading decrypts and checks: every chunk is authenticated, and a whole read must hash to
//! the digest asked for.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hmac::{Hmac, Mac};
use mingcha_core::evidence::Sha256Hex;
use mingcha_core::hex;
use mingcha_store::EvidenceKeys;
use sha2::{Digest, Sha256};

use crate::EvidenceError;
use crate::sealed::{SealWriter, SealedReader, is_damage, sealed_len};

/// The folder of this layout, under `evidence/`. An older build kept plaintext in `sha256/`
/// (see [`crate::upgrade`]).
const LAYOUT: &str = "v1";

/// Where the originals are, and the keys to seal, name and open them.
#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
    keys: Arc<EvidenceKeys>,
}

/// The result of storing bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Put {
    pub sha256: Sha256Hex,
    pub size: u64,
    /// False when the same bytes were already stored (and were reused as they are).
    pub written: bool,
}

/// An original opened for reading: its plaintext, decrypted and checked as it is read.
pub type BlobReader = SealedReader<File>;

pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// HMAC-SHA256 of `parts` under the naming key, as hex: a file name that says nothing.
pub(crate) fn secret_name(keys: &EvidenceKeys, parts: &[&[u8]]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(keys.naming()).expect("HMAC takes a key of any length");
    for p in parts {
        mac.update(p);
    }
    hex::encode(&mac.finalize().into_bytes())
}

pub(crate) fn digest_bytes(sha256: &Sha256Hex) -> [u8; 32] {
    let mut out = [0u8; 32];
    if let Some(raw) = hex::decode(sha256.as_str()) {
        out.copy_from_slice(&raw);
    }
    out
}

/// What an original's last chunk is bound to: that it is an original, and its digest.
fn label(sha256: &Sha256Hex) -> Vec<u8> {
    [b"original:".as_slice(), &digest_bytes(sha256)].concat()
}

impl BlobStore {
    /// The blob store of a data directory's `evidence/` folder.
    pub fn new(evidence_root: impl Into<PathBuf>, keys: Arc<EvidenceKeys>) -> Self {
        Self { root: evidence_root.into(), keys }
    }

    /// The file name an original is stored under.
    pub fn name(&self, sha256: &Sha256Hex) -> String {
        secret_name(&self.keys, &[b"original:", &digest_bytes(sha256)])
    }

    /// The final path of an original (sealed).
    pub fn path(&self, sha256: &Sha256Hex) -> PathBuf {
        let n = self.name(sha256);
        self.root.join(LAYOUT).join(&n[0..2]).join(&n[2..4]).join(n)
    }

    fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// Store everything `reader` yields, hashing and sealing as it is copied (for files too
    /// big to hold in memory: a 500 MB video goes through a 1 MiB buffer and one 64 KiB chunk).
    pub fn put_stream(&self, mut reader: impl Read) -> Result<Put, EvidenceError> {
        let tmp_dir = self.tmp_dir();
        fs::create_dir_all(&tmp_dir).map_err(EvidenceError::io(format!("creating {}", tmp_dir.display())))?;
        let mut tmp =
            tempfile::NamedTempFile::new_in(&tmp_dir).map_err(EvidenceError::io("creating a temporary file"))?;
        let writing = EvidenceError::io("writing the evidence store");
        let mut sealer = SealWriter::new(tmp.as_file_mut(), self.keys.sealing()).map_err(writing)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut size = 0u64;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(EvidenceError::Io { context: "reading the file".into(), source: e }),
            };
            hasher.update(&buf[..n]);
            sealer.write_all(&buf[..n]).map_err(EvidenceError::io("writing the evidence store"))?;
            size += n as u64;
        }
        let sha256 =
            Sha256Hex::parse(&hex::encode(&hasher.finalize())).map_err(|e| EvidenceError::Image(e.to_string()))?;
        sealer.finish(&label(&sha256)).map_err(EvidenceError::io("writing the evidence store"))?;
        self.commit(tmp, sha256, size)
    }

    /// Store bytes already in memory.
    pub fn put_bytes(&self, bytes: &[u8]) -> Result<Put, EvidenceError> {
        self.put_stream(bytes)
    }

    fn commit(&self, tmp: tempfile::NamedTempFile, sha256: Sha256Hex, size: u64) -> Result<Put, EvidenceError> {
        let path = self.path(&sha256);
        if fs::metadata(&path).is_ok_and(|m| m.len() == sealed_len(size)) {
            // Already stored: keep the original exactly as it is.
            return Ok(Put { sha256, size, written: false });
        }
        tmp.as_file().sync_all().map_err(EvidenceError::io("flushing the evidence file"))?;
        let dir = path.parent().expect("blob paths have a parent").to_owned();
        fs::create_dir_all(&dir).map_err(EvidenceError::io(format!("creating {}", dir.display())))?;
        tmp.persist(&path)
            .map_err(|e| EvidenceError::Io { context: format!("storing {}", path.display()), source: e.error })?;
        // The rename is durable only once the folders that name it are.
        for d in [dir.as_path(), dir.parent().unwrap_or(&dir), &self.root.join(LAYOUT)] {
            sync_dir(d).map_err(EvidenceError::io(format!("flushing {}", d.display())))?;
        }
        Ok(Put { sha256, size, written: true })
    }

    fn open_sealed(&self, sha256: &Sha256Hex) -> io::Result<BlobReader> {
        let path = self.path(sha256);
        let file = File::open(&path)?;
        let what = format!("original {}", sha256.as_str());
        SealedReader::open(file, self.keys.sealing(), &label(sha256), Some(digest_bytes(sha256)), what)
    }

    /// Open an original for reading its plaintext.
    pub fn open(&self, sha256: &Sha256Hex) -> Result<BlobReader, EvidenceError> {
        self.open_sealed(sha256).map_err(EvidenceError::io(format!("opening the original {}", sha256.as_str())))
    }

    /// Read an original whole into memory.
    pub fn read(&self, sha256: &Sha256Hex) -> Result<Vec<u8>, EvidenceError> {
        let mut r = self.open(sha256)?;
        let mut out = Vec::with_capacity(usize::try_from(r.size()).unwrap_or(0));
        r.read_to_end(&mut out).map_err(EvidenceError::io(format!("reading the original {}", sha256.as_str())))?;
        Ok(out)
    }

    /// Whether the stored original is present, opens, and hashes to its digest. `Err` is for
    /// a file that is missing or a disk that cannot be read, not for damage.
    pub fn verify(&self, sha256: &Sha256Hex) -> Result<bool, EvidenceError> {
        let reading = || EvidenceError::io(format!("reading the original {}", sha256.as_str()));
        let mut r = match self.open_sealed(sha256) {
            Ok(r) => r,
            Err(e) if is_damage(&e) => return Ok(false),
            Err(e) => return Err(reading()(e)),
        };
        match io::copy(&mut r, &mut io::sink()) {
            Ok(_) => Ok(true),
            Err(e) if is_damage(&e) => Ok(false),
            Err(e) => Err(reading()(e)),
        }
    }

    /// Remove temporary files left by an import that was killed mid-write. They were never
    /// renamed into place, so nothing refers to them.
    pub fn sweep_temporary(&self) -> usize {
        let Ok(entries) = fs::read_dir(self.tmp_dir()) else { return 0 };
        entries.filter_map(Result::ok).filter(|e| fs::remove_file(e.path()).is_ok()).count()
    }

    /// The file name of every stored original (for orphan checks: compare with [`Self::name`]).
    pub fn stored_names(&self) -> Vec<String> {
        walkdir::WalkDir::new(self.root.join(LAYOUT))
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .filter_map(|e| e.file_name().to_str().map(str::to_owned))
            .collect()
    }
}

/// Sync sends originals straight from the write-once store, decrypted as they are read, from
/// the start or, for a resumed upload, part way in.
impl mingcha_store::sync::BlobSource for BlobStore {
    fn open(&self, sha256: &Sha256Hex) -> io::Result<Box<dyn mingcha_store::sync::BlobRead>> {
        let reader = self
            .open_sealed(sha256)
            .map_err(|e| io::Error::new(e.kind(), format!("the original {}: {e}", sha256.as_str())))?;
        Ok(Box::new(reader))
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Seek, SeekFrom};

    use mingcha_store::DataKey;

    use super::*;
    use crate::sealed::{CHUNK, HEADER};

    fn keys(seed: u8) -> Arc<EvidenceKeys> {
        Arc::new(DataKey::from_bytes([seed; 32]).evidence_keys())
    }

    fn store(dir: &Path) -> BlobStore {
        BlobStore::new(dir.join("evidence"), keys(1))
    }

    /// Bytes that differ at every offset, so a read from a wrong place cannot pass.
    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i as u32).wrapping_mul(2_654_435_761).to_be_bytes()[0] ^ (i >> 16) as u8).collect()
    }

    fn read_err(store: &BlobStore, sha: &Sha256Hex) -> String {
        match store.read(sha) {
            Ok(_) => panic!("a damaged original was read as if whole"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn the_same_bytes_are_stored_once_sealed_under_a_name_that_is_not_their_digest() {
        let tmp = tempfile::tempdir().unwrap();
        let store = store(tmp.path());
        let a = store.put_bytes(b"photo bytes").unwrap();
        let b = store.put_stream(&b"photo bytes"[..]).unwrap();
        assert!(a.written && !b.written);
        assert_eq!(a.sha256, b.sha256);
        assert_eq!(store.read(&a.sha256).unwrap(), b"photo bytes");
        assert!(store.verify(&a.sha256).unwrap());
        assert_eq!(store.stored_names(), [store.name(&a.sha256)]);
        let on_disk = fs::read(store.path(&a.sha256)).unwrap();
        assert!(!on_disk.windows(5).any(|w| w == b"photo"), "the file holds no plaintext");
        assert!(!store.path(&a.sha256).to_string_lossy().contains(a.sha256.as_str()), "nor its digest in its path");
        assert_ne!(store.name(&a.sha256), BlobStore::new(tmp.path(), keys(2)).name(&a.sha256), "names need the key");
        assert_eq!(fs::read_dir(tmp.path().join("evidence/tmp")).unwrap().count(), 0, "no temporary file is left");
    }

    #[test]
    fn every_size_round_trips_including_empty_and_exact_chunks() {
        let tmp = tempfile::tempdir().unwrap();
        let store = store(tmp.path());
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 17] {
            let bytes = pattern(len);
            let put = store.put_bytes(&bytes).unwrap();
            assert_eq!(put.size, len as u64);
            assert_eq!(fs::metadata(store.path(&put.sha256)).unwrap().len(), crate::sealed::sealed_len(len as u64));
            assert_eq!(store.read(&put.sha256).unwrap(), bytes, "{len} bytes");
        }
    }

    #[test]
    fn a_reader_seeks_to_any_plaintext_offset_as_a_resumed_upload_does() {
        let tmp = tempfile::tempdir().unwrap();
        let store = store(tmp.path());
        let bytes = pattern(5 * CHUNK + 1234);
        let put = store.put_bytes(&bytes).unwrap();
        let mut r = store.open(&put.sha256).unwrap();
        for at in [0, 1, CHUNK - 3, CHUNK, 2 * CHUNK + 7, 5 * CHUNK, bytes.len() - 1, 17] {
            assert_eq!(r.seek(SeekFrom::Start(at as u64)).unwrap(), at as u64);
            let mut got = Vec::new();
            r.read_to_end(&mut got).unwrap();
            assert_eq!(got, bytes[at..], "from offset {at}");
        }
        assert_eq!(r.seek(SeekFrom::End(-10)).unwrap(), bytes.len() as u64 - 10);
        let mut tail = [0u8; 10];
        r.read_exact(&mut tail).unwrap();
        assert_eq!(tail, bytes[bytes.len() - 10..]);
        assert!(r.seek(SeekFrom::Current(-(bytes.len() as i64) - 1)).is_err(), "no offset before the start");
        assert_eq!(r.read(&mut tail).unwrap(), 0, "at the end");
    }

    #[test]
    fn a_big_stream_goes_through_and_back_without_being_held_in_memory() {
        let tmp = tempfile::tempdir().unwrap();
        let store = store(tmp.path());
        let len = 16u64 << 20;
        // A generated stream, never a buffer of its size.
        let source = || io::repeat(0xA5).take(len);
        let put = store.put_stream(source()).unwrap();
        assert_eq!(put.size, len);
        let mut r = store.open(&put.sha256).unwrap();
        let (mut hasher, mut buf, mut total) = (Sha256::new(), [0u8; 4096], 0u64);
        loop {
            let n = r.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            total += n as u64;
        }
        assert_eq!(total, len);
        assert_eq!(hex::encode(&hasher.finalize()), put.sha256.as_str());
        assert!(r.buffer_capacity() <= CHUNK + 16, "the reader holds one chunk, not the file");
    }

    /// Each kind of damage a thief, a disk or a bad copy can do, on a file of four chunks.
    #[test]
    fn every_kind_of_tampering_is_detected_and_named() {
        let tmp = tempfile::tempdir().unwrap();
        let store = store(tmp.path());
        let bytes = pattern(3 * CHUNK + 500);
        let put = store.put_bytes(&bytes).unwrap();
        let other = store.put_bytes(b"another photo").unwrap();
        let path = store.path(&put.sha256);
        let sealed = fs::read(&path).unwrap();
        let full = CHUNK + 16;
        let chunk = |i: usize| HEADER + i * full..HEADER + (i + 1) * full;

        let mut flipped_header = sealed.clone();
        flipped_header[10] ^= 1;
        let mut flipped_middle = sealed.clone();
        flipped_middle[HEADER + full + 100] ^= 0x10;
        let mut flipped_last = sealed.clone();
        *flipped_last.last_mut().unwrap() ^= 0x80;
        let mut reordered = sealed.clone();
        reordered[chunk(0)].copy_from_slice(&sealed[chunk(1)]);
        reordered[chunk(1)].copy_from_slice(&sealed[chunk(0)]);
        let mut extended = sealed.clone();
        extended.extend_from_slice(&[0; 40]);
        let mut dropped_chunk = sealed[..HEADER].to_vec();
        dropped_chunk.extend_from_slice(&sealed[chunk(1).start..]);
        let mut bad_magic = sealed.clone();
        bad_magic[0] = b'X';
        let mut bad_version = sealed.clone();
        bad_version[4] = 9;
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("a flipped bit in the header's nonce", flipped_header, "fails authentication"),
            ("a flipped bit in a middle chunk", flipped_middle, "chunk 1 of 4 fails authentication"),
            ("a flipped bit in the last tag", flipped_last, "chunk 3 of 4 fails authentication"),
            ("two chunks swapped", reordered, "chunk 0 of 4 fails authentication"),
            ("cut at a chunk boundary", sealed[..chunk(3).start].to_vec(), "chunk 3 of 4 fails authentication"),
            ("cut inside a chunk", sealed[..chunk(2).start + 5000].to_vec(), "fails authentication"),
            ("cut inside a tag", sealed[..chunk(3).start + 3].to_vec(), "fails authentication"),
            ("cut to its header", sealed[..HEADER].to_vec(), "too short"),
            ("empty", vec![], "too short"),
            ("bytes appended", extended, "fails authentication"),
            ("a chunk dropped", dropped_chunk, "fails authentication"),
            ("another original under this name", fs::read(store.path(&other.sha256)).unwrap(), "fails authentication"),
            ("not a sealed file", bytes[..5000].to_vec(), "not a sealed evidence file"),
            ("a changed magic", bad_magic, "not a sealed evidence file"),
            ("an unknown version", bad_version, "format version 9"),
        ];
        for (what, damaged, says) in cases {
            fs::write(&path, &damaged).unwrap();
            assert!(!store.verify(&put.sha256).unwrap(), "{what}: check finds it");
            let err = read_err(&store, &put.sha256);
            assert!(err.contains(put.sha256.as_str()), "{what}: the error names the original: {err}");
            assert!(err.contains(says), "{what}: {err}");
        }
        fs::write(&path, &sealed).unwrap();
        assert!(store.verify(&put.sha256).unwrap(), "put back, it reads again");
        assert!(
            BlobStore::new(tmp.path().join("evidence"), keys(2)).open(&put.sha256).is_err(),
            "another key opens nothing"
        );
    }

    #[test]
    fn bytes_sealed_under_the_right_name_but_not_hashing_to_it_fail_a_whole_read() {
        let tmp = tempfile::tempdir().unwrap();
        let store = store(tmp.path());
        let put = store.put_bytes(b"the real photo").unwrap();
        // Someone with the key seals other bytes and binds them to this digest.
        let mut w = SealWriter::new(Vec::new(), store.keys.sealing()).unwrap();
        w.write_all(b"a forged photo").unwrap();
        fs::write(store.path(&put.sha256), w.finish(&label(&put.sha256)).unwrap()).unwrap();
        let err = read_err(&store, &put.sha256);
        assert!(err.contains(&format!("not {}", put.sha256.as_str())), "{err}");
        assert!(!store.verify(&put.sha256).unwrap());
    }

    #[test]
    fn a_damaged_file_under_a_name_is_replaced_by_the_real_bytes() {
        let tmp = tempfile::tempdir().unwrap();
        let store = store(tmp.path());
        let put = store.put_bytes(b"the original").unwrap();
        let sealed = fs::read(store.path(&put.sha256)).unwrap();
        fs::write(store.path(&put.sha256), &sealed[..sealed.len() - 4]).unwrap();
        assert!(!store.verify(&put.sha256).unwrap());
        assert!(store.put_bytes(b"the original").unwrap().written);
        assert!(store.verify(&put.sha256).unwrap());
    }

    #[test]
    fn leftovers_of_a_killed_write_are_swept() {
        let tmp = tempfile::tempdir().unwrap();
        let store = store(tmp.path());
        fs::create_dir_all(tmp.path().join("evidence/tmp")).unwrap();
        fs::write(tmp.path().join("evidence/tmp/.tmpXYZ"), b"half a photo").unwrap();
        assert_eq!(store.sweep_temporary(), 1);
    }
}
