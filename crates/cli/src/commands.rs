//! Each command: parse what was typed, call the store, print the result.

use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use mingcha_core::checklist::ItemResult;
use mingcha_core::finding::{DiscoveryMethod, FindingStatus, Severity};
use mingcha_core::inspection::{InspectionKind, NewPlan};
use mingcha_core::unit::NewUnit;
use mingcha_store::checklists::{AnswerInput, ResponseView};
use mingcha_store::findings::{FindingEdit, FindingView, NewFinding};
use mingcha_store::sync::DecisionKind;
use mingcha_store::visits::NewVisit;
use mingcha_store::{DataDir, FindingQuery, InitOptions, KdfParams, Store, SystemClock};

use crate::output::show;
use crate::{
    ChecklistCommand, Cli, Command, FilterArgs, FindingCommand, PlanCommand, TemplatesCommand, UnitCommand,
    VisitCommand,
};
use crate::{bench, secret, when};

const PASSPHRASE_VAR: &str = "MINGCHA_PASSPHRASE";

fn unlock(dir: &DataDir) -> Result<Store> {
    if !dir.is_initialised() {
        return Err(mingcha_store::StoreError::NotInitialised(dir.root().to_owned()).into());
    }
    let pass = secret::passphrase(PASSPHRASE_VAR, "Passphrase: ", false)?;
    let store = Store::unlock(dir, &pass, Arc::new(SystemClock))?;
    // Evidence an earlier version kept in plaintext is sealed before anything else runs.
    let sealed = mingcha_evidence::upgrade::seal_plaintext(&store, dir)?;
    if !sealed.is_empty() {
        eprintln!(
            "sealed {} original(s) and {} preview(s) an earlier version kept unencrypted",
            sealed.originals, sealed.previews
        );
    }
    for altered in &sealed.altered {
        eprintln!("  altered before sealing (kept under the digest it has): {altered}");
    }
    Ok(store)
}

pub fn run(cli: Cli) -> Result<()> {
    let dir = DataDir::new(&cli.data);
    let json = cli.json;
    match cli.command {
        Command::Init { inspector, device } => {
            let pass = secret::passphrase(PASSPHRASE_VAR, "New passphrase (8+ characters): ", true)?;
            let device = device.or_else(|| std::env::var("HOSTNAME").ok()).unwrap_or_else(|| "laptop".into());
            let opts = InitOptions { inspector_name: inspector, device_name: device, kdf: KdfParams::default() };
            let store = Store::init(&dir, &pass, &opts, Arc::new(SystemClock))?;
            let templates = store.templates()?;
            let out = serde_json::json!({
                "data": dir.root(), "identity": store.identity(),
                "taxonomy_version": store.taxonomy().version, "templates": templates,
            });
            show(json, &out, |_| {
                println!("Created a store for {} in {}", store.identity().inspector_name, dir.root().display());
                println!("  device {}", store.identity().device_id);
                println!("  {} categories, {} checklist templates", store.taxonomy().leaves().count(), templates.len());
            })
        }
        Command::Status => status(&unlock(&dir)?, &dir, json),
        Command::Unit(c) => unit(&mut unlock(&dir)?, c, json),
        Command::Plan(c) => plan(&mut unlock(&dir)?, c, json),
        Command::Visit(c) => visit(&mut unlock(&dir)?, c, json),
        Command::Checklist(c) => checklist(&mut unlock(&dir)?, c, json),
        Command::Finding(c) => finding(&mut unlock(&dir)?, c, json),
        Command::Search { query, filter } => {
            let store = unlock(&dir)?;
            let q = FindingQuery { text: Some(query), ..query_of(&filter)? };
            let found = store.findings(&q)?;
            show(json, &found, |f| print_findings(f))
        }
        Command::Templates(c) => templates(&mut unlock(&dir)?, c, json),
        Command::Categories { query } => {
            let store = unlock(&dir)?;
            let t = store.taxonomy();
            let leaves: Vec<_> = match &query {
                Some(q) => t.search(q).collect(),
                None => t.leaves().collect(),
            };
            let out: Vec<_> = leaves
                .iter()
                .map(|p| serde_json::json!({"code": p.leaf.code, "name": p.leaf.name, "group": p.parent.name, "description": p.leaf.description}))
                .collect();
            show(json, &out, |_| {
                for p in &leaves {
                    println!("{:<36} {:<10} {}", p.leaf.code, p.parent.name, p.leaf.name);
                }
            })
        }
        Command::Log { after } => {
            let store = unlock(&dir)?;
            let changes = store.changes_after(after)?;
            show(json, &changes, |cs| {
                for c in cs {
                    println!(
                        "{:>6}  {}  {:<6} {:<18} {}",
                        c.seq,
                        c.at.format("%Y-%m-%d %H:%M:%S"),
                        c.op.as_str(),
                        c.entity.as_str(),
                        c.entity_id
                    );
                }
            })
        }
        Command::Passphrase => {
            let old = secret::passphrase(PASSPHRASE_VAR, "Current passphrase: ", false)?;
            let new = secret::passphrase("MINGCHA_NEW_PASSPHRASE", "New passphrase: ", true)?;
            Store::change_passphrase(&dir, &old, &new, KdfParams::default())?;
            show(json, &serde_json::json!({"changed": true}), |_| println!("Passphrase changed."))
        }
        Command::Enroll { server, token } => crate::sync::enroll(&mut unlock(&dir)?, &server, &token, json),
        Command::Sync { server } => crate::sync::sync(&mut unlock(&dir)?, &dir, server, json),
        Command::Photo(c) => crate::photo::run(&dir, c, json, || unlock(&dir)),
        Command::Verify { what } => crate::verify::run(&unlock(&dir)?, &dir, what, json),
        Command::Bench(c) => bench::run(c),
    }
}

fn status(store: &Store, dir: &DataDir, json: bool) -> Result<()> {
    let count = |sql: &str| -> Result<u64> { Ok(store.connection().query_row(sql, [], |r| r.get(0))?) };
    let out = serde_json::json!({
        "data": dir.root(),
        "identity": store.identity(),
        "schema_version": mingcha_store::db::schema_version(store.connection())?,
        "device_public_key": store.device_public_key()?,
        "units": count("SELECT count(*) FROM unit WHERE deleted_at IS NULL")?,
        "visits": count("SELECT count(*) FROM visit WHERE deleted_at IS NULL")?,
        "findings": count("SELECT count(*) FROM finding WHERE deleted_at IS NULL")?,
        "evidence": count("SELECT count(*) FROM evidence WHERE deleted_at IS NULL")?,
        "changes": count("SELECT count(*) FROM change_log")?,
        "sync": store.sync_status()?,
    });
    show(json, &out, |o| {
        println!("{} — device {}", store.identity().inspector_name, store.identity().device_id);
        println!("data: {}", dir.root().display());
        println!("device key (ed25519): {}", o["device_public_key"].as_str().unwrap_or_default());
        for k in ["units", "visits", "findings", "evidence", "changes"] {
            println!("  {k:<9} {}", o[k]);
        }
    })?;
    if !json {
        crate::sync::print_status(&store.sync_status()?);
    }
    Ok(())
}

fn unit(store: &mut Store, c: UnitCommand, json: bool) -> Result<()> {
    match c {
        UnitCommand::Add { name, region, spots } => {
            let u = store.add_unit(NewUnit::parse(&name, region.as_deref(), &spots)?)?;
            show(json, &u, |u| println!("{}  {}", u.unit.id, u.unit.name))
        }
        UnitCommand::List => {
            let units = store.units()?;
            show(json, &units, |us| {
                for u in us {
                    let spots: Vec<&str> = u.spots.iter().map(|s| s.name.as_str()).collect();
                    println!("{}  {}  ({} findings)  {}", u.unit.id, u.unit.name, u.findings, spots.join("、"));
                }
            })
        }
    }
}

fn plan(store: &mut Store, c: PlanCommand, json: bool) -> Result<()> {
    match c {
        PlanCommand::New { title, kind, from, to, units, checklists, team } => {
            let starts = when::date("from", Some(&from))?;
            let ends = when::date("to", Some(to.as_deref().unwrap_or(&from)))?;
            let new = NewPlan::parse(&title, kind.parse::<InspectionKind>()?, starts, ends, &team)?;
            let p = store.add_plan(new, &units, &checklists)?;
            show(json, &p, |p| println!("{}  {} {} {}..{}", p.id, p.kind, p.title, p.starts_on, p.ends_on))
        }
        PlanCommand::List { date } => {
            let plans = store.plans(when::opt_date("date", date.as_deref())?, when::today())?;
            show(json, &plans, |ps| {
                for p in ps {
                    let targets = if p.targets_hidden {
                        "（暗访对象当日可见）".to_owned()
                    } else {
                        p.target_names.join("、")
                    };
                    println!(
                        "{}  {} {} {}..{}  {}",
                        p.plan.id, p.plan.kind, p.plan.title, p.plan.starts_on, p.plan.ends_on, targets
                    );
                }
            })
        }
    }
}

fn visit(store: &mut Store, c: VisitCommand, json: bool) -> Result<()> {
    match c {
        VisitCommand::New { unit, kind, date, spot, plan, at, inspectors, notes } => {
            let date = when::date("date", date.as_deref())?;
            let arrived_at = at.as_deref().map(|a| when::time_on("arrival time", date, a)).transpose()?;
            let kind = kind.parse::<InspectionKind>()?;
            let v = store.add_visit(NewVisit { unit, spot, plan, kind, date, arrived_at, inspectors, notes })?;
            show(json, &v, |v| println!("{}  {} {}", v.id, v.kind, v.date))
        }
        VisitCommand::End { visit, at } => {
            let v = store.visit(&visit)?;
            let left = match at {
                Some(a) => when::time_on("leave time", v.date, &a)?,
                None => when::now(),
            };
            let v = store.end_visit(&visit, left)?;
            show(json, &v, |v| println!("{}  ended {}", v.id, left.format("%H:%M")))
        }
        VisitCommand::List { date } => {
            let visits = store.visits(when::opt_date("date", date.as_deref())?)?;
            show(json, &visits, |vs| {
                for v in vs {
                    println!(
                        "{}  {} {} {}  ({} findings)",
                        v.visit.id, v.visit.date, v.visit.kind, v.unit_name, v.findings
                    );
                }
            })
        }
    }
}

/// `ITEM=RESULT` or `ITEM=RESULT:NOTE`.
fn parse_answer(s: &str) -> Result<AnswerInput> {
    let (item, rest) = s.split_once('=').ok_or_else(|| anyhow!("answer `{s}`: write ITEM=RESULT, e.g. 3=不符合"))?;
    let (result, note) = match rest.split_once([':', '：']) {
        Some((r, n)) => (r, Some(n.to_owned())),
        None => (rest, None),
    };
    Ok(AnswerInput { item: item.trim().to_owned(), result: result.parse::<ItemResult>()?, note })
}

fn checklist(store: &mut Store, c: ChecklistCommand, json: bool) -> Result<()> {
    match c {
        ChecklistCommand::Fill { visit, template, answers } => {
            let answers = answers.iter().map(|a| parse_answer(a)).collect::<Result<Vec<_>>>()?;
            let r = store.fill_checklist(&visit, &template, &answers)?;
            show(json, &r, print_response)
        }
        ChecklistCommand::Show { visit } => {
            let rs = store.checklists_of(&visit)?;
            show(json, &rs, |rs| rs.iter().for_each(print_response))
        }
    }
}

fn print_response(r: &ResponseView) {
    let pct = r.score.percent().map_or("—".to_owned(), |p| format!("{p:.0}"));
    println!(
        "{} v{}  answered {}/{}  不符合 {}  score {pct}",
        r.template_name, r.response.template_version, r.score.answered, r.score.total_items, r.score.non_conforming
    );
    for (n, i) in r.items.iter().enumerate() {
        let mark = i.answer.as_ref().map_or("  —  ", |a| a.result.label_zh());
        let note = i.answer.as_ref().and_then(|a| a.note.as_deref()).unwrap_or("");
        println!("  {:>2}. [{mark}] {} {}  {note}", n + 1, i.item.code, i.item.text);
    }
}

fn query_of(f: &FilterArgs) -> Result<FindingQuery> {
    Ok(FindingQuery {
        text: None,
        unit: f.unit.clone(),
        category: f.category.clone(),
        status: f.status.as_deref().map(str::parse::<FindingStatus>).transpose()?,
        from: when::opt_date("from", f.from.as_deref())?,
        to: when::opt_date("to", f.to.as_deref())?,
        visit: f.visit.clone(),
        limit: f.limit,
        offset: 0,
    })
}

fn print_findings(fs: &[FindingView]) {
    if fs.is_empty() {
        println!("(no findings)");
    }
    for f in fs {
        println!(
            "{}  {} {}{} [{}] {}  {}{}",
            f.finding.id,
            f.finding.observed_at.format("%Y-%m-%d %H:%M"),
            f.unit_name,
            f.spot_name.as_deref().map(|s| format!(" {s}")).unwrap_or_default(),
            f.category_label,
            f.finding.severity,
            f.finding.description,
            if f.evidence_count > 0 { format!("  ({} 证据)", f.evidence_count) } else { String::new() },
        );
    }
}

fn finding(store: &mut Store, c: FindingCommand, json: bool) -> Result<()> {
    match c {
        FindingCommand::Add { visit, category, text, severity, spot, at, how, persons, item } => {
            let v = store.visit(&visit)?;
            let observed_at = match at {
                Some(a) => when::time_on("observed at", v.date, &a)?,
                None if v.date == when::today() => when::now(),
                None => return Err(anyhow!("observed at: the visit was on {}; give --at HH:MM", v.date)),
            };
            let checklist_item = item
                .map(|i| {
                    i.rsplit_once(':')
                        .map(|(t, n)| (t.to_owned(), n.to_owned()))
                        .ok_or_else(|| anyhow!("item `{i}`: write TEMPLATE:ITEM, e.g. work-discipline:2"))
                })
                .transpose()?;
            let f = store.add_finding(NewFinding {
                visit,
                spot,
                observed_at,
                method: how.as_deref().map(str::parse::<DiscoveryMethod>).transpose()?,
                category,
                severity: severity.parse::<Severity>()?,
                description: text,
                persons_involved: persons,
                checklist_item,
            })?;
            show(json, &f, |f| print_findings(std::slice::from_ref(f)))
        }
        FindingCommand::List { filter } => {
            let found = store.findings(&query_of(&filter)?)?;
            show(json, &found, |fs| {
                print_findings(fs);
                for f in fs.iter().filter(|f| f.finding.status == FindingStatus::Returned) {
                    if let Ok(Some(comment)) = store.return_comment(&f.finding.id.to_string()) {
                        println!("  {} 退回: {comment}", &f.finding.id.to_string()[..13]);
                    }
                }
            })
        }
        FindingCommand::Show { finding } => {
            let f = store.finding(&finding)?;
            let evidence = store.evidence_of(&finding)?;
            let decisions = store.office_decisions(&finding)?;
            let comment = store.return_comment(&f.finding.id.to_string())?;
            let mut out = serde_json::to_value(&f)?;
            if let Some(o) = out.as_object_mut() {
                o.insert("evidence".into(), serde_json::to_value(&evidence)?);
                o.insert("office_comment".into(), serde_json::to_value(&comment)?);
                o.insert("office_decisions".into(), serde_json::to_value(&decisions)?);
            }
            show(json, &out, |_| {
                print_findings(std::slice::from_ref(&f));
                println!("  status {}  how found {}", f.finding.status, f.finding.method);
                for d in &decisions {
                    let what = match d.kind {
                        DecisionKind::Returned => "退回 returned",
                        DecisionKind::Accepted => "已采纳 accepted",
                    };
                    let at = d.at.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M");
                    println!(
                        "  office: {what} by {} at {at}{}",
                        d.by,
                        d.comment.as_deref().map(|c| format!(": {c}")).unwrap_or_default()
                    );
                }
                if let Some(p) = &f.finding.persons_involved {
                    println!("  persons involved (sensitive): {}", p.reveal());
                }
                for e in &evidence {
                    print!("  ");
                    crate::photo::print_evidence(e);
                }
            })
        }
        FindingCommand::Edit { finding, text, category, severity, persons } => {
            let edit = FindingEdit {
                description: text,
                category,
                severity: severity.as_deref().map(str::parse::<Severity>).transpose()?,
                persons_involved: persons.map(|p| (!p.trim().is_empty()).then_some(p)),
            };
            let f = store.edit_finding(&finding, edit)?;
            show(json, &f, |f| print_findings(std::slice::from_ref(f)))
        }
        FindingCommand::Delete { finding } => {
            let f = store.delete_finding(&finding)?;
            show(json, &serde_json::json!({"deleted": f.finding.id}), |_| {
                println!("deleted {} (kept in the log)", f.finding.id)
            })
        }
    }
}

fn templates(store: &mut Store, c: TemplatesCommand, json: bool) -> Result<()> {
    match c {
        TemplatesCommand::List => {
            let ts = store.templates()?;
            show(json, &ts, |ts| {
                for t in ts {
                    println!("{:<18} v{}  {:>2} items  {}  ({})", t.code, t.version, t.items, t.name, t.source);
                }
            })
        }
        TemplatesCommand::Show { template, version } => {
            let t = store.template(&template, version)?;
            show(json, &t, |t| {
                println!("{} v{} — {}\n{}", t.code, t.version, t.name, t.description);
                let mut n = 0;
                for s in &t.sections {
                    println!("\n{}", s.title);
                    for i in &s.items {
                        n += 1;
                        println!(
                            "  {n:>2}. {} {}\n      检查要点: {}\n      证据: {}",
                            i.code, i.text, i.guidance, i.evidence_hint
                        );
                    }
                }
            })
        }
        TemplatesCommand::Import { file } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
            let t = store.import_template(&file.display().to_string(), &text)?;
            show(json, &t, |t| println!("imported {} v{} ({} items)", t.code, t.version, t.item_count()))
        }
    }
}
