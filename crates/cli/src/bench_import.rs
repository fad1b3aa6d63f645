//! `mingcha bench import`: our whole import (hash, EXIF, both previews, durable store and
//! database rows) against vipsthumbnail making the same two preview sizes from the same files,
//! in one run, with the ratio. Not a test: the goal (at least as fast as vipsthumbnail making
//! previews alone; peak memory for 1,000 photos under 500 MB) is read off the output.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::{NaiveDate, TimeZone};
use mingcha_core::finding::Severity;
use mingcha_core::inspection::InspectionKind;
use mingcha_core::unit::NewUnit;
use mingcha_evidence::sample::{SampleExif, camera_photo};
use mingcha_store::findings::NewFinding;
use mingcha_store::visits::NewVisit;
use mingcha_store::{DataDir, InitOptions, KdfParams, Store, SystemClock};

const PASSPHRASE: &str = "benchmark passphrase";

/// Options of `mingcha bench import`.
#[derive(Debug, Clone)]
pub struct ImportBench {
    pub photos: usize,
    pub distinct: usize,
    pub folder: Option<PathBuf>,
    pub seed: u64,
}

/// Make `n` camera photos: `distinct` different 12 MP frames, the rest copies that differ in a
/// comment segment (so each has its own digest but costs the same to decode).
fn make_photos(dir: &Path, n: usize, distinct: usize, seed: u64) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let day = NaiveDate::from_ymd_opt(2026, 11, 10).context("date")?;
    let frames: Vec<Vec<u8>> = (0..distinct.max(1))
        .map(|i| {
            let exif = SampleExif {
                taken_at: day.and_hms_opt(9, (i % 60) as u32, 0),
                offset: Some("+08:00".into()),
                gps: Some((30.27, 120.15)),
                make: Some("Canon".into()),
                model: Some("EOS M50".into()),
                orientation: Some(if i % 5 == 4 { 6 } else { 1 }),
            };
            camera_photo(4000, 3000, seed + i as u64, &exif)
        })
        .collect();
    (0..n)
        .map(|i| {
            let frame = &frames[i % frames.len()];
            let mut bytes = frame[..2].to_vec();
            let comment = format!("copy {i}");
            bytes.extend_from_slice(&[0xFF, 0xFE]);
            bytes.extend_from_slice(&u16::try_from(comment.len() + 2)?.to_be_bytes());
            bytes.extend_from_slice(comment.as_bytes());
            bytes.extend_from_slice(&frame[2..]);
            let path = dir.join(format!("IMG_{i:04}.JPG"));
            std::fs::write(&path, bytes)?;
            Ok(path)
        })
        .collect()
}

fn jpegs_in(folder: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("jpg") || e.eq_ignore_ascii_case("jpeg")))
        .collect();
    files.sort();
    Ok(files)
}

/// A store with one finding to attach the photos to.
fn prepare_store(data: &DataDir) -> Result<String> {
    let opts =
        InitOptions { inspector_name: "基准测试".into(), device_name: "bench".into(), kdf: KdfParams::default() };
    let mut s = Store::init(data, PASSPHRASE, &opts, Arc::new(SystemClock))?;
    s.add_unit(NewUnit::parse("基准测试单位", None, &[])?)?;
    let day = NaiveDate::from_ymd_opt(2026, 11, 10).context("date")?;
    let v = s.add_visit(NewVisit {
        unit: "基准测试单位".into(),
        spot: None,
        plan: None,
        kind: InspectionKind::Open,
        date: day,
        arrived_at: None,
        inspectors: vec![],
        notes: None,
    })?;
    let at = chrono::FixedOffset::east_opt(8 * 3600)
        .context("offset")?
        .with_ymd_and_hms(2026, 11, 10, 9, 0, 0)
        .single()
        .context("time")?;
    let f = s.add_finding(NewFinding {
        visit: v.id.to_string(),
        spot: None,
        observed_at: at,
        method: None,
        category: Some("脱岗离岗".into()),
        severity: Severity::Minor,
        description: "基准测试".into(),
        persons_involved: None,
        checklist_item: None,
    })?;
    Ok(f.finding.id.to_string())
}

pub fn run(o: ImportBench) -> Result<()> {
    let vips = Command::new("vipsthumbnail").arg("--version").output();
    if !vips.is_ok_and(|v| v.status.success()) {
        bail!(
            "vipsthumbnail (the reference) is not installed: apt-get install libvips-tools, or run `cargo xtask bench`"
        );
    }
    let tmp = tempfile::tempdir()?;
    let files = match &o.folder {
        Some(f) => jpegs_in(f)?,
        None => {
            let t = Instant::now();
            let files = make_photos(&tmp.path().join("DCIM"), o.photos, o.distinct, o.seed)?;
            println!(
                "made {} photos ({} distinct frames) in {:.1} s",
                files.len(),
                o.distinct,
                t.elapsed().as_secs_f64()
            );
            files
        }
    };
    if files.is_empty() {
        bail!("no JPEG files to import");
    }
    let bytes: u64 = files.iter().map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0)).sum();
    println!(
        "mingcha bench import: {} JPEGs, {:.1} MB, {:.1} MB a photo on average",
        files.len(),
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / files.len() as f64
    );

    // Ours: the real command in a child process, so its time and peak memory are its own.
    let data = DataDir::new(tmp.path().join("store"));
    let finding = prepare_store(&data)?;
    let list = tmp.path().join("files");
    std::fs::create_dir_all(&list)?;
    for f in &files {
        let link = list.join(f.file_name().context("file name")?);
        std::os::unix::fs::symlink(std::fs::canonicalize(f)?, link)?;
    }
    let t = Instant::now();
    let out = Command::new(std::env::current_exe()?)
        .args(["--json", "--data"])
        .arg(data.root())
        .args(["photo", "import", "--finding", &finding])
        .arg(&list)
        .env("MINGCHA_PASSPHRASE", PASSPHRASE)
        .output()?;
    let ours = t.elapsed();
    let peak_kib = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)?.max_rss();
    if !out.status.success() {
        bail!("mingcha photo import failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    if summary["imported"].as_u64() != Some(files.len() as u64) {
        bail!("expected {} imported, got {}", files.len(), summary["imported"]);
    }

    // The reference: vipsthumbnail making the same two sizes (shrink-on-load, auto-rotate).
    let out_dir = tmp.path().join("vips");
    std::fs::create_dir_all(&out_dir)?;
    let t = Instant::now();
    for size in ["256", "1600"] {
        let status = Command::new("vipsthumbnail")
            .args(["-s", size, "-o"])
            .arg(out_dir.join(format!("%s-{size}.jpg[Q=82]")))
            .args(&files)
            .status()?;
        if !status.success() {
            bail!("vipsthumbnail -s {size} failed");
        }
    }
    let reference = t.elapsed();

    let rate = |d: std::time::Duration| files.len() as f64 / d.as_secs_f64();
    println!();
    println!("{:<58} {:>10} {:>10}", "", "photos/s", "seconds");
    println!(
        "{:<58} {:>10.2} {:>10.2}",
        "mingcha photo import (hash, EXIF, 2 previews, fsync, rows)",
        rate(ours),
        ours.as_secs_f64()
    );
    println!(
        "{:<58} {:>10.2} {:>10.2}",
        "vipsthumbnail, 256 px and 1600 px previews only",
        rate(reference),
        reference.as_secs_f64()
    );
    println!("ratio (mingcha rate / vipsthumbnail rate): {:.2}×   goal ≥ 1.00×", rate(ours) / rate(reference));
    println!(
        "mingcha peak resident memory: {:.0} MB for {} photos   goal < 500 MB for 1,000",
        peak_kib as f64 / 1024.0,
        files.len()
    );
    Ok(())
}
