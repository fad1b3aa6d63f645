//! What a verification answers: its checks, each about something, and whether all hold.

use std::collections::BTreeMap;

use serde::Serialize;

/// What a check is about, for choosing the checks of a scope.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Subject {
    Blob(String),
    Change(String),
    Batch(String),
    Device(String),
    /// The log and the daily heads as a whole.
    Log,
}

/// One check and its outcome, in words a person reads.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub ok: bool,
    /// `blob`, `record`, `change`, `chain`, `manifest`, `signature`, `receipt`, `log`, `head`.
    pub kind: &'static str,
    pub message: String,
    #[serde(skip)]
    pub about: Vec<Subject>,
}

/// The outcome of a verification.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// What was verified, in words.
    pub scope: String,
    pub holds: bool,
    pub checks: Vec<Check>,
}

impl Report {
    /// One line per check (✓ or ✗). With `summarise`, passing checks of a kind become one
    /// line with their count, and every failure still has its own line.
    pub fn lines(&self, summarise: bool) -> Vec<String> {
        let mut out = vec![format!("verifying {}", self.scope)];
        if summarise {
            let mut passed: BTreeMap<&str, usize> = BTreeMap::new();
            for c in self.checks.iter().filter(|c| c.ok) {
                *passed.entry(c.kind).or_default() += 1;
            }
            for (kind, n) in passed {
                out.push(format!("✓ {n} {kind} check(s) hold"));
            }
        } else {
            out.extend(self.checks.iter().filter(|c| c.ok).map(|c| format!("✓ {}", c.message)));
        }
        out.extend(self.checks.iter().filter(|c| !c.ok).map(|c| format!("✗ {}", c.message)));
        let failed = self.checks.iter().filter(|c| !c.ok).count();
        if self.checks.is_empty() {
            return out;
        }
        out.push(if failed == 0 {
            format!("all {} checks hold", self.checks.len())
        } else {
            format!("{failed} of {} checks do NOT hold", self.checks.len())
        });
        out
    }

    /// The failed checks.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| !c.ok)
    }
}

/// What to verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Everything,
    Photo(String),
    Finding(String),
    Batch(String),
    /// A notice by number (e.g. 督查通报〔2026〕3号) or id.
    Notice(String),
}

impl Scope {
    pub(super) fn describe(&self) -> String {
        match self {
            Self::Everything => "everything the office holds".into(),
            Self::Photo(s) => format!("photo {s}"),
            Self::Finding(f) => format!("finding {f}"),
            Self::Batch(b) => format!("batch {b}"),
            Self::Notice(n) => format!("notice {n}"),
        }
    }
}
