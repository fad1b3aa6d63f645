//! `mingcha photo …`: bring photos and files in as evidence, list them with their flags, and
//! make disclosure copies for notices.

use std::path::PathBuf;
use std::sync::mpsc;

use anyhow::{Result, anyhow, bail};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use mingcha_evidence::import::{self, Outcome, Progress, Summary};
use mingcha_store::evidence::{EvidenceView, TargetRef};
use mingcha_store::{DataDir, Store};

use crate::output::show;

#[derive(Debug, Subcommand)]
pub enum PhotoCommand {
    /// Import files and folders (recursively) as evidence. JPEG, PNG, WebP and HEIC photos, and
    /// any other file (audio, video, PDF) kept as it is.
    Import {
        #[command(flatten)]
        target: TargetArgs,
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// List the evidence of a finding, a visit or a checklist item, with its flags.
    List {
        #[command(flatten)]
        target: TargetArgs,
    },
    /// Show one piece of evidence: EXIF, flags, where its sealed original is.
    Show { evidence: String },
    /// Write an original's bytes, decrypted and checked against its digest, to a file.
    Export {
        evidence: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Check every stored original against its digest; list missing, altered and orphan files.
    Check,
    /// Write sample camera photos (with EXIF taken on DATE) to try Mingcha without a camera.
    Sample {
        out: PathBuf,
        #[arg(long, default_value_t = 3)]
        count: u64,
        /// The capture day written into EXIF (YYYY-MM-DD); defaults to today.
        #[arg(long)]
        date: Option<String>,
    },
    /// Make a disclosure copy for a notice: watermark (time, place, inspector, finding) burned
    /// in. It is kept sealed in the store; --out writes it as a plain JPEG. The original stays
    /// as it is.
    Disclose {
        evidence: String,
        /// Remove GPS from the copy.
        #[arg(long)]
        no_gps: bool,
        /// Also write the copy to this file.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct TargetArgs {
    /// Attach to a finding.
    #[arg(long)]
    finding: Option<String>,
    /// Attach to a visit as a whole.
    #[arg(long)]
    visit: Option<String>,
    /// Attach to a checklist item: VISIT:TEMPLATE:ITEM, e.g. 01a2…:window-service:3.
    #[arg(long = "checklist-item")]
    item: Option<String>,
}

impl TargetArgs {
    fn target(&self) -> Result<TargetRef> {
        Ok(match (&self.finding, &self.visit, &self.item) {
            (Some(f), _, _) => TargetRef::Finding(f.clone()),
            (_, Some(v), _) => TargetRef::Visit(v.clone()),
            (_, _, Some(i)) => {
                let mut parts = i.splitn(3, ':');
                match (parts.next(), parts.next(), parts.next()) {
                    (Some(visit), Some(template), Some(item)) => {
                        TargetRef::ChecklistItem { visit: visit.into(), template: template.into(), item: item.into() }
                    }
                    _ => bail!("checklist item `{i}`: write VISIT:TEMPLATE:ITEM"),
                }
            }
            _ => bail!("say what to attach to: --finding, --visit or --checklist-item"),
        })
    }
}

/// Run a photo command; the store is unlocked only by the commands that need it.
pub fn run(data: &DataDir, c: PhotoCommand, json: bool, unlock: impl FnOnce() -> Result<Store>) -> Result<()> {
    match c {
        PhotoCommand::Import { target, paths } => {
            let store = &mut unlock()?;
            let target = target.target()?;
            let (tx, rx) = mpsc::channel();
            let bar = if json { ProgressBar::hidden() } else { ProgressBar::new(0) };
            bar.set_style(
                ProgressStyle::with_template("{spinner} {pos}/{len} files  {msg}  [{elapsed_precise}]")
                    .map_err(|e| anyhow!("progress bar: {e}"))?,
            );
            let shown = bar.clone();
            let follower = std::thread::spawn(move || {
                for p in rx {
                    match p {
                        Progress::Planned { files, bytes } => {
                            shown.set_length(files as u64);
                            shown.set_message(format!("{:.1} MB", bytes as f64 / 1e6));
                        }
                        Progress::File { done, bytes_done, path } => {
                            shown.set_position(done as u64);
                            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                            shown.set_message(format!("{:.1} MB  {name}", bytes_done as f64 / 1e6));
                        }
                    }
                }
            });
            let summary = import::import(store, data, &target, &paths, Some(&tx));
            drop(tx);
            let _ = follower.join();
            bar.finish_and_clear();
            let summary = summary?;
            show(json, &summary, print_summary)?;
            if summary.failed > 0 {
                bail!("{} of {} files were not imported (reasons above)", summary.failed, summary.files.len());
            }
            Ok(())
        }
        PhotoCommand::List { target } => {
            let store = &mut unlock()?;
            let target = store.resolve_target(&target.target()?)?;
            let list = store.evidence_of_target(&target.target)?;
            show(json, &list, |l| l.iter().for_each(print_evidence))
        }
        PhotoCommand::Sample { out, count, date } => sample(&out, count, date.as_deref(), json),
        PhotoCommand::Check => {
            let store = &mut unlock()?;
            let report = mingcha_evidence::check::check(store, data)?;
            show(json, &report, |r| {
                for h in &r.missing {
                    println!("MISSING   {}", h.as_str());
                }
                for h in &r.altered {
                    println!("ALTERED   {}  (the bytes no longer match their digest)", h.as_str());
                }
                for h in &r.orphans {
                    println!("orphan    {h}  (stored, not recorded: a later import of the same file reuses it)");
                }
                println!(
                    "{} intact, {} missing, {} altered, {} orphans",
                    r.intact,
                    r.missing.len(),
                    r.altered.len(),
                    r.orphans.len()
                );
            })?;
            if !report.holds() {
                bail!("{} recorded originals are missing or altered", report.missing.len() + report.altered.len());
            }
            Ok(())
        }
        PhotoCommand::Disclose { evidence, no_gps, out } => {
            let store = &mut unlock()?;
            let d = mingcha_evidence::disclosure::disclose(store, data, &evidence, no_gps)?;
            if let Some(out) = &out {
                let bytes = import::blob_store(store, data).read(&d.sha256)?;
                std::fs::write(out, bytes).map_err(|e| anyhow!("writing {}: {e}", out.display()))?;
            }
            show(json, &d, |d| {
                println!("disclosure copy {}  sealed in the store", d.sha256.as_str());
                if let Some(out) = &out {
                    println!("  written to {}", out.display());
                }
                for line in &d.watermark {
                    println!("  {line}");
                }
                if d.gps_removed {
                    println!("  GPS removed");
                }
            })
        }
        PhotoCommand::Export { evidence, out } => {
            let store = &mut unlock()?;
            let e = store.evidence(&evidence)?;
            let bytes = import::blob_store(store, data).read(&e.evidence.sha256)?;
            std::fs::write(&out, &bytes).map_err(|err| anyhow!("writing {}: {err}", out.display()))?;
            let written = serde_json::json!({ "sha256": e.evidence.sha256, "size": bytes.len(), "out": out });
            show(json, &written, |_| {
                println!("{}  {} bytes, sha256 {} checked", out.display(), bytes.len(), e.evidence.sha256.as_str())
            })
        }
        PhotoCommand::Show { evidence } => {
            let store = &mut unlock()?;
            let e = store.evidence(&evidence)?;
            let original = import::blob_store(store, data).path(&e.evidence.sha256);
            let has_previews = import::preview_store(store, data).exist(&e.evidence.sha256);
            let out = serde_json::json!({ "evidence": e, "sealed": original, "previews": has_previews });
            show(json, &out, |_| {
                print_evidence(&e);
                println!("  sha256    {}", e.evidence.sha256.as_str());
                println!("  sealed    {}  (photo export writes its bytes)", original.display());
                println!("  previews  {}", if has_previews { "yes" } else { "no" });
                if let Some(g) = e.meta.gps {
                    println!("  GPS       {:.6}, {:.6}", g.lat, g.lon);
                }
                if let (Some(make), model) = (&e.meta.make, &e.meta.model) {
                    println!("  camera    {make} {}", model.as_deref().unwrap_or(""));
                }
            })
        }
    }
}

/// Write `count` sample photos into `out` (no store needed).
fn sample(out: &std::path::Path, count: u64, date: Option<&str>, json: bool) -> Result<()> {
    let day = crate::when::date("date", date)?;
    let first_shot = day.and_hms_opt(9, 10, 0).ok_or_else(|| anyhow!("09:10 on {day}"))?;
    let offset = chrono::Local::now().format("%:z").to_string();
    let written = mingcha_evidence::sample::camera_card(out, count, first_shot, &offset, "sample")
        .map_err(|e| anyhow!("writing sample photos to {}: {e}", out.display()))?;
    show(json, &written, |w| w.iter().for_each(|p| println!("{}", p.display())))
}

/// One line for a piece of evidence, with its flags in words.
pub fn print_evidence(e: &EvidenceView) {
    let taken = e.meta.taken_at.map_or("无拍摄时间".to_owned(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string());
    let flags: Vec<String> = e.flags.iter().map(|f| f.label_zh()).collect();
    let flags = if flags.is_empty() { String::new() } else { format!("  ⚠ {}", flags.join("；")) };
    println!(
        "{}  {}  {}  {:.1} KB  拍摄 {taken}{flags}",
        e.evidence.id,
        e.evidence.original_name,
        e.evidence.media_type,
        e.evidence.size as f64 / 1024.0
    );
}

fn print_summary(s: &Summary) {
    for f in &s.files {
        match &f.outcome {
            Outcome::Imported { flags, .. } if !flags.is_empty() => {
                let words: Vec<String> = flags.iter().map(|x| x.label_zh()).collect();
                println!("imported  {}  ⚠ {}", f.path.display(), words.join("；"));
            }
            Outcome::Imported { .. } => {}
            Outcome::AlreadyPresent { note, .. } => println!("present   {}  ({note})", f.path.display()),
            Outcome::Failed { reason, .. } => println!("FAILED    {}  {reason}", f.path.display()),
        }
    }
    println!("imported {}, already present {}, failed {}", s.imported, s.already_present, s.failed);
}
