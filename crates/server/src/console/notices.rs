//! Notices (通报): the office's settings for them, the numbering per year, and the .docx.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::{Json, Response};
use chrono::{DateTime, Datelike, Utc};
use mingcha_office::notice::{NoticeCategory, NoticeDoc, NoticeItem, NoticePhoto, NoticeUnit};
use serde::{Deserialize, Serialize};

use super::session::Signed;
use super::world::{FindingView, World};
use super::{Versioned, kind, load, load_all, new_id, put_doc, today};
use crate::error::{Error, Result};
use crate::repo::RepoError;
use crate::state::{AppState, Body, PathParam, parse_json};

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

const SETTINGS_ID: &str = "notice";

async fn current_settings(state: &AppState) -> Result<Versioned<NoticeSettings>> {
    Ok(load(&*state.repo, kind::SETTINGS, SETTINGS_ID)
        .await?
        .unwrap_or(Versioned { version: 0, value: NoticeSettings::default() }))
}

/// The notices' settings: office staff only.
pub async fn settings(State(state): State<AppState>, signed: Signed) -> Result<Json<NoticeSettings>> {
    signed.office_staff()?;
    Ok(Json(current_settings(&state).await?.value))
}

pub async fn save_settings(
    State(state): State<AppState>,
    signed: Signed,
    Body(body): Body,
) -> Result<Json<NoticeSettings>> {
    signed.admin()?;
    let input: NoticeSettings = parse_json(&body)?;
    let required = |f: &'static str, s: &str| mingcha_office::required(f, s, 60);
    let mut s = current_settings(&state).await?;
    s.value = NoticeSettings {
        issuer: required("the issuer", &input.issuer)?,
        issuer_short: required("the 发文字号 prefix", &input.issuer_short)?,
        signer: required("the signer", &input.signer)?,
        addressees: required("the addressees", &input.addressees)?,
    };
    state
        .repo
        .write_docs(vec![s.write(kind::SETTINGS, SETTINGS_ID)?], vec![], &signed.account.username, Utc::now())
        .await?;
    Ok(Json(s.value))
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

#[derive(Debug, Serialize)]
pub struct NoticeRow {
    #[serde(flatten)]
    notice: Notice,
    problems: usize,
}

pub async fn list(State(state): State<AppState>, signed: Signed) -> Result<Json<Vec<NoticeRow>>> {
    signed.office_staff()?;
    let mut all: Vec<Notice> =
        load_all::<Notice>(&*state.repo, kind::NOTICE).await?.into_iter().map(|(_, n)| n.value).collect();
    all.sort_by_key(|n| std::cmp::Reverse(n.created_at));
    Ok(Json(all.into_iter().map(|n| NoticeRow { problems: n.problem_ids.len(), notice: n }).collect()))
}

#[derive(Debug, Deserialize)]
struct NewNotice {
    title: String,
    #[serde(default)]
    addressees: Option<String>,
    #[serde(default)]
    intro: String,
    #[serde(default)]
    closing: String,
    problem_ids: Vec<String>,
    #[serde(default)]
    name_persons: bool,
    #[serde(default = "yes")]
    include_photos: bool,
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

pub async fn create(State(state): State<AppState>, signed: Signed, Body(body): Body) -> Result<Json<Notice>> {
    signed.reviewer()?;
    let input: NewNotice = parse_json(&body)?;
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
    let settings = current_settings(&state).await?.value;
    let addressees = match input.addressees.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(a) => a.to_owned(),
        None => settings.addressees.clone(),
    };
    // Every chosen problem must exist before anything is numbered or written.
    let problems = state.repo.docs_in(kind::PROBLEM, &ids).await?;
    let mut finding_of = std::collections::HashMap::new();
    for d in &problems {
        let p: mingcha_office::problem::Problem = serde_json::from_value(d.body.clone())
            .map_err(|e| Error::Internal(format!("problem {} does not read back: {e}", d.id)))?;
        finding_of.insert(d.id.clone(), p.finding_id);
    }
    let finding_ids: Vec<String> = finding_of.values().cloned().collect();
    let world = World::of(&*state.repo, &finding_ids).await?;
    let mut views: Vec<FindingView> = Vec::with_capacity(ids.len());
    for id in &ids {
        let finding = finding_of.get(id).ok_or_else(|| Error::NotFound(format!("no problem {id} in the ledger")))?;
        views.push(world.view(world.held(finding)?));
    }
    let now = Utc::now();
    let day = today(now);
    let year = day.year();
    let serial_id = year.to_string();
    let serial: Option<Versioned<Serial>> = load(&*state.repo, kind::NOTICE_SERIAL, &serial_id).await?;
    let (serial_version, next) = serial.map_or((0, 1), |s| (s.version, s.value.last + 1));
    let number = format!("{}〔{year}〕{next}号", settings.issuer_short);
    let mut photos = Vec::with_capacity(views.len());
    for v in &views {
        photos.push(if input.include_photos { photos_of(&state, v).await? } else { Vec::new() });
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
    let sha256 = state.blobs.put(bytes).await?;
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
        by: signed.name().to_owned(),
    };
    let writes = vec![
        put_doc(kind::NOTICE_SERIAL, &serial_id, serial_version, &Serial { last: next })?,
        put_doc(kind::NOTICE, &notice.id, 0, &notice)?,
    ];
    state.repo.write_docs(writes, vec![], &signed.account.username, now).await?;
    Ok(Json(notice))
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
async fn photos_of(state: &AppState, view: &FindingView) -> Result<Vec<NoticePhoto>> {
    let mut photos = Vec::new();
    for e in view.evidence.iter().filter(|e| e.media_type.starts_with("image/")).take(PHOTOS_PER_ITEM) {
        let sha = e.disclosure_sha256.as_deref().unwrap_or(&e.sha256);
        let Ok(digest) = mingcha_core::evidence::Sha256Hex::parse(sha) else { continue };
        // Only a photo of a size a notice can use is read into memory; a larger one is left out.
        let bytes = match state.blobs.read_at_most(&digest, crate::bounds::NOTICE_PHOTO_READ_MAX).await {
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
/// or would need more than [`crate::bounds::image_limits`] allow (a small file can declare a
/// picture of 60,000 × 60,000 pixels).
fn shrink(bytes: &[u8]) -> Option<(Vec<u8>, u32, u32)> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format().ok()?;
    reader.limits(crate::bounds::image_limits());
    let img = reader.decode().ok()?;
    let img = if img.width() > 1600 || img.height() > 1600 { img.thumbnail(1600, 1600) } else { img };
    let rgb = img.to_rgb8();
    let mut out = std::io::Cursor::new(Vec::new());
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85);
    rgb.write_with_encoder(encoder).ok()?;
    Some((out.into_inner(), rgb.width(), rgb.height()))
}

pub async fn docx(State(state): State<AppState>, signed: Signed, PathParam(id): PathParam<String>) -> Result<Response> {
    signed.office_staff()?;
    let n: Versioned<Notice> =
        load(&*state.repo, kind::NOTICE, &id).await?.ok_or_else(|| Error::NotFound(format!("no notice {id}")))?;
    let digest =
        mingcha_core::evidence::Sha256Hex::parse(&n.value.docx_sha256).map_err(|e| Error::Internal(e.to_string()))?;
    let blob =
        state.blobs.open(&digest).await?.ok_or_else(|| Error::Internal(format!("notice {id} lost its document")))?;
    super::files::answer(
        blob,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        &format!("{}.docx", n.value.number),
        super::files::Disposition::Attachment,
    )
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
