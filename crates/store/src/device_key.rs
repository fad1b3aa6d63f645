//! The device's signing key (ed25519). Made at `init` and kept only inside the encrypted
//! database, it lets the office tell this laptop's batches from anyone else's: enrollment
//! registers the public half, and sync signs what it sends with the secret half.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use mingcha_core::hex;
use zeroize::Zeroizing;

use crate::error::{Result, StoreError};
use crate::{Store, db};

const META_KEY: &str = "device_signing_key";

/// Make a new signing key and keep it in the (encrypted) meta table; returns its public half.
pub(crate) fn create(conn: &rusqlite::Connection) -> Result<String> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::getrandom(seed.as_mut())
        .map_err(|e| StoreError::Io { context: "device key".into(), source: e.into() })?;
    let key = SigningKey::from_bytes(&seed);
    db::set_meta(conn, META_KEY, &Zeroizing::new(hex::encode(&seed[..])))?;
    Ok(hex::encode(key.verifying_key().as_bytes()))
}

/// Check `signature` (hex) over `message` against a device's public key (hex).
pub fn verify(public_key: &str, message: &[u8], signature: &str) -> bool {
    let (Some(public), Some(sig)) = (hex::decode_array::<32>(public_key), hex::decode_array::<64>(signature)) else {
        return false;
    };
    let Ok(public) = VerifyingKey::from_bytes(&public) else { return false };
    public.verify(message, &Signature::from_bytes(&sig)).is_ok()
}

/// This device's signing key on its own, for threads that must sign requests without touching
/// the store (the store's connection is not `Sync`). The key is wiped when it is dropped.
pub struct DeviceSigner {
    key: SigningKey,
}

impl std::fmt::Debug for DeviceSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceSigner").field("public_key", &self.public_key()).finish_non_exhaustive()
    }
}

impl DeviceSigner {
    /// Sign `message`; the signature as hex.
    pub fn sign(&self, message: &[u8]) -> String {
        hex::encode(&self.key.sign(message).to_bytes())
    }

    /// The public half, hex.
    pub fn public_key(&self) -> String {
        hex::encode(self.key.verifying_key().as_bytes())
    }
}

impl Store {
    /// The device key as a [`DeviceSigner`] that can be shared with upload threads.
    pub fn signer(&self) -> Result<DeviceSigner> {
        Ok(DeviceSigner { key: self.signing_key()? })
    }

    fn signing_key(&self) -> Result<SigningKey> {
        let text = Zeroizing::new(
            db::meta(&self.conn, META_KEY)?.ok_or_else(|| StoreError::Corrupt("the device key is missing".into()))?,
        );
        let seed = Zeroizing::new(
            hex::decode_array::<32>(&text).ok_or_else(|| StoreError::Corrupt("the device key is unreadable".into()))?,
        );
        Ok(SigningKey::from_bytes(&seed))
    }

    /// This device's public key, hex: what enrollment registers with the office.
    pub fn device_public_key(&self) -> Result<String> {
        Ok(hex::encode(self.signing_key()?.verifying_key().as_bytes()))
    }

    /// Sign `message` with this device's key; the signature as hex.
    pub fn sign(&self, message: &[u8]) -> Result<String> {
        Ok(hex::encode(&self.signing_key()?.sign(message).to_bytes()))
    }
}
