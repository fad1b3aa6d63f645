//! The office's log, for devices and auditors: the signed daily heads, and proofs that an
//! entry is in a tree (inclusion) or that a later tree contains an earlier one (consistency).
//!
//! These routes are signed like every other `/api/v1` route. The heads and proofs hold only
//! hashes and sizes, but computing a proof reads the whole log, so only enrolled devices may
//! ask; an auditor at the office runs `mingcha-server verify`, or reads the console.

use axum::extract::State;
use axum::response::Json;
use mingcha_core::custody::{self, Hash, SignedTreeHead};
use serde::{Deserialize, Serialize};

use crate::auth::SignedDevice;
use crate::error::{Error, Result};
use crate::state::{AppState, Body, QueryParam};

/// `GET /api/v1/custody/heads`: every signed daily head, oldest first.
pub async fn heads(
    State(state): State<AppState>,
    auth: SignedDevice,
    Body(body): Body,
) -> Result<Json<Vec<SignedTreeHead>>> {
    auth.check_body(&body)?;
    Ok(Json(state.repo.custody_heads().await?))
}

/// Either `index` and `size` (inclusion) or `from` and `to` (consistency).
#[derive(Debug, Deserialize)]
pub struct ProofQuery {
    index: Option<u64>,
    size: Option<u64>,
    from: Option<u64>,
    to: Option<u64>,
}

/// A proof, with the roots it ties together.
#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Proof {
    /// Leaf `index` is in the tree of `tree_size` leaves with `root`.
    Inclusion { index: u64, tree_size: u64, leaf: Hash, root: Hash, proof: Vec<Hash> },
    /// The tree of `from` leaves (`from_root`) is the start of the tree of `to` (`to_root`).
    Consistency { from: u64, to: u64, from_root: Hash, to_root: Hash, proof: Vec<Hash> },
}

/// `GET /api/v1/custody/proof?index=I&size=N` or `?from=M&to=N`.
pub async fn proof(
    State(state): State<AppState>,
    auth: SignedDevice,
    QueryParam(q): QueryParam<ProofQuery>,
    Body(body): Body,
) -> Result<Json<Proof>> {
    auth.check_body(&body)?;
    let leaves = state.repo.custody_leaves().await?;
    let n = leaves.len() as u64;
    let fits = |size: u64| -> Result<usize> {
        if size == 0 || size > n {
            return Err(Error::BadRequest(format!("the log holds {n} entries; {size} is not a tree size of it")));
        }
        usize::try_from(size).map_err(|_| Error::BadRequest(format!("{size} is out of range")))
    };
    match q {
        ProofQuery { index: Some(index), size: Some(size), from: None, to: None } => {
            let size = fits(size)?;
            let i = usize::try_from(index).unwrap_or(usize::MAX);
            let tree = &leaves[..size];
            let proof = custody::inclusion_proof(i, tree)
                .ok_or_else(|| Error::BadRequest(format!("entry {index} is not in a tree of {size}")))?;
            Ok(Json(Proof::Inclusion {
                index,
                tree_size: size as u64,
                leaf: tree[i],
                root: custody::root(tree),
                proof,
            }))
        }
        ProofQuery { from: Some(from), to: Some(to), index: None, size: None } => {
            let (old, new) = (fits(from)?, fits(to)?);
            let proof = custody::consistency_proof(old, &leaves[..new])
                .ok_or_else(|| Error::BadRequest(format!("from ({from}) must not be past to ({to})")))?;
            Ok(Json(Proof::Consistency {
                from,
                to,
                from_root: custody::root(&leaves[..old]),
                to_root: custody::root(&leaves[..new]),
                proof,
            }))
        }
        _ => Err(Error::BadRequest("ask with index and size, or with from and to".into())),
    }
}
