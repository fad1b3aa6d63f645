//! The sealed-file format of evidence at rest: how an original or a preview is kept on the
//! laptop so that a thief who has the disk but not the passphrase learns nothing from it.
//!
//! ```text
//! header  "mcev" · version (1) · 19 random bytes (the nonce prefix)          24 bytes
//! chunk 0 XChaCha20-Poly1305(64 KiB of plaintext)                           64 KiB + 16
//! …
//! last    XChaCha20-Poly1305(0 to 64 KiB − 1 bytes)                         ≤ 64 KiB + 15
//! ```
//!
//! This is the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár), written out by hand
//! because a resumed upload must start decrypting part way in: chunk `i` is sealed with the
//! nonce `prefix ‖ i (u32, big-endian) ‖ last (0 or 1)`, and with the header as associated
//! data, so a chunk moved to another place, a chunk from another file, or a changed header
//! fails to open. The last chunk is always shorter than a full one (an empty one follows a
//! plaintext that fills its chunks exactly), so the file's length alone says where the last
//! chunk is and how long the plaintext is. Its associated data adds the caller's label (for
//! an original, its SHA-256) and the plaintext's length: a file cut short at any byte, or a
//! validly sealed file put under another file's name, fails there. The reader authenticates
//! that last chunk when it opens the file, so such a file is refused before any byte is read.

use std::io::{self, Read, Seek, SeekFrom, Write};

use chacha20poly1305::aead::AeadInPlace;
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

/// Plaintext bytes in every chunk but the last.
pub const CHUNK: usize = 64 * 1024;
const TAG: usize = 16;
const MAGIC: &[u8; 4] = b"mcev";
const VERSION: u8 = 1;
const PREFIX: usize = 19;
/// Bytes before the first chunk.
pub const HEADER: usize = MAGIC.len() + 1 + PREFIX;

/// Why a sealed file cannot be read. Every kind of damage is one of these, naming the file
/// by what it holds (`what`, such as "original 3fa9…").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("{what}: too short to be a sealed file ({len} bytes): truncated")]
    TooShort { what: String, len: u64 },
    #[error("{what}: not a sealed evidence file (its header is wrong)")]
    NotSealed { what: String },
    #[error("{what}: sealed with format version {version}, which this build cannot read")]
    Version { what: String, version: u8 },
    #[error(
        "{what}: chunk {chunk} of {chunks} fails authentication: the file was altered, truncated, \
         reordered, or is another file under this name"
    )]
    Tampered { what: String, chunk: u64, chunks: u64 },
    #[error("{what}: decrypts whole but its SHA-256 is {actual}, not {expected}")]
    WrongDigest { what: String, expected: String, actual: String },
    #[error("{what}: too large for one sealed file")]
    TooLarge { what: String },
}

impl From<SealError> for io::Error {
    fn from(e: SealError) -> Self {
        io::Error::new(io::ErrorKind::InvalidData, e)
    }
}

/// Whether an I/O error is a sealed file found damaged (rather than a disk or permission
/// problem).
pub fn is_damage(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<SealError>())
}

/// The length of the sealed file of `size` plaintext bytes.
pub fn sealed_len(size: u64) -> u64 {
    HEADER as u64 + size + (size / CHUNK as u64 + 1) * TAG as u64
}

fn nonce(prefix: &[u8], chunk: u64, last: bool) -> Option<XNonce> {
    let counter = u32::try_from(chunk).ok()?;
    let mut n = [0u8; 24];
    n[..PREFIX].copy_from_slice(prefix);
    n[PREFIX..PREFIX + 4].copy_from_slice(&counter.to_be_bytes());
    n[23] = u8::from(last);
    Some(n.into())
}

fn final_ad(header: &[u8], label: &[u8], size: u64) -> Vec<u8> {
    [header, label, &size.to_be_bytes()].concat()
}

/// Seals what is written to it into `inner`, one chunk at a time: memory stays at one chunk
/// whatever the size. [`SealWriter::finish`] writes the last chunk; a writer dropped without
/// it leaves a file that every reader refuses.
pub struct SealWriter<W: Write> {
    inner: W,
    cipher: XChaCha20Poly1305,
    header: [u8; HEADER],
    buf: Vec<u8>,
    chunk: u64,
    size: u64,
}

impl<W: Write> std::fmt::Debug for SealWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealWriter").field("chunk", &self.chunk).field("size", &self.size).finish_non_exhaustive()
    }
}

impl<W: Write> SealWriter<W> {
    pub fn new(mut inner: W, key: &[u8; 32]) -> io::Result<Self> {
        let mut header = [0u8; HEADER];
        header[..4].copy_from_slice(MAGIC);
        header[4] = VERSION;
        getrandom::getrandom(&mut header[5..]).map_err(|e| io::Error::other(format!("randomness: {e}")))?;
        inner.write_all(&header)?;
        Ok(Self {
            inner,
            cipher: XChaCha20Poly1305::new(key.into()),
            header,
            buf: Vec::with_capacity(CHUNK + TAG),
            chunk: 0,
            size: 0,
        })
    }

    fn seal_chunk(&mut self, last: bool, ad: &[u8]) -> io::Result<()> {
        let too_large = || io::Error::other("too large for one sealed file");
        let nonce = nonce(&self.header[5..], self.chunk, last).ok_or_else(too_large)?;
        self.cipher.encrypt_in_place(&nonce, ad, &mut self.buf).map_err(|_| too_large())?;
        self.inner.write_all(&self.buf)?;
        self.buf.clear();
        self.chunk += 1;
        Ok(())
    }

    /// Seal the last chunk, binding `label` and the plaintext's length to it, and hand back
    /// the inner writer (to be fsynced by the caller).
    pub fn finish(mut self, label: &[u8]) -> io::Result<W> {
        let ad = final_ad(&self.header, label, self.size);
        self.seal_chunk(true, &ad)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for SealWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let take = data.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..take]);
        self.size += take as u64;
        // A full chunk is never the last one: the last is always shorter.
        if self.buf.len() == CHUNK {
            let header = self.header;
            self.seal_chunk(false, &header)?;
        }
        Ok(take)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Seal `bytes` whole into memory (previews: a few hundred kilobytes).
pub fn seal_bytes(bytes: &[u8], key: &[u8; 32], label: &[u8]) -> io::Result<Vec<u8>> {
    let mut w = SealWriter::new(Vec::with_capacity(sealed_len(bytes.len() as u64) as usize), key)?;
    w.write_all(bytes)?;
    w.finish(label)
}

/// Reads the plaintext of a sealed file, with `Seek` on plaintext offsets. It holds one
/// decrypted chunk at a time.
///
/// When given the expected SHA-256, it also hashes what it hands out: a read from the start to
/// the end that does not hash to it ends in [`SealError::WrongDigest`] instead of the end of
/// the file. (A read that started part way in, as a resumed upload does, relies on the chunks'
/// authentication alone.)
pub struct SealedReader<R> {
    inner: R,
    cipher: XChaCha20Poly1305,
    header: [u8; HEADER],
    final_ad: Vec<u8>,
    what: String,
    size: u64,
    chunks: u64,
    last_len: usize,
    pos: u64,
    buf: Vec<u8>,
    buf_chunk: Option<u64>,
    expected: Option<[u8; 32]>,
    /// The hash of the plaintext handed out from offset 0 up to `.1`, while reads are in order.
    hashed: Option<(Sha256, u64)>,
}

impl<R> std::fmt::Debug for SealedReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedReader").field("what", &self.what).field("size", &self.size).finish_non_exhaustive()
    }
}

impl<R: Read + Seek> SealedReader<R> {
    /// Open a sealed file and authenticate its last chunk (with `label` and the length), so a
    /// truncated, extended or misnamed file is refused here.
    pub fn open(
        mut inner: R,
        key: &[u8; 32],
        label: &[u8],
        expected: Option<[u8; 32]>,
        what: String,
    ) -> io::Result<Self> {
        let len = inner.seek(SeekFrom::End(0))?;
        if len < (HEADER + TAG) as u64 {
            return Err(SealError::TooShort { what, len }.into());
        }
        inner.seek(SeekFrom::Start(0))?;
        let mut header = [0u8; HEADER];
        inner.read_exact(&mut header)?;
        if &header[..4] != MAGIC {
            return Err(SealError::NotSealed { what }.into());
        }
        if header[4] != VERSION {
            return Err(SealError::Version { what, version: header[4] }.into());
        }
        let body = len - HEADER as u64;
        let full = (CHUNK + TAG) as u64;
        let chunks = body / full + 1;
        let last_len = (body % full) as usize;
        if last_len < TAG {
            // Cut inside a tag: no sealed file ends like this.
            return Err(SealError::Tampered { what, chunk: chunks - 1, chunks }.into());
        }
        let size = body - chunks * TAG as u64;
        let mut reader = Self {
            inner,
            cipher: XChaCha20Poly1305::new(key.into()),
            final_ad: final_ad(&header, label, size),
            header,
            what,
            size,
            chunks,
            last_len,
            pos: 0,
            buf: Vec::with_capacity(CHUNK + TAG),
            buf_chunk: None,
            expected,
            hashed: expected.map(|_| (Sha256::new(), 0)),
        };
        reader.load(chunks - 1)?;
        Ok(reader)
    }

    /// The plaintext's length.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// How much the reader holds in memory for the chunk it is on.
    pub fn buffer_capacity(&self) -> usize {
        self.buf.capacity()
    }

    fn load(&mut self, chunk: u64) -> io::Result<()> {
        let last = chunk == self.chunks - 1;
        let len = if last { self.last_len } else { CHUNK + TAG };
        self.buf_chunk = None;
        self.buf.resize(len, 0);
        self.inner.seek(SeekFrom::Start(HEADER as u64 + chunk * (CHUNK + TAG) as u64))?;
        self.inner.read_exact(&mut self.buf)?;
        let nonce =
            nonce(&self.header[5..], chunk, last).ok_or_else(|| SealError::TooLarge { what: self.what.clone() })?;
        let ad = if last { self.final_ad.as_slice() } else { &self.header };
        self.cipher.decrypt_in_place(&nonce, ad, &mut self.buf).map_err(|_| SealError::Tampered {
            what: self.what.clone(),
            chunk,
            chunks: self.chunks,
        })?;
        self.buf_chunk = Some(chunk);
        Ok(())
    }

    fn check_digest(&mut self) -> io::Result<()> {
        let Some(expected) = self.expected else { return Ok(()) };
        if self.hashed.as_ref().is_some_and(|(_, upto)| *upto == self.size) {
            let (hasher, _) = self.hashed.take().expect("checked just above");
            let actual: [u8; 32] = hasher.finalize().into();
            if actual != expected {
                return Err(SealError::WrongDigest {
                    what: self.what.clone(),
                    expected: mingcha_core::hex::encode(&expected),
                    actual: mingcha_core::hex::encode(&actual),
                }
                .into());
            }
        }
        Ok(())
    }
}

impl<R: Read + Seek> Read for SealedReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.size || out.is_empty() {
            self.check_digest()?;
            return Ok(0);
        }
        let chunk = self.pos / CHUNK as u64;
        if self.buf_chunk != Some(chunk) {
            self.load(chunk)?;
        }
        let at = (self.pos % CHUNK as u64) as usize;
        let n = out.len().min(self.buf.len() - at);
        out[..n].copy_from_slice(&self.buf[at..at + n]);
        if let Some((hasher, upto)) = &mut self.hashed
            && *upto == self.pos
        {
            hasher.update(&out[..n]);
            *upto += n as u64;
        }
        self.pos += n as u64;
        if self.pos == self.size {
            self.check_digest()?;
        }
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for SealedReader<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.size.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        let target = target.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        if target == 0 && self.expected.is_some() {
            self.hashed = Some((Sha256::new(), 0));
        }
        self.pos = target;
        Ok(target)
    }
}
