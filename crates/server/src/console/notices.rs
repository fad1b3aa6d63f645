//! Notices (通报) over HTTP: their settings, the list, publishing one (`app::notices`), and the
//! .docx.

use axum::extract::State;
use axum::response::{Json, Response};
use chrono::Utc;
use serde::Serialize;

use super::session::Signed;
use super::{Versioned, kind, load, load_all};
use crate::app;
use crate::app::notices::{NewNotice, Notice, NoticeSettings, SETTINGS_ID};
use crate::app::problem::Actor;
use crate::error::{Error, Result};
use crate::state::{AppState, Body, PathParam, parse_json};

/// The notices' settings: office staff only.
pub async fn settings(State(state): State<AppState>, signed: Signed) -> Result<Json<NoticeSettings>> {
    signed.office_staff()?;
    Ok(Json(app::notices::current_settings(&*state.repo).await?.value))
}

pub async fn save_settings(
    State(state): State<AppState>,
    signed: Signed,
    Body(body): Body,
) -> Result<Json<NoticeSettings>> {
    signed.admin()?;
    let input: NoticeSettings = parse_json(&body)?;
    let required = |f: &'static str, s: &str| mingcha_office::required(f, s, 60);
    let mut s = app::notices::current_settings(&*state.repo).await?;
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

pub async fn create(State(state): State<AppState>, signed: Signed, Body(body): Body) -> Result<Json<Notice>> {
    signed.reviewer()?;
    let input: NewNotice = parse_json(&body)?;
    let by = Actor { name: signed.name(), username: &signed.account.username };
    Ok(Json(app::notices::publish(&*state.repo, &*state.blobs, input, by, Utc::now()).await?))
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
