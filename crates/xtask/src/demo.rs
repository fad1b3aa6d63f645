//! `cargo xtask demo`: the CLI's tour on a demo store, command by command, ending with a sync
//! to a local office.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{cargo, status};

/// Build the CLI and show a demo store: two units, a covert plan, a filled checklist with a
/// 不符合, findings, and a search by a two-character word.
pub fn run(data: Option<PathBuf>) -> Result<()> {
    status(cargo().args(["build", "--release", "--package", "mingcha-cli", "--package", "mingcha-server"]))?;
    let target = std::env::var("CARGO_TARGET_DIR").map_or_else(|_| PathBuf::from("target"), PathBuf::from);
    let bin = target.join("release/mingcha");
    let data = data.unwrap_or_else(|| PathBuf::from("mingcha-demo"));
    let pass = std::env::var("MINGCHA_PASSPHRASE").unwrap_or_else(|_| "mingcha demo passphrase".into());
    let mingcha = |args: &[&str]| -> Result<String> {
        let out = Command::new(&bin)
            .arg("--data")
            .arg(&data)
            .args(args)
            .env("MINGCHA_PASSPHRASE", &pass)
            .output()
            .with_context(|| format!("running {}", bin.display()))?;
        if !out.status.success() {
            bail!("mingcha {args:?}: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let show = |args: &[&str]| -> Result<()> {
        println!("\n$ mingcha {}", args.join(" "));
        print!("{}", mingcha(args)?);
        Ok(())
    };
    if !data.join("key.json").exists() {
        println!("Making a demo store in {} (passphrase: {pass})", data.display());
        mingcha(&["init", "--inspector", "演示督查员", "--device", "demo"])?;
        mingcha(&[
            "unit",
            "add",
            "城南区政务服务中心",
            "--region",
            "城南区",
            "--spot",
            "3号窗口",
            "--spot",
            "综合受理区",
        ])?;
        mingcha(&["unit", "add", "城南区不动产登记中心", "--region", "城南区"])?;
        let today = chrono_today();
        mingcha(&[
            "plan",
            "new",
            "--title",
            "作风效能暗访",
            "--kind",
            "暗访",
            "--from",
            &today,
            "--unit",
            "城南区政务服务中心",
            "--unit",
            "城南区不动产登记中心",
            "--checklist",
            "work-discipline",
            "--checklist",
            "window-service",
        ])?;
        let visit = mingcha(&[
            "--json",
            "visit",
            "new",
            "--unit",
            "城南区政务服务中心",
            "--kind",
            "暗访",
            "--spot",
            "3号窗口",
            "--at",
            "09:05",
        ])?;
        let visit = json_id(&visit)?;
        mingcha(&[
            "checklist",
            "fill",
            "--visit",
            &visit,
            "--template",
            "work-discipline",
            "1=符合",
            "5=不符合:9点20分窗口无人",
            "6=符合",
        ])?;
        mingcha(&[
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
        ])?;
        let finding = mingcha(&[
            "--json",
            "finding",
            "add",
            "--visit",
            &visit,
            "--category",
            "未一次性告知",
            "--at",
            "09:40",
            "--spot",
            "综合受理区",
            "--text",
            "咨询办理营业执照变更，工作人员未一次性告知所需材料，群众需再跑一次",
        ])?;
        // Two photos "from the phone", attached to the second finding.
        let camera = data.join("sample-camera");
        let camera = camera.to_str().context("the demo folder is not UTF-8")?;
        mingcha(&["photo", "sample", camera, "--count", "2"])?;
        mingcha(&["photo", "import", "--finding", &json_id(&finding)?, camera])?;
    }
    show(&["status"])?;
    show(&["plan", "list"])?;
    show(&["visit", "list"])?;
    show(&["finding", "list"])?;
    show(&["search", "脱岗"])?;
    show(&["search", "告知"])?;
    let first = mingcha(&["--json", "search", "告知"])?;
    show(&["photo", "list", "--finding", &json_id(&first)?])?;
    office_demo(&target.join("release/mingcha-server"), &data, &show, &mingcha)?;
    println!("\nTry: MINGCHA_PASSPHRASE='{pass}' {} --data {} --help", bin.display(), data.display());
    Ok(())
}

/// The end of the demo day: start an office on the demo folder's `office/`, enroll the demo
/// laptop (once), sync, show what the office holds, and stop the office again.
fn office_demo(
    server: &Path,
    data: &Path,
    show: &dyn Fn(&[&str]) -> Result<()>,
    mingcha: &dyn Fn(&[&str]) -> Result<String>,
) -> Result<()> {
    use std::io::BufRead;
    let office = data.join("office");
    let admin = |args: &[&str]| -> Result<String> {
        let out = Command::new(server).arg("--data").arg(&office).args(args).output()?;
        if !out.status.success() {
            bail!("mingcha-server {args:?}: {}", String::from_utf8_lossy(&out.stderr).trim());
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let mut child = Command::new(server)
        .arg("--data")
        .arg(&office)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("starting mingcha-server")?;
    // Where it listens, then its certificate's fingerprint: both read before the pipe closes.
    let (mut first, mut second) = (String::new(), String::new());
    if let Some(out) = child.stdout.take() {
        let mut lines = std::io::BufReader::new(out);
        lines.read_line(&mut first)?;
        lines.read_line(&mut second)?;
    }
    let result = (|| {
        let url = first.trim().strip_prefix("mingcha-server listening on ").context("mingcha-server did not start")?;
        println!("\n$ mingcha-server --data {} serve   # the office, at {url}", office.display());
        println!("{}", second.trim());
        let status: serde_json::Value = serde_json::from_str(&mingcha(&["--json", "status"])?)?;
        if status["sync"]["server"].is_null() {
            if !admin(&["--json", "inspector", "list"])?.contains("演示督查员") {
                admin(&["inspector", "add", "演示督查员"])?;
            }
            let token: serde_json::Value =
                serde_json::from_str(&admin(&["--json", "enroll-token", "--inspector", "演示督查员"])?)?;
            show(&["enroll", "--server", url, "--token", token["token"].as_str().context("no token")?])?;
        }
        show(&["sync", "--server", url])?;
        println!("\n$ mingcha-server --data {} finding list", office.display());
        print!("{}", admin(&["finding", "list"])?);
        Ok(())
    })();
    let _ = child.kill();
    let _ = child.wait();
    result
}

fn chrono_today() -> String {
    let out = Command::new("date").arg("+%Y-%m-%d").output().ok();
    out.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned()).unwrap_or_default()
}

fn json_id(s: &str) -> Result<String> {
    let key = "\"id\": \"";
    let start = s.find(key).context("no id in output")? + key.len();
    Ok(s[start..].split('"').next().unwrap_or_default().to_owned())
}
