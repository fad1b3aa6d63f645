//! The one open store of a running app, and how commands reach it off the main thread.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use mingcha_evidence::preview::PreviewStore;
use mingcha_store::{DataDir, Store};

use crate::error::{IpcError, IpcResult};

/// The data folder the app was started on, and the store once it is unlocked. `None` means
/// locked: a fresh start, or after "lock", when the data key is dropped from memory.
#[derive(Debug, Clone)]
pub struct Session {
    pub data: DataDir,
    store: Arc<Mutex<Option<Store>>>,
    /// The sealed previews while the store is unlocked, for the `evidence:` scheme, which must
    /// answer while a long command (an import) holds the store. Cleared on lock, so the
    /// evidence keys leave memory with the store.
    previews: Arc<Mutex<Option<PreviewStore>>>,
}

impl Session {
    pub fn new(root: PathBuf) -> Self {
        Self { data: DataDir::new(root), store: Arc::new(Mutex::new(None)), previews: Arc::new(Mutex::new(None)) }
    }

    /// The previews, or `None` while locked.
    pub fn previews(&self) -> Option<PreviewStore> {
        self.previews.lock().ok().and_then(|p| p.clone())
    }

    /// Run `f` on the unlocked store on a blocking thread, so the window never waits on disk,
    /// the network or the key derivation. Commands queue behind one another on the store.
    pub async fn with_store<T, F>(&self, f: F) -> IpcResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store, &DataDir) -> IpcResult<T> + Send + 'static,
    {
        let (store, data) = (self.store.clone(), self.data.clone());
        blocking(move || {
            let mut guard = store.lock().map_err(poisoned)?;
            let store = guard.as_mut().ok_or_else(IpcError::locked)?;
            f(store, &data)
        })
        .await
    }

    /// Put an unlocked store in place (after init or unlock), once any evidence an earlier
    /// version kept in plaintext is sealed.
    pub async fn open(&self, f: impl FnOnce(&DataDir) -> IpcResult<Store> + Send + 'static) -> IpcResult<()> {
        let (slot, previews, data) = (self.store.clone(), self.previews.clone(), self.data.clone());
        blocking(move || {
            let store = f(&data)?;
            mingcha_evidence::upgrade::seal_plaintext(&store, &data)?;
            *previews.lock().map_err(poisoned)? = Some(mingcha_evidence::import::preview_store(&store, &data));
            *slot.lock().map_err(poisoned)? = Some(store);
            Ok(())
        })
        .await
    }

    /// Open the store on another thread while the window starts, so the key derivation and
    /// the window's start overlap. Returns once that thread holds the store: every command
    /// after this waits for the store to be open (or for the opening to have failed).
    pub fn open_in_background(&self, f: impl FnOnce(&DataDir) -> IpcResult<Store> + Send + 'static) {
        let (slot, previews, data) = (self.store.clone(), self.previews.clone(), self.data.clone());
        let (held, wait) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let Ok(mut guard) = slot.lock() else { return };
            let _ = held.send(());
            let opened = f(&data).and_then(|store| {
                mingcha_evidence::upgrade::seal_plaintext(&store, &data)?;
                Ok(store)
            });
            match opened {
                Ok(store) => {
                    if let Ok(mut p) = previews.lock() {
                        *p = Some(mingcha_evidence::import::preview_store(&store, &data));
                    }
                    *guard = Some(store);
                }
                Err(e) => eprintln!("mingcha-desktop: the store did not open: {e}"),
            }
        });
        let _ = wait.recv();
    }

    /// Whether the store is open, waiting for a command or an opening in progress to finish.
    pub async fn unlocked(&self) -> bool {
        let slot = self.store.clone();
        blocking(move || Ok(slot.lock().map(|s| s.is_some()).unwrap_or(false))).await.unwrap_or(false)
    }

    /// Close the store: its key leaves memory with it.
    pub async fn lock(&self) -> IpcResult<()> {
        let (slot, previews) = (self.store.clone(), self.previews.clone());
        blocking(move || {
            previews.lock().map_err(poisoned)?.take();
            slot.lock().map_err(poisoned)?.take();
            Ok(())
        })
        .await
    }
}

/// The store's lock after a command panicked while holding it.
fn poisoned<T>(_: std::sync::PoisonError<T>) -> IpcError {
    IpcError::internal("an earlier command failed mid-way")
}

/// Run blocking work on Tauri's blocking pool.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> IpcResult<T> + Send + 'static) -> IpcResult<T> {
    tauri::async_runtime::spawn_blocking(f).await.map_err(IpcError::internal)?
}
