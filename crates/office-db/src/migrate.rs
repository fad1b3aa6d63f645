//! The office's schema migrations, each file named once for both backends (under `migrations/`),
//! and the one rule of which to run ([`pending`]): each backend reads what its
//! `schema_migration` table holds and runs what this answers, in one transaction under its
//! write lock. A migration applied once is recorded with its SHA-256, so an edited migration is
//! refused rather than silently skipped, and a schema newer than the build is refused too.

use crate::key::sha256_hex;
use crate::{Migration, RepoError, Result};

/// Both backends' migrations, named once: `migrations/sqlite/<name>.sql` and
/// `migrations/postgres/<name>.sql`, numbered in order.
macro_rules! migrations {
    ($($version:literal => $name:literal),* $(,)?) => {
        /// SQLite's migrations, in order.
        pub const SQLITE: &[Migration] = &[$(Migration {
            version: $version,
            name: concat!($name, ".sql"),
            sql: include_str!(concat!("../migrations/sqlite/", $name, ".sql")),
        }),*];
        /// PostgreSQL's migrations, in order.
        pub const POSTGRES: &[Migration] = &[$(Migration {
            version: $version,
            name: concat!($name, ".sql"),
            sql: include_str!(concat!("../migrations/postgres/", $name, ".sql")),
        }),*];
    };
}

migrations!(
    1 => "0001_initial",
    2 => "0002_office_docs",
    3 => "0003_audit",
    4 => "0004_custody",
    5 => "0005_read_model",
    6 => "0006_finding_counts",
    7 => "0007_list_indexes",
    8 => "0008_ledger_tally",
);

/// The table that records what ran, in each backend's types.
pub const SQLITE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migration (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, sha256 TEXT NOT NULL, applied_at TEXT NOT NULL)";
pub const POSTGRES_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migration (
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, sha256 TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)";

/// What applying one migration records: its number, its file's name and its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub migration: Migration,
    pub sha256: String,
}

/// The migrations of `known` still to run, in order, given the `(version, sha256)` rows
/// `applied` that the database holds. Refuses a database whose schema is newer than `known`
/// or one where an applied migration's text has changed since.
pub fn pending(known: &[Migration], applied: &[(i64, String)]) -> Result<Vec<Step>> {
    let newest = applied.iter().map(|a| a.0).max();
    let latest = known.last().map_or(0, |m| m.version);
    if newest.is_some_and(|n| n > latest) {
        return Err(RepoError::Internal(format!(
            "the database schema is newer ({newest:?}) than this build ({latest})"
        )));
    }
    let mut out = Vec::new();
    for m in known {
        let sha256 = sha256_hex(m.sql.as_bytes());
        match applied.iter().find(|a| a.0 == m.version) {
            Some((_, d)) if *d == sha256 => {}
            Some(_) => return Err(RepoError::Internal(format!("migration {} changed after it was applied", m.name))),
            None => out.push(Step { migration: *m, sha256 }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(m: &Migration) -> (i64, String) {
        (m.version, sha256_hex(m.sql.as_bytes()))
    }

    #[test]
    fn the_migrations_are_numbered_from_one_in_file_order() {
        let names = |ms: &[Migration]| ms.iter().map(|m| (m.version, m.name)).collect::<Vec<_>>();
        assert_eq!(names(SQLITE), names(POSTGRES));
        for (i, m) in SQLITE.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "{}", m.name);
            assert!(m.name.starts_with(&format!("{:04}_", m.version)), "{}", m.name);
        }
    }

    #[test]
    fn only_what_has_not_run_runs_in_order() {
        let applied: Vec<_> = SQLITE[..3].iter().map(digest).collect();
        let steps = pending(SQLITE, &applied).unwrap();
        assert_eq!(
            steps.iter().map(|s| s.migration.version).collect::<Vec<_>>(),
            (4..=SQLITE.len() as i64).collect::<Vec<_>>()
        );
        assert_eq!(steps[0].sha256, digest(&SQLITE[3]).1);
        assert!(pending(SQLITE, &SQLITE.iter().map(digest).collect::<Vec<_>>()).unwrap().is_empty());
    }

    #[test]
    fn an_edited_migration_or_a_newer_schema_is_refused() {
        let mut applied: Vec<_> = SQLITE.iter().map(digest).collect();
        applied[1].1 = "0".repeat(64);
        let edited = pending(SQLITE, &applied).unwrap_err().to_string();
        assert!(edited.contains("0002_office_docs.sql changed"), "{edited}");
        let newer = pending(SQLITE, &[(SQLITE.len() as i64 + 1, "x".into())]).unwrap_err().to_string();
        assert!(newer.contains("newer"), "{newer}");
    }
}
