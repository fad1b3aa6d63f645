//! Importing the day's files: a camera folder, a card, or single files, attached to a finding,
//! a visit, or a checklist item.
//!
//! Every core works: workers hash, store, read EXIF and make previews; the calling thread
//! records each file in the store, one transaction per file, only after its bytes are durable.
//! One bad file is one line in the summary; the rest of the import goes on, and nothing
//! already stored is touched.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{BufReader, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Sender};

use mingcha_core::evidence::{EvidenceFlag, Sha256Hex};
use mingcha_core::id::EvidenceId;
use mingcha_store::evidence::{BlobRecord, Recorded, TargetRef};
use mingcha_store::{DataDir, Store};
use serde::Serialize;

use crate::blobs::BlobStore;
use crate::preview::{PreviewStore, decode_upright};
use crate::{EvidenceError, exif, sniff};

/// Images up to this size are read into memory once (hash, EXIF and previews from the same
/// bytes); anything bigger streams through a small buffer.
const IN_MEMORY_LIMIT: u64 = 64 << 20;

/// Set `MINGCHA_FAULT=abort-after-blob` to kill the process after a file's bytes are stored and
/// before its row is committed: the crash the write order is designed to survive, made
/// reproducible for tests.
pub const FAULT_VAR: &str = "MINGCHA_FAULT";

/// The originals of a data directory, sealed under the unlocked store's evidence keys.
pub fn blob_store(store: &Store, data: &DataDir) -> BlobStore {
    BlobStore::new(data.root().join("evidence"), store.evidence_keys())
}

/// The previews of a data directory, sealed like the originals.
pub fn preview_store(store: &Store, data: &DataDir) -> PreviewStore {
    PreviewStore::new(data.root().join("previews"), store.evidence_keys())
}

/// What an import reports while it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Progress {
    /// The files found, and their total size.
    Planned { files: usize, bytes: u64 },
    /// One more file is done.
    File { done: usize, bytes_done: u64, path: PathBuf },
}

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Imported { evidence_id: EvidenceId, sha256: Sha256Hex, media_type: String, flags: Vec<EvidenceFlag> },
    AlreadyPresent { evidence_id: Option<EvidenceId>, sha256: Option<Sha256Hex>, note: String },
    Failed { code: &'static str, reason: String },
}

/// Why one file was not imported, with a stable code for programs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("empty file (0 bytes): there is nothing to keep")]
    Empty,
    #[error("cannot read: {0}")]
    Unreadable(String),
    #[error("a symbolic link loops back to a folder above it; not followed")]
    LinkLoop,
    #[error("not a regular file")]
    NotRegular,
    /// The name claims one kind of file and the content is another.
    #[error("{0}")]
    Mislabelled(String),
    #[error("not stored: {0}")]
    NotStored(String),
    #[error("not recorded: {0}")]
    NotRecorded(String),
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::Unreadable(_) => "unreadable",
            Self::LinkLoop => "link_loop",
            Self::NotRegular => "not_regular",
            Self::Mislabelled(_) => "mislabelled",
            Self::NotStored(_) => "not_stored",
            Self::NotRecorded(_) => "not_recorded",
        }
    }
}

impl From<Refusal> for Outcome {
    fn from(r: Refusal) -> Self {
        Outcome::Failed { code: r.code(), reason: r.to_string() }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FileResult {
    pub path: PathBuf,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// The end of an import: every file, in the order found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Summary {
    pub imported: usize,
    pub already_present: usize,
    pub failed: usize,
    pub files: Vec<FileResult>,
}

enum Listed {
    File { path: PathBuf, size: u64 },
    Skipped { path: PathBuf, outcome: Outcome },
}

/// The files named by `inputs`: folders are walked (following links, refusing loops), the
/// same file named twice is imported once.
fn list(inputs: &[PathBuf]) -> Vec<Listed> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut add = |out: &mut Vec<Listed>, path: PathBuf, size: u64| {
        let key = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if seen.insert(key) {
            out.push(Listed::File { path, size });
        } else {
            let note = "named twice in this import; imported once".to_owned();
            out.push(Listed::Skipped {
                path,
                outcome: Outcome::AlreadyPresent { evidence_id: None, sha256: None, note },
            });
        }
    };
    let failed = |path: &Path, refusal: Refusal| Listed::Skipped { path: path.to_owned(), outcome: refusal.into() };
    for input in inputs {
        match fs::metadata(input) {
            Err(e) => out.push(failed(input, Refusal::Unreadable(e.to_string()))),
            Ok(m) if m.is_file() => add(&mut out, input.clone(), m.len()),
            Ok(m) if m.is_dir() => {
                let walk = walkdir::WalkDir::new(input).follow_links(true).sort_by_file_name();
                // Hidden files in camera folders are system litter (._IMG_0001.JPG, .DS_Store).
                for entry in walk
                    .into_iter()
                    .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
                {
                    match entry {
                        Err(e) => {
                            let path = e.path().unwrap_or(input).to_owned();
                            let refusal = if e.loop_ancestor().is_some() {
                                Refusal::LinkLoop
                            } else {
                                Refusal::Unreadable(e.io_error().map_or_else(|| e.to_string(), ToString::to_string))
                            };
                            out.push(failed(&path, refusal));
                        }
                        Ok(e) if e.file_type().is_file() => {
                            let size = e.metadata().map(|m| m.len()).unwrap_or(0);
                            add(&mut out, e.into_path(), size);
                        }
                        Ok(e) if e.file_type().is_dir() => {}
                        Ok(e) => out.push(failed(e.path(), Refusal::NotRegular)),
                    }
                }
            }
            Ok(_) => out.push(failed(input, Refusal::NotRegular)),
        }
    }
    out
}

/// Store one file and read what it says. `Err` is the reason it is refused.
fn process(path: &Path, size: u64, blobs: &BlobStore, previews: &PreviewStore) -> Result<BlobRecord, Refusal> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if size == 0 {
        return Err(Refusal::Empty);
    }
    let unreadable = |e: std::io::Error| Refusal::Unreadable(e.to_string());
    let not_stored = |e: EvidenceError| Refusal::NotStored(e.to_string());
    let mut file = File::open(path).map_err(unreadable)?;
    let mut head = [0u8; 32];
    let n = read_head(&mut file, &mut head).map_err(unreadable)?;
    let sniffed = sniff::media_type(&head[..n]);
    if let Some(reason) = sniff::contradiction(&name, sniffed) {
        return Err(Refusal::Mislabelled(reason));
    }
    let media_type = sniffed.unwrap_or("application/octet-stream").to_owned();
    let is_image = media_type.starts_with("image/");
    if is_image && size <= IN_MEMORY_LIMIT {
        let mut bytes = head[..n].to_vec();
        file.read_to_end(&mut bytes).map_err(unreadable)?;
        let put = blobs.put_bytes(&bytes).map_err(not_stored)?;
        let meta = exif::read(Cursor::new(&bytes));
        let mut damaged = None;
        if previewable(&media_type) && !previews.exist(&put.sha256) {
            match decode_upright(&bytes, &media_type, meta.orientation) {
                Ok(img) => {
                    previews.write(&put.sha256, &img).map_err(not_stored)?;
                }
                Err(undecodable) => {
                    previews.write_placeholder(&put.sha256).map_err(not_stored)?;
                    damaged = Some(undecodable.to_string());
                }
            }
        }
        return Ok(BlobRecord { sha256: put.sha256, size: put.size, media_type, meta, damaged });
    }
    let reader = Cursor::new(head[..n].to_vec()).chain(file);
    let put = blobs.put_stream(BufReader::new(reader)).map_err(not_stored)?;
    let meta = if is_image {
        blobs.open(&put.sha256).map(|f| exif::read(BufReader::new(f))).unwrap_or_default()
    } else {
        Default::default()
    };
    Ok(BlobRecord { sha256: put.sha256, size: put.size, media_type, meta, damaged: None })
}

/// The photo kinds previews are made for. GIF and other images are kept without a preview,
/// not called damaged.
fn previewable(media_type: &str) -> bool {
    matches!(media_type, "image/jpeg" | "image/png" | "image/webp" | "image/heic")
}

fn read_head(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Import `inputs` (files and folders) as evidence for `target`.
///
/// Fails as a whole only when the target does not exist (nothing is stored then); every
/// per-file problem is reported in the summary.
pub fn import(
    store: &mut Store,
    data: &DataDir,
    target: &TargetRef,
    inputs: &[PathBuf],
    progress: Option<&Sender<Progress>>,
) -> Result<Summary, EvidenceError> {
    let target = store.resolve_target(target)?;
    let blobs = blob_store(store, data);
    let previews = preview_store(store, data);
    blobs.sweep_temporary();
    let listed = list(inputs);
    let mut results: Vec<Option<FileResult>> = vec![None; listed.len()];
    let mut work = Vec::new();
    for (i, l) in listed.into_iter().enumerate() {
        match l {
            Listed::File { path, size } => work.push((i, path, size)),
            Listed::Skipped { path, outcome } => results[i] = Some(FileResult { path, outcome }),
        }
    }
    let total: u64 = work.iter().map(|w| w.2).sum();
    let send = |p: Progress| {
        if let Some(tx) = progress {
            let _ = tx.send(p);
        }
    };
    send(Progress::Planned { files: work.len(), bytes: total });
    let abort_after_blob = std::env::var(FAULT_VAR).is_ok_and(|v| v == "abort-after-blob");

    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).min(work.len().max(1));
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let (work, next, blobs, previews) = (&work, &next, &blobs, &previews);
            scope.spawn(move || {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some((i, path, size)) = work.get(k) else { break };
                    let processed = process(path, *size, blobs, previews);
                    if tx.send((*i, path.clone(), *size, processed)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let (mut done, mut bytes_done) = (0, 0);
        for (i, path, size, processed) in rx {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let outcome = match processed {
                Err(refusal) => refusal.into(),
                Ok(blob) => {
                    if abort_after_blob {
                        std::process::abort();
                    }
                    match store.record_evidence(&target, &blob, &name) {
                        Ok(Recorded::New(e)) => {
                            let flags = mingcha_core::evidence::flags(
                                &blob.media_type,
                                &blob.meta,
                                blob.damaged.as_deref(),
                                Some(target.visit_on),
                            );
                            Outcome::Imported {
                                evidence_id: e.id,
                                sha256: e.sha256,
                                media_type: blob.media_type,
                                flags,
                            }
                        }
                        Ok(Recorded::AlreadyPresent(e)) => Outcome::AlreadyPresent {
                            evidence_id: Some(e.id),
                            sha256: Some(e.sha256),
                            note: format!("already attached as {}", e.original_name),
                        },
                        Err(e) => Refusal::NotRecorded(e.to_string()).into(),
                    }
                }
            };
            done += 1;
            bytes_done += size;
            send(Progress::File { done, bytes_done, path: path.clone() });
            results[i] = Some(FileResult { path, outcome });
        }
    });

    let files: Vec<FileResult> = results.into_iter().flatten().collect();
    let count = |f: fn(&Outcome) -> bool| files.iter().filter(|r| f(&r.outcome)).count();
    Ok(Summary {
        imported: count(|o| matches!(o, Outcome::Imported { .. })),
        already_present: count(|o| matches!(o, Outcome::AlreadyPresent { .. })),
        failed: count(|o| matches!(o, Outcome::Failed { .. })),
        files,
    })
}
