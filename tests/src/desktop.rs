//! The real desktop app in a real window: a private Xvfb display, tauri-driver in front of
//! Debian's WebKitWebDriver, and the `mingcha-desktop` binary (built with the UI from `ui/dist`)
//! started by the driver on a data folder. `cargo xtask test` installs all of it.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::webdriver::Session;

/// The desktop binary, built once per test process. The UI must have been built first
/// (`npm run build` in `ui/`, which `cargo xtask test` does): the binary embeds it.
pub fn desktop_binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let index = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/dist/index.html");
        let built = std::fs::read_to_string(&index).unwrap_or_default();
        assert!(
            built.contains("/assets/"),
            "the UI is not built ({}): run `cargo xtask test`, or `npm install && npm run build` in ui/",
            index.display()
        );
        crate::build_binary("mingcha-desktop")
    })
}

/// The startup benchmark's reference window, from the same package.
pub fn bare_window_binary() -> PathBuf {
    crate::build_binary("bare-window")
}

/// A free loopback port (the OS picks it; it is released for the driver to take).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// A private X display. Xvfb picks a free display number and reports it when ready.
#[derive(Debug)]
pub struct Display {
    child: Child,
    pub name: String,
}

impl Display {
    pub fn start() -> Self {
        let mut child = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", "1400x900x24", "-nolisten", "tcp"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb is not installed: run `cargo xtask test` (it installs xvfb)");
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            BufReader::new(out).read_line(&mut line).expect("read Xvfb's display number");
        }
        let number = line.trim();
        assert!(!number.is_empty(), "Xvfb did not report a display");
        Self { child, name: format!(":{number}") }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// tauri-driver on a free port, proxying to WebKitWebDriver, on `display`.
#[derive(Debug)]
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Driver {
    pub fn start(display: &Display) -> Self {
        let (port, native) = (free_port(), free_port());
        let child = Command::new(tauri_driver())
            .args(["--port", &port.to_string(), "--native-port", &native.to_string()])
            .args(["--native-driver", "/usr/bin/WebKitWebDriver"])
            .env("DISPLAY", &display.name)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tauri-driver is not installed: run `cargo xtask test` (cargo install tauri-driver)");
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(2)).build();
        while agent.get(&format!("{url}/status")).call().is_err() {
            assert!(Instant::now() < deadline, "tauri-driver did not answer on {url} within 30 s");
            std::thread::sleep(Duration::from_millis(100));
        }
        Self { child, url }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tauri_driver() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    home.map(|h| h.join("bin/tauri-driver")).filter(|p| p.exists()).unwrap_or_else(|| "tauri-driver".into())
}

/// The app in its window, with the display and driver it runs on (dropped in order: the
/// session closes the app, then the driver and the display stop).
#[derive(Debug)]
pub struct Desktop {
    pub session: Session,
    _driver: Driver,
    _display: Display,
    shots: PathBuf,
}

impl Desktop {
    /// Start the app on `data` (made if missing); screenshots go to `shots`.
    pub fn start(data: &Path, shots: &Path) -> Self {
        let app = desktop_binary();
        let display = Display::start();
        let driver = Driver::start(&display);
        let caps = json!({
            "browserName": "wry",
            "tauri:options": { "application": app, "args": ["--data", data] },
            "wdio:enforceWebDriverClassic": true,
        });
        let session = Session::start(&driver.url, caps).unwrap_or_else(|e| panic!("starting the app: {e}"));
        std::fs::create_dir_all(shots).expect("screenshot folder");
        Self { session, _driver: driver, _display: display, shots: shots.to_owned() }
    }

    /// Save a screenshot of the window as `<name>.png` and return its path.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.session.screenshot().unwrap_or_else(|e| panic!("screenshot {name}: {e}"));
        assert!(png.starts_with(b"\x89PNG"), "the screenshot {name} is not a PNG");
        let path = self.shots.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }
}
