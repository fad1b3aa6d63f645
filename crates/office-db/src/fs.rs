//! Files the office keeps private to its account, and folders synced so that a name just made
//! survives a power cut.

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;

/// Make `dir` (and missing parents) with mode 0700, and take group and other access away from
/// one that exists.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    narrow(dir, 0o700)
}

/// Take group and other access away from `path`. One the server's account does not own (a
/// folder an admin made for it as root, say) is left as it is, with a warning.
pub fn narrow(path: &Path, keep: u32) -> std::io::Result<()> {
    let mode = std::fs::metadata(path)?.permissions().mode();
    if mode & 0o077 == 0 {
        return Ok(());
    }
    match std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & keep)) {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            eprintln!(
                "mingcha-server: {} is open to others (mode {:o}) and cannot be narrowed: {e}",
                path.display(),
                mode & 0o777
            );
            Ok(())
        }
        other => other,
    }
}

/// fsync a folder, so that a name just created or removed in it survives a power cut.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}
