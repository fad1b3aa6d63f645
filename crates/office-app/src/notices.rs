//! Notices (通报): the office's settings for them, and publishing one: the chosen problems
//! grouped by unit and category with their photos, numbered per year (发文字号), written as a
//! .docx frozen in the blob store by its digest, and recorded with its serial in one write.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Utc};
use mingcha_office::notice::{NoticeCategory, NoticeDoc, NoticeItem, NoticePhoto, NoticeUnit, notice_number};
use mingcha_office_db::blobs::BlobStore;
use mingcha_office_db::{Repo, RepoError};
use serde::{Deserialize, Serialize};

use crate::problem::Actor;
use crate::world::{FindingView, World};
use crate::{Error, Result, Versioned, kind, load, new_id, put_doc, today};

/// What every notice of this office prints: its red header, its 发文字号 prefix, its 落款.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NoticeSettings {
    /// 发文机关标志, e.g. `城南区作风效能建设领导小组办公室`.
    pub issuer: String,
    /// The 机关代字 of 发文字号, e.g. `城南效能` → `城南效能〔2026〕3号`.
    pub issuer_short: String,
    /// 落款.
    pub signer: String,
    /// The usual 主送.
    pub addressees: String,
}

impl Default for NoticeSettings {
    fn default() -> Self {
        Self {
            issuer: "作风效能建设领导小组办公室".into(),
            issuer_short: "效能".into(),
            signer: "作风效能建设领导小组办公室".into(),
            addressees: "各有关单位：".into(),
        }
    }
}

/// The id of the settings document.
pub const SETTINGS_ID: &str = "notice";

/// The settings in force (the defaults until an admin saves some).
pub async fn current_settings(repo: &dyn Repo) -> Result<Versioned<NoticeSettings>> {
    Ok(load(repo, kind::SETTINGS, SETTINGS_ID)
        .await?
        .unwrap_or(Versioned { version: 0, value: NoticeSettings::default() }))
}

/// A notice as issued: its document is frozen in the blob store.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Notice {
    pub id: String,
    pub number: String,
    pub year: i32,
    pub serial: u32,
    pub title: String,
    pub addressees: String,
    pub problem_ids: Vec<String>,
    pub name_persons: bool,
    pub include_photos: bool,
    pub docx_sha256: String,
    pub created_at: DateTime<Utc>,
    pub by: String,
}

/// What the office chooses for a new notice.
#[derive(Debug, Clone, Deserialize)]
pub struct NewNotice {
    pub title: String,
    #[serde(default)]
    pub addressees: Option<String>,
    #[serde(default)]
    pub intro: String,
    #[serde(default)]
    pub closing: String,
    pub problem_ids: Vec<String>,
    #[serde(default)]
    pub name_persons: bool,
    #[serde(default = "yes")]
    pub include_photos: bool,
}

fn yes() -> bool {
    true
}

/// The serial numbers issued in a year.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Serial {
    last: u32,
}

/// At most this many photos a problem: a notice shows, it does not archive.
const PHOTOS_PER_ITEM: usize = 3;

/// The most bytes of a photo read into memory to make a notice's picture of it.
pub const PHOTO_READ_MAX: u64 = 64 * 1024 * 1024;

/// The limits a notice's photo is decoded under: a picture declaring more than 12,000 pixels
/// a side or needing more than 512 MiB to decode is left out instead of exhausting memory.
pub fn photo_limits() -> image::Limits {
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(12_000);
    limits.max_image_height = Some(12_000);
    limits.max_alloc = Some(512 * 1024 * 1024);
    limits
}

/// Publish a notice of `input`'s problems, numbered next in the year of `now`.
pub async fn publish(
    repo: &dyn Repo,
    blobs: &dyn BlobStore,
    input: NewNotice,
    by: Actor<'_>,
    now: DateTime<Utc>,
) -> Result<Notice> {
    let title = mingcha_office::required("the title", &input.title, 100)?;
    let mut ids: Vec<String> = Vec::new();
    for id in input.problem_ids.iter().map(|s| s.trim().to_owned()) {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        return Err(Error::EmptyNotice);
    }
    let settings = current_settings(repo).await?.value;
    let addressees = match input.addressees.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(a) => a.to_owned(),
        None => settings.addressees.clone(),
    };
    // Every chosen problem must exist before anything is numbered or written.
    let problems = repo.docs_in(kind::PROBLEM, &ids).await?;
    let mut finding_of = std::collections::HashMap::new();
    for d in &problems {
        let p: mingcha_office::problem::Problem = serde_json::from_value(d.body.clone())
            .map_err(|e| Error::Internal(format!("problem {} does not read back: {e}", d.id)))?;
        finding_of.insert(d.id.clone(), p.finding_id);
    }
    let finding_ids: Vec<String> = finding_of.values().cloned().collect();
    let world = World::of(repo, &finding_ids).await?;
    let mut views: Vec<FindingView> = Vec::with_capacity(ids.len());
    for id in &ids {
        let finding = finding_of.get(id).ok_or_else(|| Error::NotFound(format!("no problem {id} in the ledger")))?;
        views.push(world.view(world.held(finding)?));
    }
    let day = today(now);
    let year = day.year();
    let serial_id = year.to_string();
    let serial: Option<Versioned<Serial>> = load(repo, kind::NOTICE_SERIAL, &serial_id).await?;
    let (serial_version, next) = serial.map_or((0, 1), |s| (s.version, s.value.last + 1));
    let number = notice_number(&settings.issuer_short, year, next);
    let mut photos = Vec::with_capacity(views.len());
    for v in &views {
        photos.push(if input.include_photos { photos_of(blobs, v).await? } else { Vec::new() });
    }
    let units = group(views, photos, input.name_persons);
    let paragraphs =
        |s: &str| s.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect::<Vec<_>>();
    let doc = NoticeDoc {
        issuer: settings.issuer.clone(),
        number: number.clone(),
        title: title.clone(),
        addressees: addressees.clone(),
        intro: paragraphs(&input.intro),
        units,
        closing: paragraphs(&input.closing),
        signer: settings.signer.clone(),
        date: day,
    };
    let bytes = tokio::task::spawn_blocking(move || mingcha_office::docx::notice_docx(&doc))
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
        .map_err(|e| Error::Internal(format!("writing the notice: {e}")))?;
    // The document is stored first, by digest: if the numbering below loses a race, the
    // orphaned bytes are harmless and nothing else was written.
    let sha256 = blobs.put(bytes).await?;
    let notice = Notice {
        id: new_id(),
        number,
        year,
        serial: next,
        title,
        addressees,
        problem_ids: ids,
        name_persons: input.name_persons,
        include_photos: input.include_photos,
        docx_sha256: sha256.as_str().to_owned(),
        created_at: now,
        by: by.name.to_owned(),
    };
    let writes = vec![
        put_doc(kind::NOTICE_SERIAL, &serial_id, serial_version, &Serial { last: next })?,
        put_doc(kind::NOTICE, &notice.id, 0, &notice)?,
    ];
    repo.write_docs(writes, vec![], by.username, now).await?;
    Ok(notice)
}

/// The problems grouped by unit, then category, in the order chosen, each with its photos;
/// figures are numbered in the order the document prints them.
fn group(views: Vec<FindingView>, photos: Vec<Vec<NoticePhoto>>, name_persons: bool) -> Vec<NoticeUnit> {
    let mut by_unit: Vec<(String, BTreeMap<String, Vec<NoticeItem>>)> = Vec::new();
    for (view, photos) in views.into_iter().zip(photos) {
        let mut text = format!(
            "{}，{}{}：{}",
            view.observed_at.format("%-m月%-d日%-H时%M分"),
            view.method,
            view.spot.as_deref().map(|s| format!("发现{s}")).unwrap_or_else(|| "发现".into()),
            view.description.trim_end_matches('。')
        );
        if name_persons && let Some(p) = &view.persons {
            text.push_str(&format!("（涉及人员：{p}）"));
        }
        text.push('。');
        let i = match by_unit.iter().position(|(u, _)| *u == view.unit) {
            Some(i) => i,
            None => {
                by_unit.push((view.unit.clone(), BTreeMap::new()));
                by_unit.len() - 1
            }
        };
        by_unit[i].1.entry(view.category_label).or_default().push(NoticeItem { text, photos });
    }
    let mut units: Vec<NoticeUnit> = by_unit
        .into_iter()
        .map(|(unit, cats)| NoticeUnit {
            unit,
            categories: cats.into_iter().map(|(category, items)| NoticeCategory { category, items }).collect(),
        })
        .collect();
    let captions =
        units.iter_mut().flat_map(|u| &mut u.categories).flat_map(|c| &mut c.items).flat_map(|i| &mut i.photos);
    for (n, photo) in captions.enumerate() {
        photo.caption = format!("图{} {}", n + 1, photo.caption);
    }
    units
}

/// A finding's photos for a notice: the device's disclosure copy when there is one; otherwise
/// the original, decoded and encoded again smaller, which drops its EXIF (and so its GPS).
/// Captions are numbered later, in document order.
async fn photos_of(blobs: &dyn BlobStore, view: &FindingView) -> Result<Vec<NoticePhoto>> {
    let mut photos = Vec::new();
    for e in view.evidence.iter().filter(|e| e.media_type.starts_with("image/")).take(PHOTOS_PER_ITEM) {
        let sha = e.disclosure_sha256.as_deref().unwrap_or(&e.sha256);
        let Ok(digest) = mingcha_core::evidence::Sha256Hex::parse(sha) else { continue };
        // Only a photo of a size a notice can use is read into memory; a larger one is left out.
        let bytes = match blobs.read_at_most(&digest, PHOTO_READ_MAX).await {
            Ok(Some(bytes)) => bytes,
            Ok(None) | Err(RepoError::BlobTooLarge { .. }) => continue,
            Err(e) => return Err(e.into()),
        };
        let Some((jpeg, width, height)) = tokio::task::spawn_blocking(move || shrink(&bytes))
            .await
            .map_err(|err| Error::Internal(err.to_string()))?
        else {
            continue;
        };
        let when = e.taken_at.map(|t| t.format("%Y年%-m月%-d日%-H时%M分").to_string());
        let place = format!("{}{}", view.unit, view.spot.clone().unwrap_or_default());
        let caption = match (&e.disclosure_watermark, when) {
            (Some(w), _) => format!("{place}（{w}）"),
            (None, Some(t)) => format!("{place}（{t}）"),
            (None, None) => place,
        };
        photos.push(NoticePhoto { jpeg, width, height, caption });
    }
    Ok(photos)
}

/// A JPEG at most 1600 pixels wide or high, without metadata; `None` if it does not decode,
/// or would need more than [`photo_limits`] allow (a small file can declare a
/// picture of 60,000 × 60,000 pixels).
fn shrink(bytes: &[u8]) -> Option<(Vec<u8>, u32, u32)> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format().ok()?;
    reader.limits(photo_limits());
    let img = reader.decode().ok()?;
    let img = if img.width() > 1600 || img.height() > 1600 { img.thumbnail(1600, 1600) } else { img };
    let rgb = img.to_rgb8();
    let mut out = std::io::Cursor::new(Vec::new());
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85);
    rgb.write_with_encoder(encoder).ok()?;
    Some((out.into_inner(), rgb.width(), rgb.height()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(width, height, image::Rgb([200, 30, 30]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_photo_is_decoded_only_within_the_limits() {
        let (_, w, h) = shrink(&png(40, 30)).expect("a small photo");
        assert_eq!((w, h), (40, 30));
        // A few kilobytes on disk, but wider than any camera makes: left out, not decoded.
        let wide = png(12_001, 1);
        assert!(wide.len() < 64 * 1024, "{}", wide.len());
        assert!(shrink(&wide).is_none());
    }
}
