//! The demo day the first start offers: two units of 城南区, a covert plan for today, a visit
//! with a filled checklist (one 不符合), two findings, and two camera photos on one of them.

use chrono::{Local, NaiveTime};
use mingcha_core::checklist::ItemResult;
use mingcha_core::finding::Severity;
use mingcha_core::inspection::{InspectionKind, NewPlan};
use mingcha_core::unit::NewUnit;
use mingcha_store::checklists::AnswerInput;
use mingcha_store::evidence::TargetRef;
use mingcha_store::findings::NewFinding;
use mingcha_store::visits::NewVisit;
use mingcha_store::{DataDir, Store};

use crate::error::{IpcError, IpcResult};

const HALL: &str = "城南区政务服务中心";

pub fn populate(s: &mut Store, data: &DataDir) -> IpcResult<()> {
    if s.units()?.iter().any(|u| u.unit.name == HALL) {
        return Err(IpcError::new("demo_present", "the demo day is already in this store"));
    }
    let spots = ["3号窗口".to_owned(), "综合受理区".to_owned()];
    s.add_unit(NewUnit::parse(HALL, Some("城南区"), &spots)?)?;
    s.add_unit(NewUnit::parse("城南区不动产登记中心", Some("城南区"), &[])?)?;
    let now = Local::now();
    let today = now.date_naive();
    let plan = NewPlan::parse("作风效能暗访", InspectionKind::Covert, today, today, &[])?;
    let units = [HALL.to_owned(), "城南区不动产登记中心".to_owned()];
    let plan = s.add_plan(plan, &units, &["work-discipline".to_owned(), "window-service".to_owned()])?;
    let at = |h: u32, m: u32| {
        let t = today.and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default());
        t.and_local_timezone(*now.offset()).single().unwrap_or(now.fixed_offset()).fixed_offset()
    };
    let visit = s.add_visit(NewVisit {
        unit: HALL.into(),
        spot: Some("3号窗口".into()),
        plan: Some(plan.id.to_string()),
        kind: InspectionKind::Covert,
        date: today,
        arrived_at: Some(at(9, 5)),
        inspectors: vec![],
        notes: Some("以办事群众身份咨询营业执照变更".into()),
    })?;
    let visit_id = visit.id.to_string();
    let answer =
        |item: &str, result, note: Option<&str>| AnswerInput { item: item.into(), result, note: note.map(Into::into) };
    s.fill_checklist(
        &visit_id,
        "work-discipline",
        &[
            answer("1", ItemResult::Conforming, None),
            answer("5", ItemResult::NonConforming, Some("9点20分窗口无人")),
            answer("6", ItemResult::Conforming, None),
        ],
    )?;
    s.add_finding(NewFinding {
        visit: visit_id.clone(),
        spot: None,
        observed_at: at(9, 20),
        method: None,
        category: None,
        severity: Severity::Serious,
        description: "3号窗口工作人员上班时间脱岗二十分钟，群众排队等候无人办理".into(),
        persons_involved: None,
        checklist_item: Some(("work-discipline".into(), "5".into())),
    })?;
    let finding = s.add_finding(NewFinding {
        visit: visit_id,
        spot: Some("综合受理区".into()),
        observed_at: at(9, 40),
        method: None,
        category: Some("未一次性告知".into()),
        severity: Severity::Minor,
        description: "咨询办理营业执照变更，工作人员未一次性告知所需材料，群众需再跑一次".into(),
        persons_involved: None,
        checklist_item: None,
    })?;
    // The made photos are written outside the data folder, which holds only sealed evidence,
    // and removed once imported.
    let camera = tempfile::tempdir().map_err(IpcError::internal)?;
    let offset = now.format("%:z").to_string();
    mingcha_evidence::sample::camera_card(camera.path(), 2, at(9, 40).naive_local(), &offset, "demo")
        .map_err(IpcError::internal)?;
    let target = TargetRef::Finding(finding.finding.id.to_string());
    mingcha_evidence::import::import(s, data, &target, &[camera.path().to_owned()], None)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;

    use mingcha_store::{DataDir, FindingQuery, InitOptions, KdfParams, Store, SystemClock};

    #[test]
    fn the_demo_day_has_a_plan_a_filled_checklist_and_findings_with_photos_once() {
        let tmp = tempfile::tempdir().unwrap();
        let data = DataDir::new(tmp.path().join("store"));
        let opts = InitOptions {
            inspector_name: "演示督查员".into(),
            device_name: "demo".into(),
            kdf: KdfParams { memory_kib: 1024, iterations: 1, parallelism: 1 },
        };
        let mut s = Store::init(&data, "demo passphrase", &opts, Arc::new(SystemClock)).unwrap();
        super::populate(&mut s, &data).unwrap();

        assert_eq!(s.units().unwrap().len(), 2);
        let today = super::Local::now().date_naive();
        let plans = s.plans(Some(today), today).unwrap();
        assert_eq!(plans.len(), 1, "the covert plan is today's");
        assert_eq!(plans[0].target_names.len(), 2, "and on its day its targets show");
        let visits = s.visits(Some(today)).unwrap();
        let checklists = s.checklists_of(&visits[0].visit.id.to_string()).unwrap();
        assert_eq!(checklists[0].score.non_conforming, 1);
        let findings = s.findings(&FindingQuery::default()).unwrap();
        assert_eq!(findings.len(), 2);
        let photos: u64 = findings.iter().map(|f| f.evidence_count).sum();
        assert_eq!(photos, 2, "two camera photos on one finding");
        for file in
            walkdir::WalkDir::new(data.root()).into_iter().filter_map(Result::ok).filter(|e| e.file_type().is_file())
        {
            let head = std::fs::read(file.path()).unwrap();
            assert!(!head.starts_with(&[0xFF, 0xD8]), "{} is a plain JPEG in the data folder", file.path().display());
        }

        let again = super::populate(&mut s, &data).unwrap_err();
        assert_eq!(again.code, "demo_present");
        assert_eq!(s.findings(&FindingQuery::default()).unwrap().len(), 2, "nothing added twice");
    }
}
