//! `mingcha-server`: serve the office's API, and the staff's commands on the same data.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::{Duration, Utc};
use clap::{Parser, Subcommand};
use mingcha_server::admin::{self, Decision, PlanInput};
use mingcha_server::tls::{TlsIdentity, colon_fingerprint};
use mingcha_server::{Config, Office, Transport};
use serde::Serialize;
use serde_json::json;

#[derive(Debug, Parser)]
#[command(name = "mingcha-server", version, about = "The Mingcha central office server")]
struct Cli {
    /// The office's data folder (created if missing): office.db, server-key, blobs/, uploads/.
    #[arg(long, env = "MINGCHA_SERVER_DATA")]
    data: PathBuf,
    /// Keep the tables in PostgreSQL instead of DIR/office.db.
    #[arg(long, env = "MINGCHA_DATABASE_URL")]
    database_url: Option<String>,
    /// Print JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API and the console over TLS until SIGTERM or ctrl-c.
    ///
    /// Without --tls-cert, the office makes a self-signed certificate at first start
    /// (DIR/tls/) and keeps it; enrollment tokens carry its fingerprint, so laptops trust
    /// exactly that certificate.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// The office's own certificate chain, PEM (leaf first), instead of the self-signed one.
        #[arg(long, requires = "tls_key", conflicts_with = "plain_http")]
        tls_cert: Option<PathBuf>,
        /// The private key of --tls-cert, PEM.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Speak plain HTTP. Only for running behind a reverse proxy that terminates TLS on
        /// the same machine: anyone on the path could read evidence and passwords otherwise.
        #[arg(long)]
        plain_http: bool,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// What the office holds (inspectors, devices, batches, changes, records, files) and the
    /// fingerprint of its TLS certificate.
    Status,
    /// Inspectors (督查员) who may enroll devices.
    #[command(subcommand)]
    Inspector(InspectorCmd),
    /// Make a one-time enrollment token for an inspector's device.
    EnrollToken {
        #[arg(long)]
        inspector: String,
        #[arg(long, default_value_t = 24)]
        valid_hours: u32,
    },
    #[command(subcommand)]
    Device(DeviceCmd),
    /// Findings the office holds, and its decisions on them.
    #[command(subcommand)]
    Finding(FindingCmd),
    /// Publish a checklist template to every inspector.
    #[command(subcommand)]
    Template(PublishCmd),
    /// Publish the problem taxonomy to every inspector.
    #[command(subcommand)]
    Taxonomy(PublishCmd),
    /// Assign inspection plans (督查任务).
    #[command(subcommand)]
    Plan(PlanCmd),
    /// Office console accounts (the first 管理员 is made here; the rest in the console).
    #[command(subcommand)]
    Account(AccountCmd),
    /// The audit log (审计日志): every office action, newest first.
    Audit {
        /// Only this actor (a username, `device:<id>`, `cli`).
        #[arg(long)]
        actor: Option<String>,
        /// Only this action (`login_failed`, `rate_limited`, `enroll`, `cli:device revoke`, …).
        #[arg(long)]
        action: Option<String>,
        /// From this day (YYYY-MM-DD, the office's calendar), inclusive.
        #[arg(long)]
        from: Option<chrono::NaiveDate>,
        /// To this day, inclusive.
        #[arg(long)]
        to: Option<chrono::NaiveDate>,
        #[arg(long, default_value_t = 1)]
        page: u64,
        #[arg(long, default_value_t = 50)]
        per_page: u64,
    },
    /// Check the chain of custody end to end: blob bytes, records, the changes each device
    /// signed and their chains, manifests, receipts, the log and its signed daily heads. With
    /// no argument, everything. Exits non-zero if any check fails.
    Verify {
        #[command(subcommand)]
        what: Option<VerifyCmd>,
    },
}

/// What the office takes from outside (see the README's "Limits").
#[derive(Debug, clap::Args)]
struct LimitArgs {
    /// The largest evidence file a laptop may upload (e.g. 2GiB, 500MiB, or bytes).
    #[arg(long, env = "MINGCHA_MAX_FILE_SIZE", default_value = "2GiB", value_parser = mingcha_server::bounds::parse_size)]
    max_file_size: u64,
    /// The most the files of one batch may hold together.
    #[arg(long, env = "MINGCHA_MAX_BATCH_SIZE", default_value = "20GiB", value_parser = mingcha_server::bounds::parse_size)]
    max_batch_size: u64,
    /// Uploads a laptop left unfinished this many hours are deleted.
    #[arg(long, default_value_t = 24)]
    abandoned_upload_hours: u32,
    /// Refused requests from one address within 15 minutes before every request from it is
    /// refused for a while (0: no such limit; behind a proxy every client has its address).
    #[arg(long, env = "MINGCHA_REFUSALS_PER_ADDRESS", default_value_t = 300)]
    refusals_per_address: usize,
}

impl LimitArgs {
    fn settings(&self) -> mingcha_server::limits::Settings {
        let defaults = mingcha_server::limits::Settings::default();
        mingcha_server::limits::Settings {
            refusals_per_address: self.refusals_per_address,
            quota: mingcha_server::bounds::BlobQuota {
                file_max: self.max_file_size,
                batch_max: self.max_batch_size,
                part_max_age: Duration::hours(i64::from(self.abandoned_upload_hours)),
            },
            ..defaults
        }
    }
}

#[derive(Debug, Subcommand)]
enum VerifyCmd {
    /// One photo (or any evidence file), by its SHA-256.
    Photo { sha256: String },
    /// One finding, its changes and its photos.
    Finding { id: String },
    /// One batch.
    Batch { id: String },
    /// A notice's problems, their findings, and each finding's changes and photos.
    Notice { number_or_id: String },
}

#[derive(Debug, Subcommand)]
enum AccountCmd {
    /// Add an account. The password comes from MINGCHA_ACCOUNT_PASSWORD, or is asked for.
    Add {
        username: String,
        /// The name shown in the console and in what the account does (e.g. 王审核).
        #[arg(long)]
        name: String,
        /// admin (管理员), reviewer (审核员), viewer (查看) or unit (单位联系人).
        #[arg(long, default_value = "admin")]
        role: String,
        /// For a unit contact: the unit, by name or id.
        #[arg(long)]
        unit: Option<String>,
    },
    /// Set an account's password (MINGCHA_ACCOUNT_PASSWORD, or asked for) and end every
    /// session of the account.
    Password { username: String },
}

#[derive(Debug, Subcommand)]
enum InspectorCmd {
    Add { name: String },
    List,
}

#[derive(Debug, Subcommand)]
enum DeviceCmd {
    List,
    /// Refuse every later request of the device (403 device_revoked).
    Revoke {
        device_id: String,
    },
}

#[derive(Debug, Subcommand)]
enum FindingCmd {
    List,
    /// 退回: send a finding back to its inspector with a comment.
    Return {
        finding_id: String,
        #[arg(long)]
        comment: String,
        #[arg(long, default_value = "office")]
        by: String,
    },
    /// 采纳: accept a finding into the ledger.
    Accept {
        finding_id: String,
        #[arg(long, default_value = "office")]
        by: String,
    },
}

#[derive(Debug, Subcommand)]
enum PublishCmd {
    Publish { file: PathBuf },
}

#[derive(Debug, Subcommand)]
enum PlanCmd {
    Assign {
        #[arg(long)]
        inspector: String,
        #[arg(long)]
        title: String,
        /// open (明查) or covert (暗访).
        #[arg(long)]
        kind: String,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long = "unit", required = true)]
        units: Vec<String>,
        #[arg(long = "template")]
        templates: Vec<String>,
        #[arg(long = "team")]
        team: Vec<String>,
    },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let json_errors = cli.json;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build();
    let result = runtime.context("starting the async runtime").and_then(|rt| rt.block_on(run(cli)));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let code = e.downcast_ref::<mingcha_server::Error>().map_or("error", mingcha_server::Error::code);
            let message = format!("{e:#}").replace('\n', " ");
            if json_errors {
                eprintln!("{}", json!({ "error": { "code": code, "message": message } }));
            } else {
                eprintln!("mingcha-server: {message}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}

/// Print `value` as JSON, or as the lines `text` makes of it.
fn show<T: Serialize>(json: bool, value: &T, text: impl FnOnce(&T) -> String) -> Result<()> {
    let out = if json { serde_json::to_string_pretty(value)? } else { text(value) };
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", out.trim_end())?;
    stdout.flush()?;
    Ok(())
}

/// The audit log's name for a command that changes the office, and its target; `None` for
/// those that only read (and for `serve`, whose requests are audited one by one).
fn audited(command: &Command) -> Option<(&'static str, Option<String>)> {
    Some(match command {
        Command::Account(AccountCmd::Add { username, .. }) => ("cli:account add", Some(username.clone())),
        Command::Account(AccountCmd::Password { username }) => ("cli:account password", Some(username.clone())),
        Command::Inspector(InspectorCmd::Add { name }) => ("cli:inspector add", Some(name.clone())),
        Command::EnrollToken { inspector, .. } => ("cli:enroll-token", Some(inspector.clone())),
        Command::Device(DeviceCmd::Revoke { device_id }) => ("cli:device revoke", Some(device_id.clone())),
        Command::Finding(FindingCmd::Return { finding_id, .. }) => ("cli:finding return", Some(finding_id.clone())),
        Command::Finding(FindingCmd::Accept { finding_id, .. }) => ("cli:finding accept", Some(finding_id.clone())),
        Command::Template(PublishCmd::Publish { file }) => ("cli:template publish", Some(file.display().to_string())),
        Command::Taxonomy(PublishCmd::Publish { file }) => ("cli:taxonomy publish", Some(file.display().to_string())),
        Command::Plan(PlanCmd::Assign { inspector, title, .. }) => {
            ("cli:plan assign", Some(format!("{inspector} {title}")))
        }
        _ => return None,
    })
}

async fn run(cli: Cli) -> Result<()> {
    let limits = match &cli.command {
        Command::Serve { limits, .. } => limits.settings(),
        _ => mingcha_server::limits::Settings::default(),
    };
    let config = Config::new(&cli.data).with_database_url(cli.database_url.clone()).with_limits(limits);
    let office = Office::open(config).await.with_context(|| format!("opening the office at {}", cli.data.display()))?;
    let audit = audited(&cli.command);
    let result = execute(&office, cli.command, cli.json).await;
    if let Some((action, target)) = audit {
        // Who ran it, as far as the machine knows: the office's staff share the server's account.
        let detail = match &result {
            Ok(()) => json!({ "ok": true, "os_user": std::env::var("USER").ok() }),
            Err(e) => json!({ "ok": false, "os_user": std::env::var("USER").ok(), "error": format!("{e:#}") }),
        };
        mingcha_server::audit::record(&*office.repo, Utc::now(), "cli", action, target.as_deref(), None, detail).await;
    }
    result
}

async fn execute(office: &Office, command: Command, json: bool) -> Result<()> {
    let repo = office.repo.as_ref();
    let now = Utc::now();
    match command {
        Command::Serve { listen, tls_cert, tls_key, plain_http, limits: _ } => {
            let transport = match (tls_cert, tls_key) {
                _ if plain_http => Transport::PlainHttp,
                (Some(cert), Some(key)) => Transport::Tls(TlsIdentity::from_pem_files(&cert, &key)?),
                _ => Transport::Tls(office.self_signed().context("making or reading the self-signed certificate")?),
            };
            serve(office.clone(), &listen, transport).await
        }
        Command::Audit { actor, action, from, to, page, per_page } => {
            let params = mingcha_server::audit::AuditParams {
                actor,
                action,
                from,
                to,
                page: Some(page),
                per_page: Some(per_page),
            };
            show(json, &repo.audit(&params.query()?).await?, |p| {
                let mut out = format!("{} rows\n", p.total);
                for r in &p.rows {
                    let e = &r.entry;
                    let local = e.at.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M:%S");
                    out += &format!(
                        "{local}  {}  {}  {}  {}  {}\n",
                        e.actor,
                        e.action,
                        e.target.as_deref().unwrap_or("-"),
                        e.client.as_deref().unwrap_or("-"),
                        e.detail
                    );
                }
                out
            })
        }
        Command::Verify { what } => {
            use mingcha_office::custody::Scope;
            let scope = match what {
                None => Scope::Everything,
                Some(VerifyCmd::Photo { sha256 }) => Scope::Photo(sha256.trim().to_ascii_lowercase()),
                Some(VerifyCmd::Finding { id }) => Scope::Finding(id.trim().to_owned()),
                Some(VerifyCmd::Batch { id }) => Scope::Batch(id.trim().to_owned()),
                Some(VerifyCmd::Notice { number_or_id }) => Scope::Notice(number_or_id.trim().to_owned()),
            };
            let key = office.key().context("reading the office's key")?.verifying_key();
            let summarise = scope == Scope::Everything;
            let report = mingcha_server::custody::verify_scope(repo, office.blobs.as_ref(), &key, &scope).await?;
            show(json, &report, |r| r.lines(summarise).join("\n"))?;
            if report.holds {
                Ok(())
            } else if report.checks.is_empty() {
                anyhow::bail!("the office holds nothing under this name")
            } else {
                anyhow::bail!("{} check(s) do not hold", report.failures().count())
            }
        }
        Command::Account(AccountCmd::Add { username, name, role, unit }) => {
            let role = serde_json::from_value(json!(role))
                .map_err(|_| anyhow::anyhow!("--role is admin, reviewer, viewer or unit, not `{role}`"))?;
            let password = match std::env::var("MINGCHA_ACCOUNT_PASSWORD") {
                Ok(p) => p,
                Err(_) => rpassword::prompt_password(format!("password for {username}: "))?,
            };
            let input =
                mingcha_server::console::session::NewAccount { username, display_name: name, role, password, unit };
            let a = mingcha_server::console::session::create_account(repo, input, "mingcha-server").await?;
            show(json, &mingcha_server::console::session::AccountRow::from(a), |a| {
                format!("{}  {}  {}", a.username, a.display_name, a.role.label_zh())
            })
        }
        Command::Account(AccountCmd::Password { username }) => {
            let password = match std::env::var("MINGCHA_ACCOUNT_PASSWORD") {
                Ok(p) => p,
                Err(_) => rpassword::prompt_password(format!("new password for {username}: "))?,
            };
            let a =
                mingcha_server::console::session::reset_password(repo, &username, password, "mingcha-server").await?;
            show(json, &mingcha_server::console::session::AccountRow::from(a), |a| {
                format!("{}: password set, every session ended", a.username)
            })
        }
        Command::Inspector(InspectorCmd::Add { name }) => {
            let i = admin::add_inspector(repo, &name, now).await?;
            show(json, &i, |i| format!("{}  {}", i.id, i.name))
        }
        Command::Status => {
            show(json, &Status { counts: repo.counts().await?, tls_fingerprint: office.tls_pin()? }, |s| {
                let (c, tls) = (
                    &s.counts,
                    s.tls_fingerprint.as_deref().map_or_else(
                        || "TLS: none (plain HTTP behind a proxy)".to_owned(),
                        |f| format!("TLS certificate SHA-256 {}", colon_fingerprint(f)),
                    ),
                );
                format!(
                    "inspectors {}   devices {}   enrollment tokens {} ({} spent)\n\
                 batches {} ({} committed)   changes {}   records {}   files {}   office events {}\n{tls}",
                    c.inspectors,
                    c.devices,
                    c.enroll_tokens,
                    c.spent_tokens,
                    c.batches,
                    c.committed_batches,
                    c.changes,
                    c.records,
                    c.blobs,
                    c.office_events
                )
            })
        }
        Command::Inspector(InspectorCmd::List) => show(json, &repo.inspectors().await?, |list| {
            list.iter().map(|i| format!("{}  {}\n", i.id, i.name)).collect()
        }),
        Command::EnrollToken { inspector, valid_hours } => {
            let valid = Duration::hours(i64::from(valid_hours));
            let t = admin::enroll_token(repo, &inspector, valid, office.tls_pin()?, now).await?;
            show(json, &t, |t| t.token.clone())
        }
        Command::Device(DeviceCmd::List) => show(json, &repo.devices().await?, |list| {
            list.iter()
                .map(|d| {
                    let state = d.revoked_at.map_or_else(|| "active".to_owned(), |t| format!("revoked {t}"));
                    format!("{}  {}  {}  acked {}  {state}\n", d.id, d.inspector_name, d.name, d.acked_seq)
                })
                .collect()
        }),
        Command::Device(DeviceCmd::Revoke { device_id }) => {
            let d = admin::revoke_device(repo, &device_id, now).await?;
            show(json, &d, |d| format!("revoked {} ({}, {})", d.id, d.inspector_name, d.name))
        }
        Command::Finding(FindingCmd::List) => show(json, &admin::list_findings(repo).await?, |list| {
            list.iter()
                .map(|f| {
                    let decision = f.decision.as_deref().map(|d| format!(" / {d}")).unwrap_or_default();
                    format!(
                        "{}  {}  {}{decision}  {}  ({}, {})\n",
                        f.id, f.unit, f.status, f.description, f.inspector, f.device_id
                    )
                })
                .collect()
        }),
        Command::Finding(FindingCmd::Return { finding_id, comment, by }) => {
            let p = admin::decide_finding(repo, &finding_id, Decision::Return { comment }, &by, now).await?;
            show(json, &p, |p| format!("returned {} (event {})", p.subject, p.event_seq))
        }
        Command::Finding(FindingCmd::Accept { finding_id, by }) => {
            let p = admin::decide_finding(repo, &finding_id, Decision::Accept, &by, now).await?;
            show(json, &p, |p| format!("accepted {} (event {})", p.subject, p.event_seq))
        }
        Command::Template(PublishCmd::Publish { file }) => {
            let (name, text) = read(&file)?;
            let p = admin::publish_template(repo, &name, &text, now).await?;
            show(json, &p, |p| format!("published template {} (event {})", p.subject, p.event_seq))
        }
        Command::Taxonomy(PublishCmd::Publish { file }) => {
            let (name, text) = read(&file)?;
            let p = admin::publish_taxonomy(repo, &name, &text, now).await?;
            show(json, &p, |p| format!("published {} (event {})", p.subject, p.event_seq))
        }
        Command::Plan(PlanCmd::Assign { inspector, title, kind, from, to, units, templates, team }) => {
            let input = PlanInput { inspector, title, kind, from, to, units, templates, team };
            let plan = admin::assign_plan(repo, input, now).await?;
            show(json, &plan, |p| format!("assigned plan {} {} to {}", p.plan_id, p.title, p.team.join(", ")))
        }
    }
}

fn read(file: &std::path::Path) -> Result<(String, String)> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let name = file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
    Ok((name, text))
}

/// What `status` shows.
#[derive(Debug, Serialize)]
struct Status {
    #[serde(flatten)]
    counts: mingcha_server::repo::Counts,
    /// SHA-256 of the certificate served (64 hex), or null behind a TLS proxy.
    tls_fingerprint: Option<String>,
}

async fn serve(office: Office, listen: &str, transport: Transport) -> Result<()> {
    office.key().context("making or reading the server key")?;
    let listener = tokio::net::TcpListener::bind(listen).await.with_context(|| format!("listening on {listen}"))?;
    let addr = listener.local_addr()?;
    let shutdown = shutdown_signal()?;
    {
        // The first line says where; the second what devices and browsers should see.
        let mut stdout = std::io::stdout().lock();
        match &transport {
            Transport::Tls(id) => {
                writeln!(stdout, "mingcha-server listening on https://{addr}")?;
                writeln!(stdout, "TLS certificate SHA-256 {}", colon_fingerprint(&id.fingerprint))?;
            }
            Transport::PlainHttp => {
                writeln!(stdout, "mingcha-server listening on http://{addr}")?;
                writeln!(stdout, "plain HTTP: only behind a proxy that terminates TLS")?;
            }
        }
        stdout.flush()?;
    }
    mingcha_server::serve(&office, listener, transport, shutdown).await?;
    Ok(())
}

/// SIGTERM (a service manager) or ctrl-c (a terminal). The SIGTERM handler is installed here,
/// before the server says it listens: a TERM sent right after that line must stop it cleanly,
/// not kill it with the default action.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    Ok(async move {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    })
}
