//! `mingcha verify`: the chain of custody on this laptop, end to end, for a photo, a finding,
//! a batch or the whole store: the original's bytes ↔ its digest ↔ its record ↔ the device's
//! hash chain ↔ the office's signed receipt ↔ the office's log. One line per check; the exit
//! status is non-zero when anything does not hold.

use anyhow::{Result, bail};
use clap::Subcommand;
use mingcha_store::sync::{CustodyReport, Verdict, VerifyScope};
use mingcha_store::{DataDir, Store};

use crate::output::show;

#[derive(Debug, Subcommand)]
pub enum VerifyCommand {
    /// One photo or file: its bytes, its record, the chain, the receipt and the log.
    Photo { evidence: String },
    /// One finding, with every photo attached to it.
    Finding { finding: String },
    /// One batch this laptop sent.
    Batch { batch: String },
}

pub fn run(store: &Store, data: &DataDir, what: Option<VerifyCommand>, json: bool) -> Result<()> {
    let scope = match what {
        None => VerifyScope::All,
        Some(VerifyCommand::Photo { evidence }) => VerifyScope::Evidence(evidence),
        Some(VerifyCommand::Finding { finding }) => VerifyScope::Finding(finding),
        Some(VerifyCommand::Batch { batch }) => VerifyScope::Batch(batch),
    };
    let mut report = store.verify_custody(&scope)?;
    check_originals(store, data, &mut report);
    show(json, &report, |r| {
        for line in &r.lines {
            let mark = match line.verdict {
                Verdict::Holds => "✓",
                Verdict::Fails => "✗",
                Verdict::Note => "·",
            };
            println!("{mark} {}", line.text);
        }
    })?;
    if !report.holds() {
        let failed = report.lines.iter().filter(|l| l.verdict == Verdict::Fails).count();
        bail!("{failed} check(s) do not hold: see the lines marked ✗");
    }
    Ok(())
}

/// Each original in scope read back through the evidence store, which checks its bytes
/// against the digest its record names.
fn check_originals(store: &Store, data: &DataDir, report: &mut CustodyReport) {
    let blobs = mingcha_evidence::import::blob_store(store, data);
    for b in report.blobs.clone() {
        let short = &b.sha256.as_str()[..12];
        match blobs.verify(&b.sha256) {
            Ok(true) => report.push(
                Verdict::Holds,
                format!("original {short}… of {}: {} bytes that hash to the digest its record names", b.record, b.size),
            ),
            Ok(false) => report.push(
                Verdict::Fails,
                format!(
                    "original {short}… of {}: altered on disk: its sealed file no longer opens as the bytes that hash to {}",
                    b.record,
                    b.sha256.as_str()
                ),
            ),
            Err(e) => report.push(Verdict::Fails, format!("original {short}… of {}: {e}", b.record)),
        }
    }
}
