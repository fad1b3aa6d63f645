//! The dashboard (统计) read from the ledger's counters: totals, units, categories, months,
//! lights, and 屡查屡犯 with its problems, kept in step by every problem write and rebuilt for an
//! office made before the counters.

use chrono::Local;
use serde_json::{Value, json};

use super::pages::forget;
use super::support::{App, http};
use super::{Console, Role, accept_all, field_day};

on_both_backends!(the_dashboard_sums_the_ledgers_counters_and_names_each_repeats_problems);

async fn the_dashboard_sums_the_ledgers_counters_and_names_each_repeats_problems(app: App) {
    let south = field_day(
        &app,
        "城南区政务服务中心",
        &[
            ("san.absent", "3号窗口工作人员上班时间脱岗二十分钟"),
            ("lan.slow", "不动产登记窗口办件超时未办结"),
            ("san.absent", "综合窗口人员离岗未放置暂离牌"),
            ("san.gaming", "5号窗口工作人员上班时间玩手机游戏"),
        ],
    )
    .await;
    let north = field_day(&app, "城北区不动产登记中心", &[("san.absent", "咨询台无人值守")]).await;
    let office = Console::sign_in(&app, "wang", Role::Reviewer, None).await;
    let empty = office.read("/api/console/dashboard").await;
    assert_eq!((empty["total"].as_u64(), empty["units"].as_u64()), (Some(0), Some(0)), "nothing accepted yet");
    let problems = accept_all(&office, &south).await;
    accept_all(&office, &north).await;

    // 城南's four due tomorrow (yellow), then one of them past its deadline (red: set behind the
    // office's back, as no one can assign a past deadline).
    let tomorrow = Local::now().date_naive() + chrono::Days::new(1);
    let assign = json!({"unit": "城南区政务服务中心", "deadline": tomorrow.to_string()});
    for p in &problems {
        office.ok(&format!("/api/console/problems/{p}/assign"), assign.clone()).await;
    }
    let overdue = format!("UPDATE ledger_row SET deadline = '2026-01-01' WHERE problem_id = '{}'", problems[3]);
    forget(&app, &[&overdue]).await;

    let d = office.read("/api/console/dashboard").await;
    let counts = |v: &Value| -> Vec<(String, u64)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| (c["name"].as_str().unwrap().to_owned(), c["count"].as_u64().unwrap()))
            .collect()
    };
    let pairs = |p: &[(&str, u64)]| p.iter().map(|(n, c)| ((*n).to_owned(), *c)).collect::<Vec<_>>();
    assert_eq!(
        [&d["total"], &d["open"], &d["closed"], &d["overdue"], &d["yellow"]].map(|v| v.as_u64().unwrap()),
        [5, 5, 0, 1, 3],
        "{d}"
    );
    assert_eq!(counts(&d["by_unit"]), pairs(&[("城南区政务服务中心", 4), ("城北区不动产登记中心", 1)]));
    assert_eq!((d["units"].as_u64(), d["red_units"].as_u64()), (Some(2), Some(1)));
    assert_eq!(counts(&d["red_by_unit"]), pairs(&[("城南区政务服务中心", 1)]));
    assert_eq!(counts(&d["by_category"]), pairs(&[("散", 4), ("懒", 1)]));
    assert_eq!(counts(&d["by_month"]), pairs(&[("2026-11", 5)]));
    // Two 脱岗离岗 the same day at 城南 are a repeat; 城北's one is not, nor are single finds.
    assert_eq!(d["repeats_total"].as_u64(), Some(1), "{}", d["repeats"]);
    let repeat = &d["repeats"][0];
    assert_eq!((repeat["unit"].as_str(), repeat["what"].as_str()), (Some("城南区政务服务中心"), Some("散 / 脱岗离岗")));
    assert_eq!((repeat["count"].as_u64(), repeat["first"].as_str()), (Some(2), Some("2026-11-10")));
    assert_eq!(repeat["problems"], json!([problems[0], problems[2]]), "the run's problems, in the order found");

    // 亮灯 pages each light, and counts every unit that must act.
    let lights = office.read("/api/console/lights?limit=2").await;
    let page = |v: &Value| (v["total"].as_u64(), v["rows"].as_array().map(Vec::len), v["next"].is_string());
    assert_eq!(page(&lights["red"]), (Some(1), Some(1), false), "{lights}");
    assert_eq!(page(&lights["yellow"]), (Some(3), Some(2), true));
    assert_eq!(lights["red"]["rows"][0]["id"], problems[3]);
    assert_eq!(lights["units"], json!([{"unit": "城南区政务服务中心", "red": 1, "yellow": 3}]));
    let after = super::encode(lights["yellow"]["next"].as_str().unwrap());
    let rest = office.read(&format!("/api/console/problems?light=yellow&limit=2&after={after}")).await;
    assert_eq!(page(&rest), (Some(3), Some(1), false), "the ledger pages on where the lights stop");

    let later = office.read("/api/console/dashboard?from=2026-12-01").await;
    assert_eq!((later["total"].as_u64(), later["repeats"].as_array().map(Vec::len)), (Some(0), Some(0)));
    let bad = office.get("/api/console/dashboard?window=0").await;
    assert_eq!(bad.error(400).code, "invalid_input");

    // An office made before the counters counts once when migration 8 comes, and answers alike.
    let forgotten = [
        "DROP TABLE ledger_tally",
        "DROP INDEX ledger_row_repeat_category",
        "DROP INDEX ledger_row_repeat_item",
        "DELETE FROM schema_migration WHERE version = 8",
    ];
    forget(&app, &forgotten).await;
    let counted = mingcha_server::spawn(app.server.office.config.clone(), "127.0.0.1:0").await.unwrap();
    let r = http(counted.addr, "GET", "/api/console/dashboard", &office.headers(), b"").await;
    assert_eq!(r.json::<Value>(), d, "the dashboard answers as before its counters were made");
}
