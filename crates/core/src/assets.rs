//! The built-in data file formats: the taxonomy and checklist templates, as JSON.
//!
//! Every file starts with `"format"` (what it is) and `"format_version"` (how it is laid out),
//! then the content, which carries its own `"version"`. A file that does not parse gets an
//! [`AssetError`] naming the file, the item (by its code where it has one) and the field, so
//! the person editing it can go straight to the line.

use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::checklist::ChecklistTemplate;
use crate::taxonomy::Taxonomy;

pub const TAXONOMY_FORMAT: &str = "mingcha.taxonomy";
pub const TEMPLATE_FORMAT: &str = "mingcha.checklist-template";
/// The layout version this build reads and writes.
pub const FORMAT_VERSION: u64 = 1;

/// A data file that is not what its format promises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetError {
    pub file: String,
    /// The item, e.g. "item `ws-03` (sections[0].items[2])", or "" for the whole file.
    pub item: String,
    /// The field, e.g. "guidance", or "" when the problem is not one field.
    pub field: String,
    pub message: String,
}

impl fmt::Display for AssetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if !self.item.is_empty() {
            write!(f, ": {}", self.item)?;
        }
        if !self.field.is_empty() {
            write!(f, ": field `{}`", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for AssetError {}

impl AssetError {
    fn whole(file: &str, message: impl Into<String>) -> Self {
        Self { file: file.into(), item: String::new(), field: String::new(), message: message.into() }
    }
}

/// Parse a taxonomy file.
pub fn parse_taxonomy(file: &str, text: &str) -> Result<Taxonomy, AssetError> {
    let taxonomy: Taxonomy = parse_as(file, text, TAXONOMY_FORMAT)?;
    taxonomy.check().map_err(|(code, field, message)| AssetError {
        file: file.into(),
        item: format!("category `{code}`"),
        field: field.into(),
        message,
    })?;
    Ok(taxonomy)
}

/// Parse a checklist template file; every item's category must be a leaf of `taxonomy`.
pub fn parse_template(file: &str, text: &str, taxonomy: &Taxonomy) -> Result<ChecklistTemplate, AssetError> {
    let template: ChecklistTemplate = parse_as(file, text, TEMPLATE_FORMAT)?;
    let err = |item: String, field: &str, message: String| AssetError {
        file: file.into(),
        item,
        field: field.into(),
        message,
    };
    for (field, value) in [("code", &template.code), ("name", &template.name)] {
        if value.trim().is_empty() {
            return Err(err(String::new(), field, "must not be empty".into()));
        }
    }
    if template.version == 0 {
        return Err(err(String::new(), "version", "must be 1 or more".into()));
    }
    if template.item_count() == 0 {
        return Err(err(String::new(), "sections", "a template needs at least one item".into()));
    }
    let mut seen = std::collections::HashSet::new();
    for (s, section) in template.sections.iter().enumerate() {
        if section.title.trim().is_empty() {
            return Err(err(format!("sections[{s}]"), "title", "must not be empty".into()));
        }
        for (i, item) in section.items.iter().enumerate() {
            let at = format!("item `{}` (sections[{s}].items[{i}])", item.code);
            for (field, value) in [
                ("code", &item.code),
                ("text", &item.text),
                ("guidance", &item.guidance),
                ("evidence_hint", &item.evidence_hint),
            ] {
                if value.trim().is_empty() {
                    return Err(err(at, field, "must not be empty".into()));
                }
            }
            if !seen.insert(item.code.as_str()) {
                return Err(err(at, "code", "is used twice in this template".into()));
            }
            if !(1..=5).contains(&item.weight) {
                return Err(err(at, "weight", format!("{} is not between 1 and 5", item.weight)));
            }
            if let Some(category) = &item.category
                && taxonomy.leaves().all(|p| &p.leaf.code != category)
            {
                return Err(err(at, "category", format!("`{category}` is not a category of the taxonomy")));
            }
        }
    }
    Ok(template)
}

/// Check the `format` header, then deserialise the rest, naming the path of the first problem.
fn parse_as<T: DeserializeOwned>(file: &str, text: &str, format: &str) -> Result<T, AssetError> {
    let mut value: Value = serde_json::from_str(text).map_err(|e| {
        AssetError::whole(file, format!("not valid JSON (line {}, column {}): {e}", e.line(), e.column()))
    })?;
    let Some(object) = value.as_object_mut() else {
        return Err(AssetError::whole(file, "expected a JSON object at the top"));
    };
    match object.remove("format") {
        Some(Value::String(f)) if f == format => {}
        Some(other) => {
            return Err(AssetError {
                field: "format".into(),
                ..AssetError::whole(file, format!("is {other}, expected \"{format}\""))
            });
        }
        None => {
            return Err(AssetError {
                field: "format".into(),
                ..AssetError::whole(file, format!("is missing, expected \"{format}\""))
            });
        }
    }
    match object.remove("format_version").and_then(|v| v.as_u64()) {
        Some(FORMAT_VERSION) => {}
        Some(v) if v > FORMAT_VERSION => {
            return Err(AssetError {
                field: "format_version".into(),
                ..AssetError::whole(
                    file,
                    format!("{v} is newer than this Mingcha reads ({FORMAT_VERSION}); update Mingcha"),
                )
            });
        }
        _ => {
            return Err(AssetError {
                field: "format_version".into(),
                ..AssetError::whole(file, format!("must be the number {FORMAT_VERSION}"))
            });
        }
    }
    let original = value.clone();
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        locate(file, &original, &path, inner)
    })
}

/// Turn a serde path like `sections[0].items[2].guidance` into the item's code and the field.
fn locate(file: &str, root: &Value, path: &str, message: String) -> AssetError {
    // serde reports a missing field at the object that lacks it, and a wrong value at the field.
    let missing = message.strip_prefix("missing field `").and_then(|m| m.split('`').next()).map(str::to_owned);
    let (object_path, field) = match &missing {
        Some(field) => (path.to_owned(), field.clone()),
        None => match path.rsplit_once('.') {
            Some((obj, last)) if !last.contains('[') => (obj.to_owned(), last.to_owned()),
            _ => (path.to_owned(), String::new()),
        },
    };
    let object_path = if object_path == "." { String::new() } else { object_path };
    let code = pointer(root, &object_path).and_then(|v| v.get("code")).and_then(Value::as_str);
    let item = match code {
        Some(code) if !object_path.is_empty() => format!("item `{code}` ({object_path})"),
        _ => object_path,
    };
    AssetError { file: file.into(), item, field, message }
}

/// Follow a serde_path_to_error path (`a[1].b`) through a JSON value.
fn pointer<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    let mut at = root;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, indexes) = part.split_once('[').map_or((part, ""), |(k, rest)| (k, rest));
        if !key.is_empty() {
            at = at.get(key)?;
        }
        for index in indexes.split('[').filter(|s| !s.is_empty()) {
            at = at.get(index.trim_end_matches(']').parse::<usize>().ok()?)?;
        }
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAXONOMY: &str = r#"{"format":"mingcha.taxonomy","format_version":1,"version":1,"categories":[
        {"code":"san","name":"散","description":"纪律松散","children":[
            {"code":"san.absent","name":"脱岗离岗","description":"工作时间离开岗位"}]}]}"#;

    fn template(items: &str) -> String {
        format!(
            r#"{{"format":"mingcha.checklist-template","format_version":1,"code":"wd","version":1,
            "name":"工作纪律","description":"在岗在位","sections":[{{"title":"在岗","items":[{items}]}}]}}"#
        )
    }

    const GOOD: &str =
        r#"{"code":"wd-01","text":"在岗在位","guidance":"查看","evidence_hint":"拍照","category":"san.absent"}"#;

    #[test]
    fn good_files_parse() {
        let t = parse_taxonomy("taxonomy.json", TAXONOMY).unwrap();
        let tpl = parse_template("wd.json", &template(GOOD), &t).unwrap();
        assert_eq!(tpl.item("wd-01").unwrap().weight, 1);
    }

    #[test]
    fn a_missing_field_names_file_item_and_field() {
        let t = parse_taxonomy("taxonomy.json", TAXONOMY).unwrap();
        let bad = r#"{"code":"wd-02","text":"按时到岗","evidence_hint":"拍照"}"#;
        let err = parse_template("templates/wd.json", &template(&format!("{GOOD},{bad}")), &t).unwrap_err();
        assert_eq!(err.file, "templates/wd.json");
        assert_eq!(err.item, "item `wd-02` (sections[0].items[1])");
        assert_eq!(err.field, "guidance");
        assert!(err.to_string().starts_with("templates/wd.json: item `wd-02`"), "{err}");
    }

    #[test]
    fn a_wrong_type_names_the_field() {
        let t = parse_taxonomy("taxonomy.json", TAXONOMY).unwrap();
        let bad = r#"{"code":"wd-02","text":"按时到岗","guidance":"看","evidence_hint":"拍照","weight":"heavy"}"#;
        let err = parse_template("wd.json", &template(bad), &t).unwrap_err();
        assert_eq!((err.item.as_str(), err.field.as_str()), ("item `wd-02` (sections[0].items[0])", "weight"));
    }

    #[test]
    fn an_unknown_category_or_typo_field_is_named() {
        let t = parse_taxonomy("taxonomy.json", TAXONOMY).unwrap();
        let bad = GOOD.replace("san.absent", "san.sleeping");
        let err = parse_template("wd.json", &template(&bad), &t).unwrap_err();
        assert_eq!(err.field, "category");
        let typo = GOOD.replace("evidence_hint", "evidence_hnt");
        let err = parse_template("wd.json", &template(&typo), &t).unwrap_err();
        assert!(err.message.contains("evidence_hnt"), "{err}");
    }

    #[test]
    fn header_and_syntax_problems_are_clear() {
        let t = parse_taxonomy("taxonomy.json", TAXONOMY).unwrap();
        let newer = template(GOOD).replace("\"format_version\":1", "\"format_version\":7");
        assert!(parse_template("wd.json", &newer, &t).unwrap_err().to_string().contains("newer than this Mingcha"));
        let wrong = template(GOOD).replace("mingcha.checklist-template", "mingcha.taxonomy");
        assert_eq!(parse_template("wd.json", &wrong, &t).unwrap_err().field, "format");
        let err = parse_template("wd.json", "{\"format\": ", &t).unwrap_err();
        assert!(err.to_string().contains("not valid JSON (line 1"), "{err}");
    }

    #[test]
    fn taxonomy_structure_errors_name_the_category() {
        let bad = TAXONOMY.replace("\"san.absent\"", "\"lan.absent\"");
        let err = parse_taxonomy("taxonomy.json", &bad).unwrap_err();
        assert_eq!(err.item, "category `lan.absent`");
    }
}
