//! The office console in a real browser (Debian's Chromium, driven by playwright-core from
//! `tests/console/journey.mjs`), against a real `mingcha-server` holding a real laptop's sync:
//! review → return → the inspector resends → accept → notice → assign → the unit's feedback
//! through its one-time link → a failed and a passed verification → close. Then the notice
//! and the ledger the browser downloaded are opened and read back.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use mingcha_tests::field::wait_bounded;
use mingcha_tests::office::Office;
use mingcha_tests::{Laptop, mingcha_binary};

const PASSWORD: &str = "console password 2026";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace").to_owned()
}

fn add_account(office: &Office, username: &str, name: &str, role: &str) {
    let out = office
        .command_with_env(&[("MINGCHA_ACCOUNT_PASSWORD", PASSWORD)])
        .args(["account", "add", username, "--name", name, "--role", role])
        .output()
        .expect("run mingcha-server account add");
    assert!(out.status.success(), "account add {username}: {}", String::from_utf8_lossy(&out.stderr));
}

fn docx_text(path: &Path) -> (String, usize) {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).expect("the notice")).expect("a .docx is a zip");
    let mut xml = String::new();
    zip.by_name("word/document.xml").expect("word/document.xml").read_to_string(&mut xml).expect("utf-8");
    let media = (0..zip.len()).filter(|i| zip.by_index(*i).is_ok_and(|f| f.name().starts_with("word/media/"))).count();
    (xml, media)
}

#[test]
fn the_office_reviews_notifies_and_follows_a_problem_to_its_closing_in_chromium() {
    let office = Office::start();
    add_account(&office, "admin", "管理员", "admin");
    add_account(&office, "wang", "王审核", "reviewer");

    let laptop = Laptop::new();
    let day = laptop.field_day("李明", "城南区政务服务中心", 2, 1, 7);
    let token = office.enroll_token("李明");
    laptop.json(&["enroll", "--server", &office.url(), "--token", &token]);
    laptop.json(&["sync"]);

    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    let downloads = tempfile::tempdir().expect("downloads");
    std::fs::create_dir_all(&shots).expect("screenshots");
    let shot = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).and_then(|d| d.and_hms_opt(10, 0, 0)).expect("a time");
    let card = mingcha_evidence::sample::camera_card(&downloads.path().join("card"), 1, shot, "+08:00", "整改现场")
        .expect("a photo for the unit's report");
    let feedback_photo = card.first().expect("one photo").clone();
    let child = Command::new("node")
        .arg(repo_root().join("tests/console/journey.mjs"))
        .env("CONSOLE_URL", office.url())
        .env("CONSOLE_PASSWORD", PASSWORD)
        .env("UI_DIR", repo_root().join("ui"))
        .env("SHOTS", &shots)
        .env("DOWNLOADS", downloads.path())
        .env("FINDINGS", day.findings.join(","))
        .env("FEEDBACK_PHOTO", &feedback_photo)
        .env("MINGCHA_BIN", mingcha_binary())
        .env("MINGCHA_DATA", &laptop.data)
        .env("MINGCHA_PASSPHRASE", &laptop.passphrase)
        .env("TZ", "Asia/Shanghai")
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node runs (Node.js 20 is needed)");
    let status = wait_bounded(child, Duration::from_secs(300));
    assert!(status.success(), "the browser journey failed ({status}); the server's log: {}", office.log());

    // The notice: title, 发文字号, every chosen finding and its photo.
    let (xml, media) = docx_text(&downloads.path().join("notice.docx"));
    let year = chrono::Local::now().format("%Y").to_string();
    for expected in ["关于2026年11月作风效能暗访情况的通报", &format!("城南效能〔{year}〕1号"), "城南区政务服务中心"]
    {
        assert!(xml.contains(expected), "the notice holds {expected}");
    }
    let resent = std::fs::read_to_string(downloads.path().join("resent.txt")).expect("the resent wording");
    assert!(xml.contains(resent.trim()), "the notice prints the finding as resent: {resent}");
    assert!(media >= 2, "each finding's photo is in the notice ({media} pictures)");

    // The ledger as exported: the header and one row a problem, the closed one with its date.
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook(downloads.path().join("ledger.xlsx")).expect("the ledger opens");
    let sheet = calamine::Reader::worksheet_range(&mut book, "台账").expect("a sheet 台账");
    let rows: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    let header = rows.iter().position(|r| r.first().is_some_and(|c| c == "序号")).expect("a header row");
    assert_eq!(rows[header].len(), 12, "{:?}", rows[header]);
    assert_eq!(rows[header][11], "销号");
    let body: Vec<&Vec<String>> = rows[header + 1..].iter().filter(|r| r.iter().any(|c| !c.is_empty())).collect();
    assert_eq!(body.len(), 2, "{body:?}");
    assert!(body.iter().all(|r| r[1] == "城南区政务服务中心"), "{body:?}");
    assert!(body.iter().any(|r| !r[11].is_empty()), "the closed problem has its 销号 date: {body:?}");
}
