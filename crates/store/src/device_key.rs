//! The device's signing key (ed25519). Made at `init` and kept only inside the encrypted
//! database, it lets the office tell this laptop's batches from anyone else's: enrollment
//! registers the public half, and sync signs what it sends with the secret half.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use zeroize::Zeroizing;

use crate::error::{Result, StoreError};
use crate::{Store, db};

const META_KEY: &str = "device_signing_key";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(s.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

/// Make a new signing key and keep it in the (encrypted) meta table; returns its public half.
pub(crate) fn create(conn: &rusqlite::Connection) -> Result<String> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::getrandom(seed.as_mut())
        .map_err(|e| StoreError::Io { context: "device key".into(), source: e.into() })?;
    let key = SigningKey::from_bytes(&seed);
    db::set_meta(conn, META_KEY, &Zeroizing::new(hex(&seed[..])))?;
    Ok(hex(key.verifying_key().as_bytes()))
}

/// Check `signature` (hex) over `message` against a device's public key (hex).
pub fn verify(public_key: &str, message: &[u8], signature: &str) -> bool {
    let (Some(public), Some(sig)) = (unhex::<32>(public_key), unhex::<64>(signature)) else { return false };
    let Ok(public) = VerifyingKey::from_bytes(&public) else { return false };
    public.verify(message, &Signature::from_bytes(&sig)).is_ok()
}

impl Store {
    fn signing_key(&self) -> Result<SigningKey> {
        let text = Zeroizing::new(
            db::meta(&self.conn, META_KEY)?.ok_or_else(|| StoreError::Corrupt("the device key is missing".into()))?,
        );
        let seed = Zeroizing::new(
            unhex::<32>(&text).ok_or_else(|| StoreError::Corrupt("the device key is unreadable".into()))?,
        );
        Ok(SigningKey::from_bytes(&seed))
    }

    /// This device's public key, hex: what enrollment registers with the office.
    pub fn device_public_key(&self) -> Result<String> {
        Ok(hex(self.signing_key()?.verifying_key().as_bytes()))
    }

    /// Sign `message` with this device's key; the signature as hex.
    pub fn sign(&self, message: &[u8]) -> Result<String> {
        Ok(hex(&self.signing_key()?.sign(message).to_bytes()))
    }
}
