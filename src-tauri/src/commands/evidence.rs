//! Photos and files as evidence: import (files, a dropped set, a whole camera folder) with
//! progress, and the `evidence:` scheme the window loads previews from.

use std::path::PathBuf;
use std::sync::mpsc;

use mingcha_core::evidence::Sha256Hex;
use mingcha_evidence::import::{self, Summary};
use mingcha_evidence::preview;
use mingcha_store::evidence::TargetRef;
use tauri::http::{Request, Response, StatusCode};
use tauri::{AppHandle, Emitter, Manager, State};

use crate::error::{IpcError, IpcResult};
use crate::session::Session;

/// Import files and folders (recursively) onto a finding. Each file is reported as an
/// `import-progress` event; a file that cannot be kept is in the summary with its reason,
/// and the others are kept.
#[tauri::command]
pub async fn import_evidence(
    app: AppHandle,
    session: State<'_, Session>,
    finding: String,
    paths: Vec<String>,
) -> IpcResult<Summary> {
    if paths.is_empty() {
        return Err(IpcError::invalid("choose at least one photo, file or folder"));
    }
    session
        .with_store(move |s, data| {
            let (tx, rx) = mpsc::channel();
            let follower = std::thread::spawn(move || {
                for p in rx {
                    let _ = app.emit("import-progress", &p);
                }
            });
            let paths: Vec<PathBuf> = paths.into_iter().map(PathBuf::from).collect();
            let summary = import::import(s, data, &TargetRef::Finding(finding), &paths, Some(&tx));
            drop(tx);
            let _ = follower.join();
            Ok(summary?)
        })
        .await
}

/// `evidence://localhost/<sha256>/<thumb|screen>`: a preview, decrypted from the data folder
/// while the store is unlocked. Anything else is 404; a locked app answers 403; a preview that
/// fails its check is 404 too (the grid then shows its empty frame).
pub fn serve(app: &AppHandle, request: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    let answer = |status: StatusCode, body: Vec<u8>, kind: &str| {
        Response::builder().status(status).header("Content-Type", kind).body(body).unwrap_or_default()
    };
    let session = app.state::<Session>();
    let Some(previews) = session.previews() else {
        return answer(StatusCode::FORBIDDEN, b"locked".to_vec(), "text/plain");
    };
    let path = request.uri().path().replace("%2F", "/").replace("%2f", "/");
    let mut parts = path.trim_matches('/').split('/');
    let (Some(hash), Some(size), None) = (parts.next(), parts.next(), parts.next()) else {
        return answer(StatusCode::NOT_FOUND, vec![], "text/plain");
    };
    let Ok(sha256) = Sha256Hex::parse(hash) else {
        return answer(StatusCode::NOT_FOUND, vec![], "text/plain");
    };
    let side = match size {
        "thumb" => preview::THUMBNAIL,
        "screen" => preview::SCREEN,
        _ => return answer(StatusCode::NOT_FOUND, vec![], "text/plain"),
    };
    match previews.read(&sha256, side) {
        Ok(bytes) => answer(StatusCode::OK, bytes, "image/jpeg"),
        Err(_) => answer(StatusCode::NOT_FOUND, vec![], "text/plain"),
    }
}
