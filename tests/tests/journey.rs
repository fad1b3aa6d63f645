//! An inspector's field day, start to end, through the `mingcha` binary:
//! init → plan → visit → checklist with a 不符合 → finding with photos → search finds it.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed; the panic says where

use std::collections::BTreeSet;

use mingcha_evidence::sample::{SampleExif, camera_photo};
use mingcha_tests::{Laptop, seed_sentences};

const DAY: &str = "2026-11-10";

fn id(v: &serde_json::Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

#[test]
fn a_covert_visit_from_plan_to_a_finding_found_by_a_two_character_word() {
    let laptop = Laptop::new();
    let init = laptop.json(&["init", "--inspector", "陈督查", "--device", "督查组笔记本"]);
    assert_eq!(init["templates"].as_array().unwrap().len(), 4);

    laptop.json(&[
        "unit",
        "add",
        "城东区政务服务中心",
        "--region",
        "城东区",
        "--spot",
        "3号窗口",
        "--spot",
        "综合受理区",
    ]);
    laptop.json(&["unit", "add", "城东区市场监督管理局"]);
    let plan = laptop.json(&[
        "plan",
        "new",
        "--title",
        "十一月作风效能暗访",
        "--kind",
        "暗访",
        "--from",
        DAY,
        "--to",
        "2026-11-12",
        "--unit",
        "城东区政务服务中心",
        "--unit",
        "市场监督",
        "--checklist",
        "work-discipline",
        "--team",
        "陈督查",
        "--team",
        "周督查",
    ]);
    let visit = laptop.json(&[
        "visit",
        "new",
        "--plan",
        &id(&plan),
        "--unit",
        "政务服务中心",
        "--kind",
        "covert",
        "--date",
        DAY,
        "--spot",
        "3号窗口",
        "--at",
        "09:05",
    ]);
    let visit = id(&visit);

    let checklist = laptop.json(&[
        "checklist",
        "fill",
        "--visit",
        &visit,
        "--template",
        "工作纪律（在岗在位）",
        "1=符合",
        "5=不符合:9点20分窗口无人，群众排队等候",
        "6=符合",
        "10=不适用",
    ]);
    assert_eq!(checklist["score"]["answered"], 4);
    assert_eq!(checklist["score"]["non_conforming"], 1);
    let item = &checklist["items"][4];
    assert_eq!(item["answer"]["result"], "non_conforming");

    // The 不符合 item becomes a finding; its category comes from the item.
    let target = laptop.json(&[
        "finding",
        "add",
        "--visit",
        &visit,
        "--item",
        "work-discipline:5",
        "--severity",
        "较重",
        "--at",
        "09:20",
        "--text",
        "3号窗口工作人员上班时间脱岗二十分钟，群众排队等候无人办理",
        "--persons",
        "窗口工作人员刘某",
    ]);
    assert_eq!(target["checklist_item"]["item_code"], item["code"]);
    assert_eq!(target["category"], item["category"]);
    assert_eq!(target["method"], "covert");

    // Two photos from the phone, and one old gallery picture passed off as new.
    let dcim = laptop.data.parent().unwrap().join("DCIM");
    std::fs::create_dir_all(&dcim).unwrap();
    let shot = |d: u32, h: u32| SampleExif {
        taken_at: chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap().and_hms_opt(h, 21, 0),
        offset: Some("+08:00".into()),
        ..Default::default()
    };
    std::fs::write(dcim.join("IMG_3301.JPG"), camera_photo(1024, 768, 1, &shot(10, 9))).unwrap();
    std::fs::write(dcim.join("IMG_3302.JPG"), camera_photo(1024, 768, 2, &shot(10, 9))).unwrap();
    std::fs::write(dcim.join("旧照片.jpg"), camera_photo(1024, 768, 3, &shot(2, 15))).unwrap();
    let target_id = id(&target);
    let imported = laptop.json(&["photo", "import", "--finding", &target_id, dcim.to_str().unwrap()]);
    assert_eq!(imported["imported"], 3);
    let photos = laptop.json(&["photo", "list", "--finding", &target_id]);
    let flagged: Vec<&str> = photos
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| !p["flags"].as_array().unwrap().is_empty())
        .map(|p| p["original_name"].as_str().unwrap())
        .collect();
    assert_eq!(flagged, ["旧照片.jpg"], "only the old picture is flagged");
    // The hall on arrival belongs to the visit; the empty window to its checklist item.
    let hall = dcim.join("大厅全景.jpg");
    std::fs::write(&hall, camera_photo(1024, 768, 4, &shot(10, 9))).unwrap();
    let on_visit = laptop.json(&["photo", "import", "--visit", &visit, hall.to_str().unwrap()]);
    assert_eq!(on_visit["imported"], 1);
    let item_ref = format!("{visit}:work-discipline:5");
    let on_item =
        laptop.json(&["photo", "import", "--checklist-item", &item_ref, dcim.join("IMG_3301.JPG").to_str().unwrap()]);
    assert_eq!(on_item["imported"], 1, "the same photo may also stand for the checklist item");
    assert_eq!(laptop.json(&["photo", "list", "--visit", &visit]).as_array().unwrap().len(), 1);
    assert_eq!(laptop.json(&["photo", "list", "--checklist-item", &item_ref]).as_array().unwrap().len(), 1);
    let check = laptop.json(&["photo", "check"]);
    assert_eq!(check["intact"], 4, "four distinct originals, each stored once: {check}");

    let first_photo = photos[0]["id"].as_str().unwrap();
    let copy = dcim.join("通报配图.jpg");
    let disclosed = laptop.json(&["photo", "disclose", first_photo, "--no-gps", "--out", copy.to_str().unwrap()]);
    assert!(copy.exists());
    assert_eq!(disclosed["original"], photos[0]["sha256"], "the copy names its original");
    assert_ne!(disclosed["sha256"], photos[0]["sha256"]);

    // The rest of the day: findings written in the speeches' own words.
    let seeds = seed_sentences();
    for (i, sentence) in seeds.iter().step_by(7).take(25).enumerate() {
        let at = format!("{:02}:{:02}", 10 + i / 6, (i % 6) * 10);
        laptop.json(&["finding", "add", "--visit", &visit, "--category", "表面文章", "--text", sentence, "--at", &at]);
    }

    let found = laptop.json(&["search", "脱岗"]);
    let found = found.as_array().unwrap();
    assert_eq!(found.len(), 1, "脱岗 finds exactly the finding that says it");
    assert_eq!(found[0]["id"], target["id"]);
    assert_eq!(found[0]["unit_name"], "城东区政务服务中心");

    // Any word the inspector types finds exactly the findings whose text holds it.
    let all = laptop.json(&["finding", "list", "--limit", "1000"]);
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 26);
    let haystack = |f: &serde_json::Value| {
        ["description", "unit_name", "spot_name", "category_label"]
            .iter()
            .filter_map(|k| f[k].as_str())
            .collect::<Vec<_>>()
            .join(" ")
    };
    for word in ["效能", "群众", "作风", "服务", "等候", "窗口", "干部", "马上就办", "门难进", "办"]
    {
        let expected: BTreeSet<String> = all.iter().filter(|f| haystack(f).contains(word)).map(id).collect();
        let got: BTreeSet<String> =
            laptop.json(&["search", word, "--limit", "1000"]).as_array().unwrap().iter().map(id).collect();
        assert_eq!(got, expected, "search {word}");
    }

    // Ending the visit and the day: everything is in the change log, ready to sync.
    laptop.json(&["visit", "end", &visit, "--at", "11:45"]);
    let status = laptop.json(&["status"]);
    assert_eq!(status["findings"], 26);
    let log = laptop.json(&["log"]);
    let entities: BTreeSet<&str> = log.as_array().unwrap().iter().map(|c| c["entity"].as_str().unwrap()).collect();
    for e in ["inspector", "device", "unit", "spot", "plan", "visit", "checklist_response", "finding", "evidence"] {
        assert!(entities.contains(e), "the log has no {e}");
    }
}
