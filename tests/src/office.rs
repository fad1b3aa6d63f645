//! The central office as a real process: `mingcha-server` on a free port with its own data
//! directory, speaking TLS with the self-signed certificate it makes there at first start (so
//! a restart on the same data keeps it). It can be killed with SIGKILL and started again on
//! the same data, and its admin commands run against the same directory while it serves.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use crate::server_binary;

/// One office server process and its data.
#[derive(Debug)]
pub struct Office {
    _tmp: tempfile::TempDir,
    pub data: PathBuf,
    database_url: Option<String>,
    /// The PostgreSQL database this office owns, dropped after the process is gone.
    postgres: Option<PgDatabase>,
    env: Vec<(String, String)>,
    child: Option<Child>,
    addr: SocketAddr,
    /// The certificate's SHA-256 as the server printed it (AA:BB:…); empty over plain HTTP.
    fingerprint: String,
    /// Started with `--plain-http` (as behind a TLS-terminating proxy).
    plain_http: bool,
}

impl Office {
    /// An office on the embedded default (SQLite and blobs in its data directory).
    pub fn start() -> Self {
        Self::start_on(None)
    }

    /// An office whose tables live in the PostgreSQL database at `database_url`.
    pub fn start_on(database_url: Option<String>) -> Self {
        Self::launch(database_url, false)
    }

    /// An office serving plain HTTP (`--plain-http`), the way it runs behind a proxy that
    /// terminates TLS: for a test of the API's answers, not of its transport. Such a test
    /// sends thousands of malformed requests on purpose, so the limit on refused requests per
    /// address is off (`MINGCHA_REFUSALS_PER_ADDRESS=0`): every answer is the route's own.
    pub fn start_plain_http() -> Self {
        Self::launch_with(None, true, &[("MINGCHA_REFUSALS_PER_ADDRESS", "0")])
    }

    fn launch(database_url: Option<String>, plain_http: bool) -> Self {
        Self::launch_with(database_url, plain_http, &[])
    }

    fn launch_with(database_url: Option<String>, plain_http: bool, env: &[(&str, &str)]) -> Self {
        let tmp = tempfile::tempdir().expect("temp dir");
        let data = tmp.path().join("office");
        let mut office = Self {
            _tmp: tmp,
            data,
            database_url,
            postgres: None,
            env: env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            child: None,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            fingerprint: String::new(),
            plain_http,
        };
        office.spawn();
        office
    }

    /// An office on a new, empty PostgreSQL database (from `MINGCHA_TEST_PG`, which
    /// `cargo xtask test` sets after starting PostgreSQL), dropped with the office.
    pub fn start_on_postgres() -> Self {
        let db = PgDatabase::create();
        let mut office = Self::start_on(Some(db.url.clone()));
        office.postgres = Some(db);
        office
    }

    /// The PostgreSQL database the tables are in, if they are not in `office.db`.
    pub fn database_url(&self) -> Option<&str> {
        self.database_url.as_deref()
    }

    /// Whether the tables are in PostgreSQL (`office.db` is then absent).
    pub fn on_postgres(&self) -> bool {
        self.database_url.is_some()
    }

    /// `mingcha-server status`: how many rows each table holds.
    pub fn counts(&self) -> serde_json::Value {
        self.json(&["status"])
    }

    /// An admin command with extra environment (a password, say).
    pub fn command_with_env(&self, env: &[(&str, &str)]) -> Command {
        let mut cmd = self.command();
        cmd.envs(env.iter().copied());
        cmd
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(server_binary());
        cmd.arg("--data").arg(&self.data);
        if let Some(url) = &self.database_url {
            cmd.args(["--database-url", url]);
        }
        cmd.env("TZ", "Asia/Shanghai");
        cmd
    }

    fn spawn(&mut self) {
        std::fs::create_dir_all(&self.data).expect("office dir");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.data.join("server.log"))
            .expect("server log");
        let mut child = self
            .command()
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(self.plain_http.then_some("--plain-http"))
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start mingcha-server");
        let stdout = child.stdout.take().expect("server stdout");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            // Where it listens, then its certificate's fingerprint.
            let mut lines = BufReader::new(stdout);
            let (mut first, mut second) = (String::new(), String::new());
            let _ = lines.read_line(&mut first);
            let _ = lines.read_line(&mut second);
            let _ = tx.send((first, second));
            // Keep draining so the server never blocks on a full pipe.
            let _ = std::io::copy(&mut lines.into_inner(), &mut std::io::sink());
        });
        let (line, cert) = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("mingcha-server did not say where it listens within 60 s; see {}", self.log())
        });
        let scheme = if self.plain_http { "http" } else { "https" };
        let addr = line
            .trim()
            .strip_prefix(&format!("mingcha-server listening on {scheme}://"))
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line from mingcha-server: {line:?}; log: {}", self.log()));
        if !self.plain_http {
            self.fingerprint = cert
                .trim()
                .strip_prefix("TLS certificate SHA-256 ")
                .unwrap_or_else(|| panic!("unexpected second line from mingcha-server: {cert:?}"))
                .to_owned();
        }
        self.addr = addr;
        self.child = Some(child);
    }

    /// What the server wrote to stderr so far, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.join("server.log")).unwrap_or_default()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https://127.0.0.1:PORT` (`http://` for [`Office::start_plain_http`]).
    pub fn url(&self) -> String {
        format!("{}://{}", if self.plain_http { "http" } else { "https" }, self.addr)
    }

    /// The self-signed certificate the office serves (PEM): what curl or a browser is told
    /// to trust.
    pub fn cert_pem(&self) -> PathBuf {
        self.data.join("tls/cert.pem")
    }

    /// The SHA-256 of the certificate, as lower-case hex (what enrollment tokens carry).
    pub fn fingerprint(&self) -> String {
        self.fingerprint.replace(':', "").to_ascii_lowercase()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).expect("the office is running")
    }

    /// SIGKILL, no chance to clean up; waits until the process is gone.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Start again on the same data (a new port: point proxies at [`Office::addr`]).
    pub fn restart(&mut self) {
        self.restart_with_env(&[]);
    }

    /// Start again with extra environment (e.g. a fault hook); a plain restart drops it.
    pub fn restart_with_env(&mut self, env: &[(&str, &str)]) {
        self.kill9();
        self.env = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        self.spawn();
    }

    pub fn is_running(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// Run an admin command (`mingcha-server --data DIR ARGS…`).
    pub fn admin(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run mingcha-server")
    }

    /// Run an admin command with `--json`, require success, and parse the output.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.admin(&all);
        assert!(out.status.success(), "mingcha-server {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("mingcha-server {args:?}: not JSON ({e})"))
    }

    /// Register an inspector (if new) and make a one-time enrollment token for them.
    pub fn enroll_token(&self, inspector: &str) -> String {
        let listed = self.json(&["inspector", "list"]);
        let known = listed.as_array().is_some_and(|a| a.iter().any(|i| i["name"] == inspector));
        if !known {
            self.json(&["inspector", "add", inspector]);
        }
        self.json(&["enroll-token", "--inspector", inspector])["token"].as_str().expect("token").to_owned()
    }

    /// The office's SQLite database, read-only, for checking what it holds.
    pub fn database(&self) -> rusqlite::Connection {
        rusqlite::Connection::open_with_flags(self.data.join("office.db"), rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open office.db")
    }

    /// Every file under `blobs/`, with its bytes.
    pub fn blob_files(&self) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        for entry in walk(&self.data.join("blobs")) {
            let mut bytes = Vec::new();
            std::fs::File::open(&entry).and_then(|mut f| f.read_to_end(&mut bytes)).expect("read blob");
            out.push((entry.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(), bytes));
        }
        out.sort();
        out
    }
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() { out.extend(walk(&p)) } else { out.push(p) }
    }
    out
}

impl Drop for Office {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A throwaway PostgreSQL database for one office.
#[derive(Debug)]
pub struct PgDatabase {
    admin: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    fn create() -> Self {
        let admin = std::env::var("MINGCHA_TEST_PG").unwrap_or_else(|_| {
            panic!("MINGCHA_TEST_PG is not set: run `cargo xtask test` (or `cargo xtask postgres`), which starts PostgreSQL")
        });
        let name = format!("mingcha_j_{}", std::process::id()) + &format!("_{}", rand_suffix());
        psql(&admin, &format!("CREATE DATABASE {name}"));
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b).to_owned();
        let url = format!("{base}/{name}");
        Self { admin, name, url }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .arg(&self.admin)
            .args(["-c", &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)])
            .output();
    }
}

fn psql(url: &str, sql: &str) {
    let out = Command::new("psql").arg(url).args(["-v", "ON_ERROR_STOP=1", "-c", sql]).output().expect("run psql");
    assert!(out.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&out.stderr));
}

fn rand_suffix() -> String {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{t:x}")
}
