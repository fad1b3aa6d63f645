//! Filling a visit's checklist (检查清单) and reading it back with its score.

use mingcha_core::change::{ChangeOp, EntityKind};
use mingcha_core::checklist::{Answer, ChecklistItem, ChecklistResponse, ChecklistTemplate, ItemResult, Score, score};
use mingcha_core::id::{ResponseId, VisitId};
use mingcha_core::text;
use rusqlite::OptionalExtension;
use serde::Serialize;

use crate::error::Result;
use crate::{Store, parse_id, parse_time};

/// One answer as a user gives it: the item by code or printed number, the result, a note.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerInput {
    pub item: String,
    pub result: ItemResult,
    pub note: Option<String>,
}

/// An item of a filled checklist, answered or not.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ItemView {
    pub section: String,
    #[serde(flatten)]
    pub item: ChecklistItem,
    pub answer: Option<Answer>,
}

/// A visit's checklist for one template, at the version it was filled with.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ResponseView {
    pub response: ChecklistResponse,
    pub template_name: String,
    pub score: Score,
    pub items: Vec<ItemView>,
}

impl ResponseView {
    fn new(template: &ChecklistTemplate, response: ChecklistResponse) -> Self {
        let items = template
            .items()
            .map(|(section, item)| ItemView {
                section: section.title.clone(),
                item: item.clone(),
                answer: response.answers.iter().find(|a| a.item_code == item.code).cloned(),
            })
            .collect();
        Self { score: score(template, &response.answers), template_name: template.name.clone(), response, items }
    }
}

impl Store {
    /// Record answers on `visit`'s checklist for `template`, making the checklist on first use.
    /// A checklist keeps the template version it started with. Every answer is checked before
    /// any is stored: one bad item stores none.
    pub fn fill_checklist(&mut self, visit: &str, template: &str, answers: &[AnswerInput]) -> Result<ResponseView> {
        let visit = self.visit(visit)?;
        let latest = self.template(template, None)?;
        let existing = self.response_row(visit.id, &latest.code)?;
        let template = match &existing {
            Some(r) => self.template(&r.template_code, Some(r.template_version))?,
            None => latest,
        };
        let mut answered = Vec::with_capacity(answers.len());
        for a in answers {
            let item = template.resolve_item(&a.item)?;
            answered.push(Answer {
                item_code: item.code.clone(),
                result: a.result,
                note: text::optional("note", a.note.as_deref(), 1000)?,
            });
        }
        let response = self.write(|w| {
            let (id, created_at, op) = match existing {
                Some(r) => (r.id, r.created_at, ChangeOp::Update),
                None => {
                    let id = ResponseId::from_uuid(w.new_id());
                    w.execute(
                        "INSERT INTO checklist_response (id, visit_id, template_code, template_version, created_at, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                        (id.to_string(), visit.id.to_string(), &template.code, template.version, w.now_text()),
                    )?;
                    (id, w.now, ChangeOp::Create)
                }
            };
            for a in &answered {
                w.execute(
                    "INSERT INTO checklist_answer (response_id, item_code, result, note, answered_at) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (response_id, item_code) DO UPDATE SET result = excluded.result, note = excluded.note,
                         answered_at = excluded.answered_at",
                    (id.to_string(), &a.item_code, a.result.as_str(), &a.note, w.now_text()),
                )?;
            }
            w.execute("UPDATE checklist_response SET updated_at = ?2 WHERE id = ?1", (id.to_string(), w.now_text()))?;
            let response = ChecklistResponse {
                id,
                visit_id: visit.id,
                template_code: template.code.clone(),
                template_version: template.version,
                answers: answers_of(w, id)?,
                created_at,
            };
            w.log(EntityKind::ChecklistResponse, &id.to_string(), op, &response)?;
            Ok(response)
        })?;
        Ok(ResponseView::new(&template, response))
    }

    /// The checklists filled on a visit.
    pub fn checklists_of(&self, visit: &str) -> Result<Vec<ResponseView>> {
        let visit = self.visit(visit)?;
        let mut stmt = self.conn.prepare(
            "SELECT template_code FROM checklist_response WHERE visit_id = ?1 AND deleted_at IS NULL ORDER BY created_at",
        )?;
        let codes: Vec<String> = stmt.query_map([visit.id.to_string()], |r| r.get(0))?.collect::<Result<_, _>>()?;
        codes
            .iter()
            .map(|code| {
                let r = self
                    .response_row(visit.id, code)?
                    .ok_or_else(|| crate::StoreError::not_found("checklist", code.clone()))?;
                let template = self.template(&r.template_code, Some(r.template_version))?;
                Ok(ResponseView::new(&template, r))
            })
            .collect()
    }

    /// An item of the `template` checklist filled on `visit`, at the version that checklist
    /// used: what a finding or a photo made from that item points at.
    pub(crate) fn filled_item(
        &self,
        visit: VisitId,
        template: &str,
        item: &str,
    ) -> Result<(ResponseId, ChecklistItem)> {
        let wanted = self.template(template, None)?;
        let response =
            self.response_row(visit, &wanted.code)?.ok_or_else(|| mingcha_core::ValidationError::Inconsistent {
                field: "checklist item",
                reason: format!("the visit has no {} checklist yet; fill it first", wanted.name),
            })?;
        let used = self.template(&response.template_code, Some(response.template_version))?;
        Ok((response.id, used.resolve_item(item)?.clone()))
    }

    fn response_row(&self, visit: VisitId, template_code: &str) -> Result<Option<ChecklistResponse>> {
        let row = self
            .conn
            .query_row(
                "SELECT id, template_code, template_version, created_at FROM checklist_response
                 WHERE visit_id = ?1 AND template_code = ?2 AND deleted_at IS NULL",
                (visit.to_string(), template_code),
                |r| {
                    Ok((
                        parse_id::<ResponseId>(&r.get::<_, String>(0)?)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, u32>(2)?,
                        parse_time(&r.get::<_, String>(3)?)?,
                    ))
                },
            )
            .optional()?;
        row.map(|(id, template_code, template_version, created_at)| {
            Ok(ChecklistResponse {
                id,
                visit_id: visit,
                template_code,
                template_version,
                answers: answers_of(&self.conn, id)?,
                created_at,
            })
        })
        .transpose()
    }
}

fn answers_of(conn: &rusqlite::Connection, id: ResponseId) -> Result<Vec<Answer>> {
    let mut stmt = conn
        .prepare_cached("SELECT item_code, result, note FROM checklist_answer WHERE response_id = ?1 ORDER BY rowid")?;
    let rows = stmt.query_map([id.to_string()], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?))
    })?;
    rows.map(|row| {
        let (item_code, result, note) = row?;
        Ok(Answer { item_code, result: result.parse()?, note })
    })
    .collect()
}
