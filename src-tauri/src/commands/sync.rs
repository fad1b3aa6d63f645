//! Enrolment with the office and the end-of-day sync, with progress streamed to the window.

use std::time::Duration;

use mingcha_store::sync::{Enrollment, SyncEvent, SyncStatus, SyncSummary};
use tauri::{AppHandle, Emitter, State};

use crate::error::IpcResult;
use crate::session::{Session, blocking};

#[tauri::command]
pub async fn enroll(session: State<'_, Session>, server: String, token: String) -> IpcResult<Enrollment> {
    session.with_store(move |s, _| Ok(s.enroll(server.trim(), token.trim())?)).await
}

#[tauri::command]
pub async fn sync_status(session: State<'_, Session>) -> IpcResult<SyncStatus> {
    session.with_store(|s, _| Ok(s.sync_status()?)).await
}

/// One sync: push the day, upload what the office lacks, pull what it decided. Each step is
/// emitted as a `sync-progress` event ([`SyncEvent`]); failures of single items are in the
/// summary, to show in plain words and retry.
#[tauri::command]
pub async fn sync_now(app: AppHandle, session: State<'_, Session>) -> IpcResult<SyncSummary> {
    session
        .with_store(move |s, data| {
            let blobs = mingcha_evidence::import::blob_store(s, data);
            let mut progress = |e: SyncEvent| {
                let _ = app.emit("sync-progress", &e);
            };
            Ok(s.sync(&blobs, &mut progress)?)
        })
        .await
}

/// Whether the enrolled office answers now (its health check, within two seconds): the
/// online/offline light. Never an error: no answer is "offline".
#[tauri::command]
pub async fn office_reachable(server: String) -> IpcResult<bool> {
    blocking(move || {
        let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(2)).build();
        let url = format!("{}/api/health", server.trim_end_matches('/'));
        Ok(agent.get(&url).call().is_ok())
    })
    .await
}
