//! `mingcha enroll` and `mingcha sync`: short adapters over the store's sync, with a progress
//! bar for the bytes going up and a summary at the end.

use anyhow::{Result, anyhow, bail};
use indicatif::{ProgressBar, ProgressStyle};
use mingcha_store::sync::{SyncEvent, SyncOptions, SyncStatus, SyncSummary};
use mingcha_store::{DataDir, Store};

use crate::output::show;

pub fn enroll(store: &mut Store, server: &str, token: &str, json: bool) -> Result<()> {
    let e = store.enroll(server, token)?;
    show(json, &e, |e| {
        println!("Enrolled with the office at {} as {}", e.server_url, e.inspector_name);
        println!("  device {}", e.device_id);
        if e.acked_seq > 0 {
            println!("  the office already holds this laptop's changes up to {}", e.acked_seq);
        }
        println!("Run `mingcha sync` at the end of each day.");
    })
}

pub fn sync(store: &mut Store, data: &DataDir, server: Option<String>, json: bool) -> Result<()> {
    let bar = if json { ProgressBar::hidden() } else { ProgressBar::new(0) };
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg:32} {bytes}/{total_bytes} [{wide_bar}] {bytes_per_sec}")
            .map_err(|e| anyhow!("progress bar: {e}"))?,
    );
    let mut progress = |e: SyncEvent| match e {
        SyncEvent::Batch { changes, resumed, .. } => {
            bar.set_message(format!("{}{changes} changes", if resumed { "resuming: " } else { "" }));
        }
        SyncEvent::Uploading { blobs, bytes } => {
            bar.inc_length(bytes);
            bar.set_message(format!("{blobs} files"));
        }
        SyncEvent::BlobBytes { bytes } => bar.inc(bytes),
        SyncEvent::BlobDone { .. } => {}
        SyncEvent::BlobFailed { failure } => bar.println(format!("  not sent: {} ({})", failure.what, failure.reason)),
        SyncEvent::Committed { stored, .. } => bar.set_message(format!("office stored {stored} changes")),
        SyncEvent::Pulled { events } => bar.set_message(format!("{events} office events")),
    };
    let blobs = mingcha_evidence::import::blob_store(store, data);
    let opts = SyncOptions { server_url: server, ..SyncOptions::default() };
    let summary = store.sync_with(&opts, &blobs, &mut progress);
    bar.finish_and_clear();
    let summary = summary?;
    show(json, &summary, print_summary)?;
    if !summary.failures.is_empty() {
        bail!(
            "{} item(s) could not be sent; {} change(s) wait for the next `mingcha sync`",
            summary.failures.len(),
            summary.unsynced_changes
        );
    }
    Ok(())
}

fn print_summary(s: &SyncSummary) {
    println!("Synced with {}", s.server);
    println!(
        "  changes: {} sent, {} already at the office   files: {} sent ({:.1} MB), {} already there",
        s.changes_stored,
        s.changes_already_there,
        s.blobs_uploaded,
        s.bytes_sent as f64 / 1e6,
        s.blobs_already_there
    );
    println!("  from the office: {} (decisions, plans, templates, categories)", s.events_applied);
    for note in &s.notes {
        println!("  note: {note}");
    }
    if s.unsynced_changes > 0 {
        println!("  {} change(s) still to send", s.unsynced_changes);
    }
    for f in &s.failures {
        println!("  failed: {} [{}] {}", f.what, f.code, f.reason);
    }
}

/// The sync lines of `mingcha status`.
pub fn print_status(s: &SyncStatus) {
    match (&s.server, s.enrolled_at) {
        (Some(url), Some(at)) => println!("office: {url} (enrolled {})", at.format("%Y-%m-%d %H:%M UTC")),
        _ => println!("office: not enrolled (`mingcha enroll --server URL --token TOKEN`)"),
    }
    let last = s.last_sync_at.map_or_else(|| "never".to_owned(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string());
    println!("  unsynced changes {}   last sync {last}", s.unsynced_changes);
    if let Some(b) = s.open_batch {
        println!("  batch {b} is waiting for the office's receipt (run `mingcha sync`)");
    }
}
