//! The domain rules on the real built-in data: the shipped taxonomy and templates parse, every
//! template item points at a real category, and a filled checklist scores the way an
//! inspection team would count it.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed; the panic says where

use mingcha_core::assets::{parse_taxonomy, parse_template};
use mingcha_core::checklist::{Answer, ItemResult, score};
use mingcha_core::rectification::{Light, Stage, Step, light};

const TAXONOMY: &str = include_str!("../../../assets/taxonomy.json");
const TEMPLATES: [(&str, &str); 4] = [
    ("window-service.json", include_str!("../../../assets/templates/window-service.json")),
    ("work-discipline.json", include_str!("../../../assets/templates/work-discipline.json")),
    ("eight-rules.json", include_str!("../../../assets/templates/eight-rules.json")),
    ("business-env.json", include_str!("../../../assets/templates/business-env.json")),
];

#[test]
fn every_built_in_template_item_has_guidance_and_a_real_category() {
    let taxonomy = parse_taxonomy("taxonomy.json", TAXONOMY).unwrap();
    for (file, text) in TEMPLATES {
        let t = parse_template(file, text, &taxonomy).unwrap();
        assert!(t.item_count() >= 10, "{file}: {} items", t.item_count());
        for (_, item) in t.items() {
            assert!(item.guidance.chars().count() >= 10, "{file} {}: guidance too thin", item.code);
            if let Some(c) = &item.category {
                let path = taxonomy.resolve(c).unwrap();
                assert_eq!(&path.leaf.code, c);
            }
        }
    }
}

#[test]
fn the_taxonomy_covers_the_categories_offices_use() {
    let taxonomy = parse_taxonomy("taxonomy.json", TAXONOMY).unwrap();
    for word in ["脱岗离岗", "迟到早退", "推诿扯皮", "未一次性告知", "公车私用", "乱收费"] {
        assert!(taxonomy.resolve(word).is_ok(), "{word}");
    }
    assert!(taxonomy.search("游戏").count() >= 1);
}

#[test]
fn a_window_checklist_with_two_failures_scores_by_weight() {
    let taxonomy = parse_taxonomy("taxonomy.json", TAXONOMY).unwrap();
    let t = parse_template(TEMPLATES[0].0, TEMPLATES[0].1, &taxonomy).unwrap();
    let items: Vec<_> = t.items().map(|(_, i)| i.clone()).collect();
    let answers: Vec<Answer> = items
        .iter()
        .enumerate()
        .map(|(n, i)| Answer {
            item_code: i.code.clone(),
            result: if n < 2 { ItemResult::NonConforming } else { ItemResult::Conforming },
            note: None,
        })
        .collect();
    let s = score(&t, &answers);
    let total: u32 = items.iter().map(|i| u32::from(i.weight)).sum();
    let failed: u32 = items[..2].iter().map(|i| u32::from(i.weight)).sum();
    assert!(s.is_complete());
    assert_eq!(s.non_conforming, 2);
    assert_eq!(s.percent().unwrap(), f64::from(total - failed) * 100.0 / f64::from(total));
}

#[test]
fn a_problem_runs_from_assignment_to_closing_with_its_lights() {
    let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    let deadline = d("2026-12-01");
    let mut stage = Stage::Assigned;
    assert_eq!(light(stage, deadline, d("2026-11-20")), Some(Light::Green));
    assert_eq!(light(stage, deadline, d("2026-12-02")), Some(Light::Red));
    stage = stage.after(Step::Report).unwrap();
    stage = stage.after(Step::VerifyFail).unwrap();
    assert_eq!(stage, Stage::Assigned, "a failed 复核 goes back to 整改");
    for step in [Step::Report, Step::VerifyPass, Step::Close] {
        stage = stage.after(step).unwrap();
    }
    assert_eq!(stage, Stage::Closed);
    assert_eq!(light(stage, deadline, d("2026-12-10")), None, "a closed problem no longer lights");
}
