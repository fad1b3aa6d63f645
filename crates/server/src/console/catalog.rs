//! What the office administers and publishes: inspectors and their devices, units, the
//! taxonomy and checklist templates; and the dashboard over the ledger.

use axum::extract::State;
use axum::response::Json;
use std::collections::HashSet;

use chrono::{Duration, NaiveDate, Utc};
use mingcha_core::assets;
use mingcha_core::sync::OfficeEventBody;
use mingcha_office::account::Reader;
use mingcha_office::dashboard::Dashboard;
use mingcha_office::filter::LedgerFilter;
use serde::{Deserialize, Serialize};

use super::session::Signed;
use super::world::{UnitRow, units as units_of};
use super::{Versioned, kind, load, load_all, put_doc, today};
use crate::admin;
use crate::app;
use crate::error::{Error, Result};
use crate::repo::read_model::dashboard::Period;
use crate::repo::{Audience, Device, NewEvent, Repo};
use crate::state::{AppState, Body, PathParam, QueryParam, parse_json};

#[derive(Debug, Serialize)]
pub struct InspectorRow {
    id: String,
    name: String,
    created_at: chrono::DateTime<Utc>,
    devices: Vec<Device>,
}

pub async fn inspectors(State(state): State<AppState>, signed: Signed) -> Result<Json<Vec<InspectorRow>>> {
    signed.office_staff()?;
    let devices = state.repo.devices().await?;
    let rows = state
        .repo
        .inspectors()
        .await?
        .into_iter()
        .map(|i| InspectorRow {
            devices: devices.iter().filter(|d| d.inspector_id == i.id).cloned().collect(),
            id: i.id.to_string(),
            name: i.name,
            created_at: i.created_at,
        })
        .collect();
    Ok(Json(rows))
}

#[derive(Debug, Deserialize)]
struct NewInspector {
    name: String,
}

pub async fn add_inspector(
    State(state): State<AppState>,
    signed: Signed,
    Body(body): Body,
) -> Result<Json<crate::repo::Inspector>> {
    signed.admin()?;
    let input: NewInspector = parse_json(&body)?;
    Ok(Json(admin::add_inspector(&*state.repo, &input.name, Utc::now()).await?))
}

pub async fn enroll_token(
    State(state): State<AppState>,
    signed: Signed,
    PathParam(name): PathParam<String>,
) -> Result<Json<admin::IssuedToken>> {
    signed.admin()?;
    Ok(Json(admin::enroll_token(&*state.repo, &name, Duration::days(7), state.tls_pin.clone(), Utc::now()).await?))
}

pub async fn revoke_device(
    State(state): State<AppState>,
    signed: Signed,
    PathParam(id): PathParam<String>,
) -> Result<Json<Device>> {
    signed.admin()?;
    Ok(Json(admin::revoke_device(&*state.repo, &id, Utc::now()).await?))
}

/// Every unit the office knows: office staff only (a unit would learn whom the office visits).
pub async fn units(State(state): State<AppState>, signed: Signed) -> Result<Json<Vec<UnitRow>>> {
    signed.office_staff()?;
    Ok(Json(units_of(&*state.repo).await?))
}

#[derive(Debug, Serialize)]
pub struct CategoryRow {
    code: String,
    label: String,
    group: String,
    group_code: String,
}

/// The taxonomy's leaves with their labels. A unit is told only the labels of its own
/// problems' categories, not what else the office looks for.
pub async fn categories(State(state): State<AppState>, signed: Signed) -> Result<Json<Vec<CategoryRow>>> {
    let t = crate::app::current_taxonomy(&*state.repo).await?;
    let own: Option<HashSet<String>> = match signed.account.reader() {
        Reader::Office => None,
        Reader::Unit(_) => {
            let q = super::ledger::query(signed.account.reader(), &LedgerFilter::default(), today(Utc::now()))?;
            Some(crate::repo::read_model::ledger::categories(state.repo.sql(), &q).await?.into_iter().collect())
        }
    };
    Ok(Json(
        t.leaves()
            .filter(|p| own.as_ref().is_none_or(|own| own.contains(&p.leaf.code)))
            .map(|p| CategoryRow {
                code: p.leaf.code.clone(),
                label: p.label(),
                group: p.parent.name.clone(),
                group_code: p.parent.code.clone(),
            })
            .collect(),
    ))
}

/// The taxonomy in force as its file (`assets/taxonomy.json` format), to edit and publish again.
/// Office staff only, like the templates.
pub async fn taxonomy(State(state): State<AppState>, signed: Signed) -> Result<Json<serde_json::Value>> {
    signed.office_staff()?;
    if let Some(OfficeEventBody::TaxonomyPublished { taxonomy }) =
        state.repo.latest_broadcast("taxonomy_published").await?
    {
        return Ok(Json(taxonomy));
    }
    serde_json::from_str(crate::app::BUILTIN_TAXONOMY).map(Json).map_err(|e| Error::Internal(e.to_string()))
}

/// The templates every laptop starts with (`assets/templates`).
const BUILTIN_TEMPLATES: [&str; 4] = [
    include_str!("../../../../assets/templates/work-discipline.json"),
    include_str!("../../../../assets/templates/window-service.json"),
    include_str!("../../../../assets/templates/business-env.json"),
    include_str!("../../../../assets/templates/eight-rules.json"),
];

/// A template the office published, as kept for the console.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Published {
    template: serde_json::Value,
    published_at: chrono::DateTime<Utc>,
    by: String,
}

#[derive(Debug, Serialize)]
pub struct TemplateRow {
    code: String,
    name: String,
    version: u64,
    source: &'static str,
    published_at: Option<chrono::DateTime<Utc>>,
}

/// Every template in force: the office's latest of each code, else the built-in one.
async fn templates_in_force(repo: &dyn Repo) -> Result<Vec<(TemplateRow, serde_json::Value)>> {
    let published: Vec<(String, Versioned<Published>)> = load_all(repo, kind::TEMPLATE).await?;
    let mut out: Vec<(TemplateRow, serde_json::Value)> = Vec::new();
    for text in BUILTIN_TEMPLATES {
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| Error::Internal(e.to_string()))?;
        out.push((row(&v, "builtin", None), v));
    }
    for (_, p) in published {
        let r = row(&p.value.template, "office", Some(p.value.published_at));
        out.retain(|(o, _)| o.code != r.code);
        out.push((r, p.value.template));
    }
    out.sort_by(|a, b| a.0.code.cmp(&b.0.code));
    Ok(out)
}

fn row(v: &serde_json::Value, source: &'static str, published_at: Option<chrono::DateTime<Utc>>) -> TemplateRow {
    let text = |k: &str| v.get(k).and_then(|s| s.as_str()).unwrap_or_default().to_owned();
    TemplateRow {
        code: text("code"),
        name: text("name"),
        version: v.get("version").and_then(serde_json::Value::as_u64).unwrap_or_default(),
        source,
        published_at,
    }
}

/// The checklists in force: office staff only (a unit would learn what 暗访 looks for).
pub async fn templates(State(state): State<AppState>, signed: Signed) -> Result<Json<Vec<TemplateRow>>> {
    signed.office_staff()?;
    Ok(Json(templates_in_force(&*state.repo).await?.into_iter().map(|(r, _)| r).collect()))
}

pub async fn template(
    State(state): State<AppState>,
    signed: Signed,
    PathParam(code): PathParam<String>,
) -> Result<Json<serde_json::Value>> {
    signed.office_staff()?;
    templates_in_force(&*state.repo)
        .await?
        .into_iter()
        .find(|(r, _)| r.code == code)
        .map(|(_, v)| Json(v))
        .ok_or_else(|| Error::NotFound(format!("no template {code}")))
}

pub async fn publish_template(
    State(state): State<AppState>,
    signed: Signed,
    Body(body): Body,
) -> Result<Json<serde_json::Value>> {
    signed.admin()?;
    let text = std::str::from_utf8(&body).map_err(|_| Error::Invalid("the template is not UTF-8 text".into()))?;
    let taxonomy = crate::app::current_taxonomy(&*state.repo).await?;
    let t = assets::parse_template("template", text, &taxonomy).map_err(|e| Error::Invalid(e.to_string()))?;
    let value: serde_json::Value = parse_json(&body)?;
    let in_force = templates_in_force(&*state.repo).await?;
    if let Some((r, _)) = in_force.iter().find(|(r, _)| r.code == t.code)
        && u64::from(t.version) <= r.version
    {
        return Err(Error::Invalid(format!(
            "{} is at version {} already: publish it as version {} or higher",
            t.code,
            r.version,
            r.version + 1
        )));
    }
    let previous: Option<Versioned<Published>> = load(&*state.repo, kind::TEMPLATE, &t.code).await?;
    let now = Utc::now();
    let doc = Published { template: value.clone(), published_at: now, by: signed.name().to_owned() };
    let write = put_doc(kind::TEMPLATE, &t.code, previous.map_or(0, |p| p.version), &doc)?;
    let event = NewEvent {
        audience: Audience::Everyone,
        subject: Some(t.code.clone()),
        body: OfficeEventBody::TemplatePublished { template: value },
    };
    state.repo.write_docs(vec![write], vec![event], &signed.account.username, now).await?;
    Ok(Json(serde_json::json!({ "code": t.code, "version": t.version })))
}

pub async fn publish_taxonomy(
    State(state): State<AppState>,
    signed: Signed,
    Body(body): Body,
) -> Result<Json<serde_json::Value>> {
    signed.admin()?;
    let text = std::str::from_utf8(&body).map_err(|_| Error::Invalid("the taxonomy is not UTF-8 text".into()))?;
    let t = assets::parse_taxonomy("taxonomy", text).map_err(|e| Error::Invalid(e.to_string()))?;
    let current = crate::app::current_taxonomy(&*state.repo).await?;
    if t.version <= current.version {
        return Err(Error::Invalid(format!(
            "the taxonomy in force is version {}: publish this one as version {} or higher",
            current.version,
            current.version + 1
        )));
    }
    let event = NewEvent {
        audience: Audience::Everyone,
        subject: None,
        body: OfficeEventBody::TaxonomyPublished { taxonomy: parse_json(&body)? },
    };
    state.repo.write_docs(vec![], vec![event], &signed.account.username, Utc::now()).await?;
    Ok(Json(serde_json::json!({ "version": t.version })))
}

#[derive(Debug, Deserialize)]
pub struct DashboardQuery {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    window: Option<i64>,
}

pub async fn dashboard(
    State(state): State<AppState>,
    signed: Signed,
    QueryParam(q): QueryParam<DashboardQuery>,
) -> Result<Json<Dashboard>> {
    signed.office_staff()?;
    let period = Period { from: q.from, to: q.to };
    let window = q.window.unwrap_or(app::dashboard::DEFAULT_WINDOW_DAYS);
    Ok(Json(app::dashboard::dashboard(&*state.repo, period, window, today(Utc::now())).await?))
}
