//! The office's signing key. Receipts are signed with it, and devices learn its public half at
//! enrollment, so a receipt proves that this office stored the batch.
//!
//! The seed is 32 random bytes in hex in `DIR/server-key` (mode 0600). It is made once, at
//! first start, and published write-once (a hard link of a complete, fsynced file), so two
//! processes starting together can never end up with two keys or a half-written one.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use mingcha_core::custody::{SignedTreeHead, TreeHead};
use mingcha_core::hex;
use mingcha_core::sync::{Receipt, SignedReceipt};

/// The signature and digest helpers are the custody checks' own, so both sides agree.
pub use mingcha_office::custody::{parse_public_key, sha256_hex, signature_verifies as verifies};

use crate::error::{RepoError, Result};
use crate::fs::sync_dir;

#[derive(Clone)]
pub struct ServerKey(SigningKey);

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ServerKey({})", self.public_hex())
    }
}

impl ServerKey {
    /// Read the key at `path`, making it first if there is none.
    pub fn load_or_create(path: &Path) -> Result<Self> {
        if !path.exists() {
            let mut seed = [0u8; 32];
            getrandom::getrandom(&mut seed).map_err(|e| RepoError::Internal(format!("no randomness: {e}")))?;
            let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
            let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
            f.write_all(hex::encode(&seed).as_bytes())?;
            f.sync_all()?;
            // A hard link never replaces: if another process won the race, keep its key.
            let linked = std::fs::hard_link(&tmp, path);
            std::fs::remove_file(&tmp)?;
            match linked {
                Ok(()) => sync_dir(path.parent().unwrap_or(Path::new(".")))?,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e.into()),
            }
        }
        let text = std::fs::read_to_string(path)?;
        let seed = hex::decode_array::<32>(text.trim())
            .ok_or_else(|| RepoError::Internal(format!("{} is not a 32-byte hex seed", path.display())))?;
        Ok(Self(SigningKey::from_bytes(&seed)))
    }

    pub fn public_hex(&self) -> String {
        hex::encode(self.0.verifying_key().as_bytes())
    }

    pub fn sign_receipt(&self, receipt: Receipt) -> SignedReceipt {
        let signature = hex::encode(&self.0.sign(&receipt.signing_message()).to_bytes());
        SignedReceipt { receipt, signature }
    }

    /// Sign the log's head for a day: what lets the office show later what it held that day.
    pub fn sign_tree_head(&self, head: TreeHead) -> SignedTreeHead {
        let signature = hex::encode(&self.0.sign(&head.signing_message()).to_bytes());
        SignedTreeHead { head, signature }
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        self.0.verifying_key()
    }
}
