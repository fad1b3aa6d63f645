//! Where the workspace is, found when xtask runs.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The workspace this xtask was started in: the nearest folder above the current one whose
/// Cargo.toml has a `[workspace]`. Not the path xtask was compiled at: a clone that shares the
/// target folder (CI's, a worktree's) builds xtask there, and that clone may be gone since.
pub fn workspace_root() -> Result<PathBuf> {
    let here = std::env::current_dir()?;
    here.ancestors()
        .find(|d| std::fs::read_to_string(d.join("Cargo.toml")).is_ok_and(|t| t.contains("[workspace]")))
        .map(Path::to_path_buf)
        .with_context(|| format!("no Cargo workspace at or above {}", here.display()))
}
