//! The catalogue: the problem taxonomy and the checklist templates, built in (from `assets/`,
//! compiled into the binary so a laptop in a basement has them) or imported from a file.
//!
//! Both are versioned. A newer built-in taxonomy updates categories in place by code (old codes
//! stay, findings point at them); a newer template version is added beside the old ones.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use mingcha_core::assets;
use mingcha_core::checklist::ChecklistTemplate;
use mingcha_core::taxonomy::{Category, CategoryPath, Taxonomy};
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Result, StoreError};
use crate::{Store, db, time_text};

/// The built-in taxonomy file, as shipped in `assets/`.
pub const BUILTIN_TAXONOMY: (&str, &str) = ("assets/taxonomy.json", include_str!("../../../assets/taxonomy.json"));

/// The built-in checklist templates, as shipped in `assets/templates/`.
pub const BUILTIN_TEMPLATES: &[(&str, &str)] = &[
    ("assets/templates/window-service.json", include_str!("../../../assets/templates/window-service.json")),
    ("assets/templates/work-discipline.json", include_str!("../../../assets/templates/work-discipline.json")),
    ("assets/templates/eight-rules.json", include_str!("../../../assets/templates/eight-rules.json")),
    ("assets/templates/business-env.json", include_str!("../../../assets/templates/business-env.json")),
];

/// Parse the built-in data. It is checked by tests, so an error here is a build defect.
pub fn builtin() -> Result<(Taxonomy, Vec<ChecklistTemplate>)> {
    let taxonomy = assets::parse_taxonomy(BUILTIN_TAXONOMY.0, BUILTIN_TAXONOMY.1)?;
    let templates = BUILTIN_TEMPLATES
        .iter()
        .map(|(file, text)| assets::parse_template(file, text, &taxonomy))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((taxonomy, templates))
}

/// Bring the store's catalogue up to the built-in versions (at init, and after an upgrade).
/// A digest of the built-in files this build carries: when a store has already taken them in,
/// opening it parses nothing (every CLI call and every app start opens the store).
fn builtin_digest() -> String {
    let mut h = Sha256::new();
    for (file, text) in std::iter::once(&BUILTIN_TAXONOMY).chain(BUILTIN_TEMPLATES) {
        h.update(file.as_bytes());
        h.update(text.as_bytes());
    }
    mingcha_core::hex::encode(&h.finalize())
}

pub(crate) fn load_builtin(conn: &Connection, now: DateTime<Utc>) -> Result<()> {
    let digest = builtin_digest();
    if db::meta(conn, "builtin_digest")?.as_deref() == Some(digest.as_str()) {
        return Ok(());
    }
    let (taxonomy, templates) = builtin()?;
    let stored: u32 = db::meta(conn, "taxonomy_version")?.and_then(|v| v.parse().ok()).unwrap_or(0);
    let missing_template = |t: &ChecklistTemplate| -> Result<bool> {
        Ok(conn
            .query_row(
                "SELECT 1 FROM checklist_template WHERE code = ?1 AND version = ?2",
                (&t.code, t.version),
                |_| Ok(()),
            )
            .optional()?
            .is_none())
    };
    let mut new_templates = Vec::new();
    for t in &templates {
        if missing_template(t)? {
            new_templates.push(t);
        }
    }
    let tx = conn.unchecked_transaction()?;
    if stored < taxonomy.version {
        store_taxonomy(&tx, &taxonomy, now)?;
    }
    for t in new_templates {
        insert_template(&tx, t, "builtin", now)?;
    }
    db::set_meta(&tx, "builtin_digest", &digest)?;
    tx.commit()?;
    Ok(())
}

/// Make `taxonomy` the store's live taxonomy, by code: new codes are added; names,
/// descriptions, positions and parents are updated; a code it no longer lists is retired, never
/// deleted (findings point at it and keep showing its name). A retired code whose name the new
/// taxonomy gives to another code is renamed `名称（已停用，code）`, since names stay unique.
/// The same rule serves a newer built-in taxonomy and one the office published.
pub(crate) fn store_taxonomy(conn: &Connection, taxonomy: &Taxonomy, now: DateTime<Utc>) -> Result<()> {
    let mut stmt = conn.prepare("SELECT code, name FROM category")?;
    let before: Vec<(String, String)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    let published: HashMap<&str, &str> = taxonomy
        .categories
        .iter()
        .flat_map(|p| std::iter::once(p).chain(&p.children))
        .map(|c| (c.code.as_str(), c.name.as_str()))
        .collect();
    let taken: HashSet<&str> = published.values().copied().collect();
    // Names are unique: move every name aside first, so two categories can swap names.
    conn.execute("UPDATE category SET name = char(1) || code", [])?;
    let mut upsert = conn.prepare(
        "INSERT INTO category (code, parent_code, name, description, position) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (code) DO UPDATE SET parent_code = excluded.parent_code, name = excluded.name,
             description = excluded.description, position = excluded.position, retired_at = NULL",
    )?;
    let mut position = 0;
    for parent in &taxonomy.categories {
        position += 1;
        upsert.execute((&parent.code, None::<String>, &parent.name, &parent.description, position))?;
        for child in &parent.children {
            position += 1;
            upsert.execute((&child.code, &parent.code, &child.name, &child.description, position))?;
        }
    }
    let mut retire = conn.prepare(
        "UPDATE category SET name = ?2, retired_at = coalesce(retired_at, ?3), position = ?4 WHERE code = ?1",
    )?;
    for (code, name) in before.iter().filter(|(code, _)| !published.contains_key(code.as_str())) {
        let name = if taken.contains(name.as_str()) { format!("{name}（已停用，{code}）") } else { name.clone() };
        position += 1;
        retire.execute((code, name, time_text(now), position))?;
    }
    db::set_meta(conn, "taxonomy_version", &taxonomy.version.to_string())
}

pub(crate) fn insert_template(
    conn: &Connection,
    t: &ChecklistTemplate,
    source: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    conn.execute(
        "INSERT INTO checklist_template (code, version, name, body, source, imported_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        (&t.code, t.version, &t.name, serde_json::to_string(t)?, source, time_text(now)),
    )?;
    Ok(())
}

/// The live taxonomy from the store: what the category picker offers and a new finding may
/// name. Retired categories are left out.
pub(crate) fn taxonomy(conn: &Connection) -> Result<Taxonomy> {
    let version = db::meta(conn, "taxonomy_version")?.and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut stmt = conn.prepare(
        "SELECT code, parent_code, name, description FROM category WHERE retired_at IS NULL ORDER BY position",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
    })?;
    let mut categories: Vec<Category> = Vec::new();
    for row in rows {
        let (code, parent, name, description) = row?;
        let c = Category { code, name, description, children: vec![] };
        match parent {
            None => categories.push(c),
            Some(p) => categories
                .iter_mut()
                .find(|x| x.code == p)
                .ok_or_else(|| StoreError::Corrupt(format!("category {} has unknown parent {p}", c.code)))?
                .children
                .push(c),
        }
    }
    Ok(Taxonomy { version, categories })
}

/// "散 / 脱岗离岗" for every category that has a parent, retired ones included: a finding
/// recorded under a category the office has since retired still shows its name.
pub(crate) fn labels(conn: &Connection) -> Result<HashMap<String, String>> {
    let mut stmt = conn
        .prepare("SELECT c.code, c.name, p.code, p.name FROM category c JOIN category p ON p.code = c.parent_code")?;
    let rows = stmt.query_map([], |r| {
        let category =
            |code: String, name: String| Category { code, name, description: String::new(), children: vec![] };
        let leaf = category(r.get(0)?, r.get(1)?);
        let parent = category(r.get(2)?, r.get(3)?);
        Ok((leaf.code.clone(), CategoryPath { parent: &parent, leaf: &leaf }.label()))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The code of the template with this code (or exact name), if the store has any version of it.
pub(crate) fn template_code(conn: &Connection, code_or_name: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT code FROM checklist_template WHERE code = ?1 OR name = ?1 ORDER BY code = ?1 DESC, version DESC LIMIT 1",
            [code_or_name.trim()],
            |r| r.get(0),
        )
        .optional()?)
}

/// A template as listed: its latest version.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TemplateSummary {
    pub code: String,
    pub version: u32,
    pub name: String,
    pub items: usize,
    pub source: String,
}

impl Store {
    /// The latest version of every template.
    pub fn templates(&self) -> Result<Vec<TemplateSummary>> {
        let mut stmt = self.conn.prepare(
            "SELECT t.body, t.source FROM checklist_template t
             WHERE t.version = (SELECT max(version) FROM checklist_template u WHERE u.code = t.code)
             ORDER BY t.rowid",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        rows.map(|row| {
            let (body, source) = row?;
            let t: ChecklistTemplate = serde_json::from_str(&body)?;
            Ok(TemplateSummary { items: t.item_count(), code: t.code, version: t.version, name: t.name, source })
        })
        .collect()
    }

    /// A template by code (or exact name), at `version` or its latest.
    pub fn template(&self, code_or_name: &str, version: Option<u32>) -> Result<ChecklistTemplate> {
        let body: Option<String> = self
            .conn
            .query_row(
                "SELECT body FROM checklist_template WHERE (code = ?1 OR name = ?1) AND (?2 IS NULL OR version = ?2)
                 ORDER BY version DESC LIMIT 1",
                (code_or_name.trim(), version),
                |r| r.get(0),
            )
            .optional()?;
        let body = body.ok_or_else(|| {
            let key = match version {
                Some(v) => format!("{code_or_name} v{v}"),
                None => code_or_name.to_owned(),
            };
            StoreError::not_found("checklist template", key)
        })?;
        Ok(serde_json::from_str(&body)?)
    }

    /// Import a template file (e.g. one the office sent). A version already present is refused:
    /// a filled checklist must always find the exact template it used.
    pub fn import_template(&mut self, file_name: &str, text: &str) -> Result<ChecklistTemplate> {
        let t = assets::parse_template(file_name, text, &self.taxonomy)?;
        let newest: Option<u32> =
            self.conn
                .query_row("SELECT max(version) FROM checklist_template WHERE code = ?1", [&t.code], |r| r.get(0))?;
        if let Some(newest) = newest
            && t.version <= newest
        {
            return Err(StoreError::Duplicate {
                what: "checklist template version",
                key: format!("{} v{} (the store has v{newest}; give the file a higher version)", t.code, t.version),
            });
        }
        insert_template(&self.conn, &t, file_name, self.clock.now())?;
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_catalogue_parses_and_is_big_enough_to_use() {
        let (taxonomy, templates) = builtin().unwrap();
        let groups: Vec<&str> = taxonomy.categories.iter().map(|c| c.name.as_str()).collect();
        for expected in ["庸", "懒", "散", "浮", "拖", "服务态度"] {
            assert!(groups.contains(&expected), "taxonomy lacks {expected}: {groups:?}");
        }
        assert!(taxonomy.resolve("脱岗离岗").is_ok());
        let names: Vec<&str> = templates.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(templates.len(), 4, "{names:?}");
        for t in &templates {
            assert!(t.item_count() >= 10, "{} has only {} items", t.name, t.item_count());
        }
    }
}
