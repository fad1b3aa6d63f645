//! The inspector's desktop app: a thin Tauri v2 shell over `mingcha-store` and
//! `mingcha-evidence`, with the Vue UI from `ui/`.
//!
//! Each command ([`commands`]) parses its input, calls the library on a blocking thread, and
//! maps the error to `{code, message}` ([`error::IpcError`]). Long work (import, sync) streams
//! progress events. The types crossing IPC are generated into `ui/src/ipc/bindings.ts` by
//! [`bindings`], so the UI never restates them by hand.
//!
//! **Architecture invariant:** this is the only crate that knows Tauri; it holds no domain
//! logic of its own beyond the demo day.

#![forbid(unsafe_code)]

pub mod bindings;
pub mod commands;
mod demo;
pub mod error;
pub mod session;

use std::path::PathBuf;
use std::time::Instant;

use tauri::Manager;

use crate::session::Session;

/// Where the store lives: `--data DIR`, else `MINGCHA_DATA`, else the app's data folder.
fn data_dir_from_args() -> Option<PathBuf> {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--data" {
            return args.next().map(PathBuf::from);
        }
        if let Some(v) = a.strip_prefix("--data=") {
            return Some(PathBuf::from(v));
        }
    }
    std::env::var_os("MINGCHA_DATA").map(PathBuf::from)
}

pub fn run() {
    let started = Instant::now();
    let result = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            // The developer tools, in a debug build only: a release's window cannot open them.
            #[cfg(debug_assertions)]
            app.add_capability(include_str!("../capabilities-debug/devtools.json"))?;
            let root = match data_dir_from_args() {
                Some(dir) => dir,
                None => app.path().app_data_dir()?.join("store"),
            };
            let session = Session::new(root);
            // As with the CLI, a passphrase in the environment opens the store at start (for
            // a scripted kiosk or the startup benchmark); otherwise the window asks for it.
            if let Ok(passphrase) = std::env::var("MINGCHA_PASSPHRASE")
                && session.data.is_initialised()
            {
                let opened = tauri::async_runtime::block_on(session.open(move |data| {
                    Ok(mingcha_store::Store::unlock(
                        data,
                        &passphrase,
                        std::sync::Arc::new(mingcha_store::SystemClock),
                    )?)
                }));
                if let Err(e) = opened {
                    eprintln!("mingcha-desktop: MINGCHA_PASSPHRASE did not open the store: {e}");
                }
            }
            app.manage(session);
            Ok(())
        })
        .register_uri_scheme_protocol("evidence", |ctx, request| commands::evidence::serve(ctx.app_handle(), &request))
        .invoke_handler(tauri::generate_handler![
            commands::session::app_state,
            commands::session::create_store,
            commands::session::unlock,
            commands::session::lock,
            commands::session::identity,
            commands::session::change_passphrase,
            commands::session::load_demo,
            commands::field::today_view,
            commands::field::units,
            commands::field::add_unit,
            commands::field::templates,
            commands::field::taxonomy,
            commands::field::add_plan,
            commands::field::start_visit,
            commands::field::end_visit,
            commands::field::visit_detail,
            commands::field::open_checklist,
            commands::field::answer_item,
            commands::findings::add_finding,
            commands::findings::edit_finding,
            commands::findings::delete_finding,
            commands::findings::finding_detail,
            commands::findings::search_findings,
            commands::evidence::import_evidence,
            commands::sync::enroll,
            commands::sync::sync_status,
            commands::sync::sync_now,
            commands::sync::office_reachable,
            first_screen,
        ])
        .manage(Started(started))
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("mingcha-desktop: {e}");
        std::process::exit(1);
    }
}

struct Started(Instant);

/// The UI calls this once its first screen has rendered. With `MINGCHA_REPORT_READY` set the
/// app prints how long that took, for the startup benchmark.
#[tauri::command]
fn first_screen(started: tauri::State<'_, Started>) {
    if std::env::var_os("MINGCHA_REPORT_READY").is_some() {
        println!("ready {} ms", started.0.elapsed().as_millis());
    }
}
