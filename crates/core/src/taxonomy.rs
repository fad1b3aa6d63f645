//! The problem taxonomy (问题类别): two levels, e.g. 散 → 脱岗离岗. Built-in data seeds it;
//! the office may edit it later, so every finding keeps the category *code*, and the taxonomy
//! carries a version.

use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// One category. Top-level ones (庸, 懒, 散, 浮, 拖, 服务态度 …) have children; a finding is
/// filed under a child.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// Stable code, e.g. `san.absent`. Children are `<parent>.<name>`.
    pub code: String,
    /// The Chinese name inspectors use, e.g. 脱岗离岗; unique across the taxonomy.
    pub name: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Category>,
}

/// The whole taxonomy at one version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Taxonomy {
    pub version: u32,
    pub categories: Vec<Category>,
}

/// A leaf category together with its parent, as a finding shows it: "散 / 脱岗离岗".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CategoryPath<'a> {
    pub parent: &'a Category,
    pub leaf: &'a Category,
}

impl CategoryPath<'_> {
    pub fn label(&self) -> String {
        format!("{} / {}", self.parent.name, self.leaf.name)
    }
}

impl Taxonomy {
    /// Every leaf with its parent, in file order.
    pub fn leaves(&self) -> impl Iterator<Item = CategoryPath<'_>> {
        self.categories.iter().flat_map(|parent| parent.children.iter().map(move |leaf| CategoryPath { parent, leaf }))
    }

    /// Find the leaf a user means, by code (`san.absent`) or by its Chinese name (脱岗离岗).
    /// A finding must name a leaf: "散" alone is too vague for a ledger row.
    pub fn resolve(&self, code_or_name: &str) -> Result<CategoryPath<'_>, ValidationError> {
        let wanted = code_or_name.trim();
        if let Some(path) = self.leaves().find(|p| p.leaf.code == wanted || p.leaf.name == wanted) {
            return Ok(path);
        }
        let hint = match self.categories.iter().find(|c| c.code == wanted || c.name == wanted) {
            Some(parent) => format!(
                "`{wanted}` is a group; choose one of: {}",
                parent.children.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join("、")
            ),
            None => format!("unknown category `{wanted}` (see `mingcha categories`)"),
        };
        Err(ValidationError::Inconsistent { field: "category", reason: hint })
    }

    /// Leaves whose code, name, group or description contains `query`: the category picker.
    pub fn search<'a>(&'a self, query: &'a str) -> impl Iterator<Item = CategoryPath<'a>> + 'a {
        let q = query.trim();
        self.leaves().filter(move |p| {
            [&p.leaf.code, &p.leaf.name, &p.leaf.description, &p.parent.name].iter().any(|s| s.contains(q))
        })
    }

    /// Structural rules the file format promises: two levels, unique codes and names, child
    /// codes prefixed by their parent's. Returns the offending code and the field.
    pub fn check(&self) -> Result<(), (String, &'static str, String)> {
        let mut codes = std::collections::HashSet::new();
        let mut names = std::collections::HashSet::new();
        for parent in &self.categories {
            let all = std::iter::once(parent).chain(parent.children.iter());
            for c in all {
                for (field, value) in [("code", &c.code), ("name", &c.name), ("description", &c.description)] {
                    if value.trim().is_empty() {
                        return Err((c.code.clone(), field, "must not be empty".into()));
                    }
                }
                if !codes.insert(c.code.as_str()) {
                    return Err((c.code.clone(), "code", "is used twice".into()));
                }
                if !names.insert(c.name.as_str()) {
                    return Err((c.code.clone(), "name", format!("`{}` is used twice", c.name)));
                }
            }
            if parent.children.is_empty() {
                return Err((parent.code.clone(), "children", "a top-level category needs at least one child".into()));
            }
            for child in &parent.children {
                if !child.children.is_empty() {
                    return Err((child.code.clone(), "children", "the taxonomy has two levels only".into()));
                }
                if !child.code.starts_with(&format!("{}.", parent.code)) {
                    return Err((child.code.clone(), "code", format!("must start with `{}.`", parent.code)));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn small() -> Taxonomy {
        let leaf = |code: &str, name: &str| Category {
            code: code.into(),
            name: name.into(),
            description: format!("{name}的说明"),
            children: vec![],
        };
        Taxonomy {
            version: 1,
            categories: vec![Category {
                code: "san".into(),
                name: "散".into(),
                description: "纪律松散".into(),
                children: vec![leaf("san.absent", "脱岗离岗"), leaf("san.late", "迟到早退")],
            }],
        }
    }

    #[test]
    fn resolves_by_code_or_chinese_name() {
        let t = small();
        assert_eq!(t.resolve("脱岗离岗").unwrap().leaf.code, "san.absent");
        assert_eq!(t.resolve("san.late").unwrap().label(), "散 / 迟到早退");
    }

    #[test]
    fn a_group_or_unknown_name_says_what_to_do() {
        let t = small();
        let group = t.resolve("散").unwrap_err().to_string();
        assert!(group.contains("脱岗离岗、迟到早退"), "{group}");
        let unknown = t.resolve("摸鱼").unwrap_err().to_string();
        assert!(unknown.contains("unknown category `摸鱼`"), "{unknown}");
    }

    #[test]
    fn search_matches_group_and_description() {
        let t = small();
        assert_eq!(t.search("散").count(), 2);
        assert_eq!(t.search("迟到").map(|p| p.leaf.code.as_str()).collect::<Vec<_>>(), ["san.late"]);
    }

    #[test]
    fn check_refuses_duplicate_names_and_bad_prefixes() {
        let mut t = small();
        t.categories[0].children[1].name = "脱岗离岗".into();
        assert_eq!(t.check().unwrap_err().1, "name");
        let mut t = small();
        t.categories[0].children[1].code = "lan.late".into();
        assert_eq!(t.check().unwrap_err().0, "lan.late");
    }
}
