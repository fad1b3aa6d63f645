//! The data key and the key file that guards it.
//!
//! The database is encrypted with a random 256-bit data key. The key file holds that key
//! sealed (XChaCha20-Poly1305) under a key derived from the inspector's passphrase with
//! Argon2id. Changing the passphrase re-seals 32 bytes; the database is never re-encrypted.
//! A wrong passphrase fails the seal's authentication before the database is touched, so it
//! can only ever be an error, never damage.

use std::fs;
use std::io::Write;
use std::path::Path;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use mingcha_core::hex;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Result, StoreError};

const FORMAT: &str = "mingcha.keyfile";
/// Bound into the seal so a sealed key cannot be mistaken for anything else.
const AAD: &[u8] = b"mingcha data key v1";

/// The 256-bit key the database is encrypted with, and the evidence keys derived from.
/// Wiped from memory when dropped.
pub struct DataKey([u8; 32]);

impl DataKey {
    pub fn generate() -> Result<Self> {
        let mut k = [0u8; 32];
        getrandom::getrandom(&mut k)
            .map_err(|e| StoreError::Io { context: "random data key".into(), source: e.into() })?;
        Ok(Self(k))
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub(crate) fn hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(&self.0))
    }

    /// The keys of the evidence files, derived from this key with HKDF-SHA256: one to seal
    /// the bytes, one to name the files. They are separate so that a file's name, which anyone
    /// can read, says nothing about the key its bytes are sealed under; and derived, not
    /// stored, so the passphrase guards them exactly as it guards the database.
    pub fn evidence_keys(&self) -> EvidenceKeys {
        let hk = hkdf::Hkdf::<sha2::Sha256>::new(Some(EVIDENCE_SALT), &self.0);
        let mut sealing = Zeroizing::new([0u8; 32]);
        let mut naming = Zeroizing::new([0u8; 32]);
        // Expanding 32 bytes from SHA-256 cannot exceed HKDF's 255 × 32 byte limit.
        let _ = hk.expand(b"evidence sealing", sealing.as_mut());
        let _ = hk.expand(b"evidence naming", naming.as_mut());
        EvidenceKeys { sealing, naming }
    }
}

/// HKDF's salt for the evidence keys: fixed, it only separates this use of the data key.
const EVIDENCE_SALT: &[u8] = b"mingcha evidence keys v1";

/// The two keys of the evidence files (see [`DataKey::evidence_keys`]). Only mingcha-evidence
/// uses them; the store hands them over and never touches an evidence byte itself. Wiped from
/// memory when dropped.
pub struct EvidenceKeys {
    sealing: Zeroizing<[u8; 32]>,
    naming: Zeroizing<[u8; 32]>,
}

impl EvidenceKeys {
    /// The XChaCha20-Poly1305 key the files' bytes are sealed under.
    pub fn sealing(&self) -> &[u8; 32] {
        &self.sealing
    }

    /// The HMAC-SHA256 key a file's name is made with from its digest.
    pub fn naming(&self) -> &[u8; 32] {
        &self.naming
    }
}

impl std::fmt::Debug for EvidenceKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EvidenceKeys(<secret>)")
    }
}

impl Drop for DataKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(<secret>)")
    }
}

/// Argon2id cost. Stored in the key file so it can be raised later without breaking old files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for KdfParams {
    /// 64 MiB, 3 passes: about a quarter second on a field laptop, costly to guess at scale.
    fn default() -> Self {
        Self { memory_kib: 64 * 1024, iterations: 3, parallelism: 1 }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct KeyFile {
    format: String,
    format_version: u32,
    kdf: String,
    params: KdfParams,
    salt: String,
    nonce: String,
    sealed_key: String,
}

fn derive(passphrase: &str, salt: &[u8], p: KdfParams) -> Result<Zeroizing<[u8; 32]>> {
    let params = Params::new(p.memory_kib, p.iterations, p.parallelism, Some(32))
        .map_err(|e| StoreError::Corrupt(format!("key derivation parameters: {e}")))?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, out.as_mut())
        .map_err(|e| StoreError::Corrupt(format!("key derivation: {e}")))?;
    Ok(out)
}

fn random<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).map_err(|e| StoreError::Io { context: "randomness".into(), source: e.into() })?;
    Ok(b)
}

/// Seal `key` under `passphrase` and write the key file atomically (temp file, fsync, rename),
/// so a crash mid-write leaves the old file or the new one, never half of one.
pub fn seal(path: &Path, key: &DataKey, passphrase: &str, params: KdfParams) -> Result<()> {
    if passphrase.is_empty() {
        return Err(mingcha_core::ValidationError::Empty { field: "passphrase" }.into());
    }
    let salt: [u8; 16] = random()?;
    let nonce: [u8; 24] = random()?;
    let kek = derive(passphrase, &salt, params)?;
    let cipher = XChaCha20Poly1305::new(kek.as_ref().into());
    let sealed = cipher
        .encrypt(XNonce::from_slice(&nonce), Payload { msg: &key.0, aad: AAD })
        .map_err(|_| StoreError::Corrupt("sealing the data key failed".into()))?;
    let file = KeyFile {
        format: FORMAT.into(),
        format_version: 1,
        kdf: "argon2id".into(),
        params,
        salt: hex::encode(&salt),
        nonce: hex::encode(&nonce),
        sealed_key: hex::encode(&sealed),
    };
    let text = serde_json::to_string_pretty(&file)?;
    let tmp = path.with_extension("json.tmp");
    let write = || -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        if let Some(dir) = path.parent() {
            fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    };
    write().map_err(StoreError::io(format!("writing {}", path.display())))
}

/// Open the key file with `passphrase`.
pub fn unseal(path: &Path, passphrase: &str) -> Result<DataKey> {
    let text = fs::read_to_string(path).map_err(StoreError::io(format!("reading {}", path.display())))?;
    let damaged = |why: &str| StoreError::DamagedKeyFile(path.to_owned(), why.to_owned());
    let file: KeyFile = serde_json::from_str(&text).map_err(|e| damaged(&e.to_string()))?;
    if file.format != FORMAT || file.format_version != 1 || file.kdf != "argon2id" {
        return Err(damaged("unknown format"));
    }
    let salt = hex::decode(&file.salt).ok_or_else(|| damaged("salt"))?;
    let nonce = hex::decode(&file.nonce).filter(|n| n.len() == 24).ok_or_else(|| damaged("nonce"))?;
    let sealed = hex::decode(&file.sealed_key).ok_or_else(|| damaged("sealed key"))?;
    let kek = derive(passphrase, &salt, file.params)?;
    let cipher = XChaCha20Poly1305::new(kek.as_ref().into());
    let plain = Zeroizing::new(
        cipher
            .decrypt(XNonce::from_slice(&nonce), Payload { msg: &sealed, aad: AAD })
            .map_err(|_| StoreError::WrongPassphrase)?,
    );
    let bytes: [u8; 32] = plain.as_slice().try_into().map_err(|_| damaged("sealed key length"))?;
    Ok(DataKey(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: KdfParams = KdfParams { memory_kib: 1024, iterations: 1, parallelism: 1 };

    #[test]
    fn the_right_passphrase_opens_and_a_wrong_one_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.json");
        let key = DataKey::generate().unwrap();
        seal(&path, &key, "正确的口令", FAST).unwrap();
        assert_eq!(unseal(&path, "正确的口令").unwrap().0, key.0);
        assert!(matches!(unseal(&path, "wrong"), Err(StoreError::WrongPassphrase)));
    }

    #[test]
    fn the_key_file_does_not_contain_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.json");
        let key = DataKey::generate().unwrap();
        seal(&path, &key, "pw", FAST).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(!text.contains(key.hex().as_str()));
    }

    #[test]
    fn evidence_keys_are_two_distinct_keys_fixed_by_the_data_key() {
        let k = DataKey::from_bytes([7; 32]).evidence_keys();
        let again = DataKey::from_bytes([7; 32]).evidence_keys();
        let other = DataKey::from_bytes([8; 32]).evidence_keys();
        assert_eq!((k.sealing(), k.naming()), (again.sealing(), again.naming()));
        assert_ne!(k.sealing(), k.naming());
        assert_ne!(k.sealing(), &[7; 32], "not the data key itself");
        assert_ne!(k.sealing(), other.sealing());
        assert_ne!(k.naming(), other.naming());
    }

    #[test]
    fn a_damaged_file_is_named_not_mistaken_for_a_wrong_passphrase() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.json");
        fs::write(&path, "{ not json").unwrap();
        assert!(matches!(unseal(&path, "pw"), Err(StoreError::DamagedKeyFile(..))));
    }
}
