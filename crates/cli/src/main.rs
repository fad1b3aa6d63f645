//! `mingcha`: the inspector's store from the command line, for power users, scripts, tests and
//! benchmarks. Every command has `--json` output; the passphrase comes from
//! `MINGCHA_PASSPHRASE` or a prompt. A failed command prints one line and exits non-zero,
//! and nothing already stored is touched.
//!
//! **Architecture invariant:** this binary only parses arguments, calls `mingcha-store`, and
//! prints. No domain rule lives here.

#![forbid(unsafe_code)]

mod bench;
mod bench_import;
mod commands;
mod output;
mod photo;
mod secret;
mod sync;
mod verify;
mod when;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "mingcha", version, about = "明查: record inspection findings offline, in an encrypted store")]
struct Cli {
    /// The data directory (holds mingcha.db and key.json).
    #[arg(long, global = true, env = "MINGCHA_DATA", default_value = "mingcha-data")]
    data: PathBuf,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a new store for one inspector on this laptop.
    Init {
        #[arg(long)]
        inspector: String,
        /// A name for this laptop (defaults to the host name).
        #[arg(long)]
        device: Option<String>,
    },
    /// Show who this store belongs to and what it holds.
    Status,
    /// Inspected units (被检查单位) and their spots (点位).
    #[command(subcommand)]
    Unit(UnitCommand),
    /// Inspection plans (督查任务).
    #[command(subcommand)]
    Plan(PlanCommand),
    /// Visits: one unit on one day.
    #[command(subcommand)]
    Visit(VisitCommand),
    /// Fill and show a visit's checklist (检查清单).
    #[command(subcommand)]
    Checklist(ChecklistCommand),
    /// Findings (问题).
    #[command(subcommand)]
    Finding(FindingCommand),
    /// Evidence: import photos and files, list them with their flags.
    #[command(subcommand)]
    Photo(photo::PhotoCommand),
    /// Check the chain of custody: originals, records, the hash chain, receipts, the office's log.
    Verify {
        #[command(subcommand)]
        what: Option<verify::VerifyCommand>,
    },
    /// Full-text search over findings (Chinese words of any length).
    Search {
        query: String,
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// Checklist templates.
    #[command(subcommand)]
    Templates(TemplatesCommand),
    /// The problem taxonomy (问题类别), optionally filtered by a word.
    Categories { query: Option<String> },
    /// The change log (the sync outbox), after a sequence number.
    Log {
        #[arg(long, default_value_t = 0)]
        after: u64,
    },
    /// Enroll this laptop with the central office, once, with the token the office gave you.
    Enroll {
        /// The office's address, e.g. http://10.0.0.5:8080.
        #[arg(long)]
        server: String,
        /// The one-time enrollment token.
        #[arg(long)]
        token: String,
    },
    /// Send the day's work to the office and bring back its decisions. Safe to interrupt and
    /// run again: it continues where it stopped and never sends anything twice.
    Sync {
        /// The office's address, if it moved since enrolling (remembered after a sync).
        #[arg(long)]
        server: Option<String>,
    },
    /// Change the passphrase (the database is not re-encrypted). The new one comes from
    /// MINGCHA_NEW_PASSPHRASE or a prompt.
    Passphrase,
    /// Benchmarks (not tests): figures beside their reference, printed side by side.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

#[derive(Debug, Subcommand)]
enum UnitCommand {
    /// Add a unit.
    Add {
        name: String,
        #[arg(long)]
        region: Option<String>,
        /// A spot in the unit; repeat for several.
        #[arg(long = "spot")]
        spots: Vec<String>,
    },
    /// List units with their spots and finding counts.
    List,
}

#[derive(Debug, Subcommand)]
enum PlanCommand {
    /// Create a plan.
    New {
        #[arg(long)]
        title: String,
        /// 明查|暗访 (or open|covert).
        #[arg(long)]
        kind: String,
        /// First day (YYYY-MM-DD).
        #[arg(long)]
        from: String,
        /// Last day (defaults to the first).
        #[arg(long)]
        to: Option<String>,
        /// A target unit (id or name); repeat for several.
        #[arg(long = "unit")]
        units: Vec<String>,
        /// A checklist template (code or name); repeat for several.
        #[arg(long = "checklist")]
        checklists: Vec<String>,
        /// A team member; repeat for several.
        #[arg(long = "team")]
        team: Vec<String>,
    },
    /// List plans, or those covering one date. Covert targets stay hidden until their day.
    List {
        #[arg(long)]
        date: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum VisitCommand {
    /// Start a visit.
    New {
        #[arg(long)]
        unit: String,
        /// 明查|暗访 (or open|covert).
        #[arg(long)]
        kind: String,
        /// The day (YYYY-MM-DD); defaults to today.
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        spot: Option<String>,
        #[arg(long)]
        plan: Option<String>,
        /// Arrival time (HH:MM on the visit's day, or RFC 3339).
        #[arg(long)]
        at: Option<String>,
        /// An inspector on the visit; repeat for several (defaults to you).
        #[arg(long = "inspector")]
        inspectors: Vec<String>,
        #[arg(long)]
        notes: Option<String>,
    },
    /// End a visit: record the leaving time.
    End {
        visit: String,
        #[arg(long)]
        at: Option<String>,
    },
    /// List visits, or those of one date.
    List {
        #[arg(long)]
        date: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum ChecklistCommand {
    /// Record answers: ITEM=RESULT or ITEM=RESULT:NOTE, where ITEM is a code (ws-03) or the
    /// printed number (3) and RESULT is 符合|不符合|不适用 (yes|no|na, 1|2|3).
    Fill {
        #[arg(long)]
        visit: String,
        #[arg(long)]
        template: String,
        #[arg(required = true)]
        answers: Vec<String>,
    },
    /// Show a visit's checklists with their answers and scores.
    Show {
        #[arg(long)]
        visit: String,
    },
}

#[derive(Debug, Subcommand)]
enum FindingCommand {
    /// Record a finding.
    Add {
        #[arg(long)]
        visit: String,
        /// A category (code or name, e.g. 脱岗离岗); optional with --item when the item has one.
        #[arg(long)]
        category: Option<String>,
        /// The description.
        #[arg(long)]
        text: String,
        /// 一般|较重|严重
        #[arg(long, default_value = "一般")]
        severity: String,
        #[arg(long)]
        spot: Option<String>,
        /// When it was observed (HH:MM on the visit's day, or RFC 3339); defaults to now.
        #[arg(long)]
        at: Option<String>,
        /// How it was found: 明查|暗访|回头看|群众反映 (defaults to the visit's kind).
        #[arg(long)]
        how: Option<String>,
        /// Persons involved (sensitive).
        #[arg(long)]
        persons: Option<String>,
        /// The checklist item it came from: TEMPLATE:ITEM, e.g. work-discipline:2.
        #[arg(long)]
        item: Option<String>,
    },
    /// List findings, newest first.
    List {
        #[command(flatten)]
        filter: FilterArgs,
    },
    /// Show one finding with its evidence.
    Show { finding: String },
    /// Change a finding's wording or classification (the old state stays in the log).
    Edit {
        finding: String,
        #[arg(long)]
        text: Option<String>,
        #[arg(long)]
        category: Option<String>,
        #[arg(long)]
        severity: Option<String>,
        #[arg(long)]
        persons: Option<String>,
    },
    /// Delete a finding (a tombstone: the office is told, the history is kept).
    Delete { finding: String },
}

#[derive(Debug, Args)]
struct FilterArgs {
    #[arg(long)]
    unit: Option<String>,
    /// A category leaf or group (e.g. 散).
    #[arg(long)]
    category: Option<String>,
    /// draft|submitted|returned|accepted (or 草稿 …).
    #[arg(long)]
    status: Option<String>,
    /// From this day (YYYY-MM-DD).
    #[arg(long)]
    from: Option<String>,
    /// Up to this day (YYYY-MM-DD).
    #[arg(long)]
    to: Option<String>,
    #[arg(long)]
    visit: Option<String>,
    #[arg(long, default_value_t = 50)]
    limit: usize,
}

#[derive(Debug, Subcommand)]
enum TemplatesCommand {
    /// List templates (latest versions).
    List,
    /// Show a template's items with their guidance.
    Show {
        template: String,
        #[arg(long)]
        version: Option<u32>,
    },
    /// Import a template file (JSON, see README "Data files").
    Import { file: PathBuf },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            output::error(&e, json);
            ExitCode::FAILURE
        }
    }
}
