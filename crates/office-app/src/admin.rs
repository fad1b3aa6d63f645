//! What the office's staff do from the command line: inspectors, enrollment tokens, devices,
//! decisions on findings, and what the office publishes. Each function is one step on the
//! tables (so it is safe while the server runs) and returns what the command prints.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use mingcha_core::assets;
use mingcha_core::change::{ChangeOp, EntityKind};
use mingcha_core::id::{DeviceId, InspectorId, PlanId};
use mingcha_core::inspection::InspectionKind;
use mingcha_core::sync::{OfficeEventBody, PlanAssignment};
use serde::Serialize;

use crate::{Error, Result};
use mingcha_office_db::key::sha256_hex;
use mingcha_office_db::{Audience, Device, Devices, Events, Inspector, Repo};

pub async fn add_inspector(repo: &dyn Devices, name: &str, now: DateTime<Utc>) -> Result<Inspector> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::Invalid("an inspector's name has 1 to 100 characters".into()));
    }
    let inspector =
        Inspector { id: InspectorId::from_uuid(uuid::Uuid::now_v7()), name: name.to_owned(), created_at: now };
    repo.add_inspector(&inspector).await?;
    Ok(inspector)
}

async fn inspector(repo: &dyn Devices, name: &str) -> Result<Inspector> {
    repo.inspector_by_name(name.trim()).await?.ok_or_else(|| Error::UnknownInspector(name.trim().to_owned()))
}

/// A one-time enrollment token, shown once; the office keeps only its secret's SHA-256.
#[derive(Debug, Clone, Serialize)]
pub struct IssuedToken {
    /// What the inspector enters: `mc1.<secret>.<certificate SHA-256>` (see
    /// [`mingcha_core::enroll_token`]).
    pub token: String,
    pub inspector: String,
    pub expires_at: DateTime<Utc>,
    /// The certificate the device will pin; `None` for an office behind a TLS proxy.
    pub tls_fingerprint: Option<String>,
}

/// A token for `name`'s next device, carrying `tls_pin`, the fingerprint of the certificate
/// the office serves.
pub async fn enroll_token(
    repo: &dyn Devices,
    name: &str,
    valid_for: Duration,
    tls_pin: Option<String>,
    now: DateTime<Utc>,
) -> Result<IssuedToken> {
    let inspector = inspector(repo, name).await?;
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
    let secret = mingcha_core::hex::encode(&bytes);
    let expires_at = now + valid_for;
    repo.add_enroll_token(&sha256_hex(secret.as_bytes()), inspector.id, expires_at, now).await?;
    let token = mingcha_core::enroll_token::EnrollToken::new(secret, tls_pin.clone()).to_string();
    Ok(IssuedToken { token, inspector: inspector.name, expires_at, tls_fingerprint: tls_pin })
}

pub async fn revoke_device(repo: &dyn Devices, id: &str, now: DateTime<Utc>) -> Result<Device> {
    let id: DeviceId = id.parse().map_err(|e: mingcha_core::ValidationError| Error::Invalid(e.to_string()))?;
    repo.revoke_device(id, now).await?;
    repo.device(id).await?.ok_or_else(|| Error::NotFound(format!("no device {id}")))
}

/// One finding as the office holds it.
#[derive(Debug, Clone, Serialize)]
pub struct FindingRow {
    pub id: String,
    /// The unit's name when the office holds the unit, else its id.
    pub unit: String,
    pub description: String,
    /// `submitted` (the office holds it), or `deleted` (the device tombstoned it); what the
    /// office decided is in `decision`.
    pub status: String,
    /// The office's last decision: `returned`, `accepted`, or none yet.
    pub decision: Option<String>,
    pub device_id: DeviceId,
    pub inspector: String,
    pub changed_at: DateTime<Utc>,
}

pub async fn list_findings(repo: &dyn Repo) -> Result<Vec<FindingRow>> {
    let text_of = |v: &serde_json::Value, key: &str| v.get(key).and_then(|s| s.as_str()).unwrap_or_default().to_owned();
    let units: std::collections::HashMap<String, String> = repo
        .records(EntityKind::Unit)
        .await?
        .into_iter()
        .map(|u| {
            let name = text_of(&u.payload, "name");
            (u.entity_id, name)
        })
        .collect();
    let mut decisions = std::collections::HashMap::new();
    for (finding, kind) in repo.finding_decisions().await? {
        decisions.insert(finding, kind.trim_start_matches("finding_").to_owned());
    }
    let text = text_of;
    Ok(repo
        .records(EntityKind::Finding)
        .await?
        .into_iter()
        .map(|r| {
            let unit_id = text(&r.payload, "unit_id");
            let unit = units.get(&unit_id).cloned().unwrap_or_else(|| unit_id.clone());
            // At the office every finding it holds was submitted; the device's own draft/submitted
            // flag says only whether the laptop had its receipt yet when it logged the change.
            let status = if r.op == ChangeOp::Delete { "deleted" } else { "submitted" }.to_owned();
            FindingRow {
                decision: decisions.get(&r.entity_id).cloned(),
                id: r.entity_id,
                unit,
                description: text(&r.payload, "description"),
                status,
                device_id: r.device_id,
                inspector: r.inspector_name,
                changed_at: r.changed_at,
            }
        })
        .collect())
}

/// A decision on a finding, sent to the device of the inspector who sent the finding.
#[derive(Debug, Clone)]
pub enum Decision {
    /// 退回, with what to fix.
    Return { comment: String },
    /// 采纳.
    Accept,
}

#[derive(Debug, Clone, Serialize)]
pub struct Published {
    pub event_seq: u64,
    pub kind: &'static str,
    pub subject: String,
}

/// The same decision as the console's 采纳 / 退回 (a review, a ledger problem on accept, and the
/// inspector's event, in one transaction), made from the command line by `by`.
pub async fn decide_finding(
    repo: &dyn Repo,
    finding: &str,
    decision: Decision,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Published> {
    use crate::review::{accept_step, decide_with, return_step};
    let by = by.trim();
    let (seq, kind) = match decision {
        Decision::Return { comment } => {
            (decide_with(repo, finding, by, "mingcha-server", now, return_step(&comment)).await?, "finding_returned")
        }
        Decision::Accept => {
            (decide_with(repo, finding, by, "mingcha-server", now, accept_step).await?, "finding_accepted")
        }
    };
    let event_seq = seq.ok_or_else(|| Error::Internal("a decision appended no event".into()))?;
    Ok(Published { event_seq, kind, subject: finding.to_owned() })
}

fn as_json(file: &str, text: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| Error::Invalid(format!("{file}: {e}")))
}

/// Check a checklist template file and publish it to every inspector.
pub async fn publish_template(repo: &dyn Repo, file: &str, text: &str, now: DateTime<Utc>) -> Result<Published> {
    let template = assets::parse_template(file, text, &crate::current_taxonomy(repo).await?)
        .map_err(|e| Error::Invalid(e.to_string()))?;
    let body = OfficeEventBody::TemplatePublished { template: as_json(file, text)? };
    let seq = repo.append_event(Audience::Everyone, Some(&template.code), &body, now).await?;
    Ok(Published {
        event_seq: seq,
        kind: "template_published",
        subject: format!("{} v{}", template.code, template.version),
    })
}

/// Check a taxonomy file and publish it to every inspector.
pub async fn publish_taxonomy(repo: &dyn Events, file: &str, text: &str, now: DateTime<Utc>) -> Result<Published> {
    assets::parse_taxonomy(file, text).map_err(|e| Error::Invalid(e.to_string()))?;
    let value = as_json(file, text)?;
    let version = value.get("version").and_then(serde_json::Value::as_u64).unwrap_or_default();
    let body = OfficeEventBody::TaxonomyPublished { taxonomy: value };
    let seq = repo.append_event(Audience::Everyone, None, &body, now).await?;
    Ok(Published { event_seq: seq, kind: "taxonomy_published", subject: format!("taxonomy v{version}") })
}

/// A plan as the office types it.
#[derive(Debug, Clone)]
pub struct PlanInput {
    pub inspector: String,
    pub title: String,
    pub kind: String,
    pub from: String,
    pub to: String,
    pub units: Vec<String>,
    pub templates: Vec<String>,
    pub team: Vec<String>,
}

fn date(field: &'static str, s: &str) -> Result<NaiveDate> {
    mingcha_core::inspection::parse_date(field, s).map_err(|e| Error::Invalid(e.to_string()))
}

pub async fn assign_plan(repo: &dyn Repo, input: PlanInput, now: DateTime<Utc>) -> Result<PlanAssignment> {
    let inspector = inspector(repo, &input.inspector).await?;
    let clean =
        |v: Vec<String>| v.into_iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect::<Vec<_>>();
    let kind: InspectionKind =
        input.kind.parse().map_err(|e: mingcha_core::ValidationError| Error::Invalid(e.to_string()))?;
    let (starts_on, ends_on) = (date("from", &input.from)?, date("to", &input.to)?);
    if ends_on < starts_on {
        return Err(Error::Invalid("--to is before --from".into()));
    }
    let title = input.title.trim().to_owned();
    let units = clean(input.units);
    if title.is_empty() || units.is_empty() {
        return Err(Error::Invalid("a plan needs a title and at least one --unit".into()));
    }
    let mut team = clean(input.team);
    if !team.contains(&inspector.name) {
        team.insert(0, inspector.name.clone());
    }
    let plan = PlanAssignment {
        plan_id: PlanId::from_uuid(uuid::Uuid::now_v7()),
        title,
        kind,
        starts_on,
        ends_on,
        units,
        templates: clean(input.templates),
        team,
    };
    let subject = plan.plan_id.to_string();
    let body = OfficeEventBody::PlanAssigned { plan: plan.clone() };
    repo.append_event(Audience::Inspector(inspector.id), Some(&subject), &body, now).await?;
    Ok(plan)
}
