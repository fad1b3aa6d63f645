//! First start, unlock, lock, passphrase, and the demo day.

use std::sync::Arc;

use mingcha_store::{Identity, InitOptions, KdfParams, Store, SystemClock};
use serde::{Deserialize, Serialize};
use tauri::State;
use ts_rs::TS;

use crate::error::IpcResult;
use crate::session::{Session, blocking};

/// What the app shows before anything else: set up, locked, or open.
#[derive(Debug, Serialize, TS)]
pub struct AppState {
    pub data_dir: String,
    /// A store exists in the data folder (else: the first-start walk-through).
    pub initialised: bool,
    pub unlocked: bool,
    pub version: String,
}

#[derive(Debug, Deserialize, TS)]
pub struct Profile {
    pub inspector_name: String,
    pub device_name: String,
    pub passphrase: String,
}

#[tauri::command]
pub async fn app_state(session: State<'_, Session>) -> IpcResult<AppState> {
    Ok(AppState {
        data_dir: session.data.root().display().to_string(),
        initialised: session.data.is_initialised(),
        unlocked: session.unlocked().await,
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}

/// The first start: a new store sealed by the passphrase, for this inspector and laptop.
#[tauri::command]
pub async fn create_store(session: State<'_, Session>, profile: Profile) -> IpcResult<Identity> {
    let opts = InitOptions { inspector_name: profile.inspector_name, device_name: profile.device_name, kdf: kdf() };
    let passphrase = profile.passphrase;
    session.open(move |data| Ok(Store::init(data, &passphrase, &opts, Arc::new(SystemClock))?)).await?;
    session.with_store(|s, _| Ok(s.identity().clone())).await
}

#[tauri::command]
pub async fn unlock(session: State<'_, Session>, passphrase: String) -> IpcResult<Identity> {
    session.open(move |data| Ok(Store::unlock(data, &passphrase, Arc::new(SystemClock))?)).await?;
    session.with_store(|s, _| Ok(s.identity().clone())).await
}

#[tauri::command]
pub async fn lock(session: State<'_, Session>) -> IpcResult<()> {
    session.lock().await
}

#[tauri::command]
pub async fn identity(session: State<'_, Session>) -> IpcResult<Identity> {
    session.with_store(|s, _| Ok(s.identity().clone())).await
}

#[tauri::command]
pub async fn change_passphrase(session: State<'_, Session>, old: String, new: String) -> IpcResult<()> {
    let data = session.data.clone();
    blocking(move || Ok(Store::change_passphrase(&data, &old, &new, kdf())?)).await
}

/// Fill the store with a demo day to look around in.
#[tauri::command]
pub async fn load_demo(session: State<'_, Session>) -> IpcResult<()> {
    session.with_store(crate::demo::populate).await
}

/// The passphrase's key derivation: the store's default, about a quarter second on a laptop.
fn kdf() -> KdfParams {
    KdfParams::default()
}
