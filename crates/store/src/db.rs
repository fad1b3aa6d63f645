//! The one way to open the database: key first, then WAL, foreign keys, busy timeout, and the
//! migrations. Nothing else in Mingcha calls `Connection::open`.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OptionalExtension};
use sha2::{Digest, Sha256};

use crate::error::{Result, StoreError};
use crate::keyfile::DataKey;

/// One schema step. Migrations are append-only: a released one is never edited (a test holds
/// them to `migrations/checksums.txt`, and [`open`] refuses a store whose applied migration
/// differs from the one this build carries).
#[derive(Debug)]
pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration { version: 1, name: "0001_initial.sql", sql: include_str!("../migrations/0001_initial.sql") },
    Migration { version: 2, name: "0002_sync.sql", sql: include_str!("../migrations/0002_sync.sql") },
    Migration { version: 3, name: "0003_office_events.sql", sql: include_str!("../migrations/0003_office_events.sql") },
    Migration {
        version: 4,
        name: "0004_office_event_by_office.sql",
        sql: include_str!("../migrations/0004_office_event_by_office.sql"),
    },
    Migration {
        version: 5,
        name: "0005_finding_by_status.sql",
        sql: include_str!("../migrations/0005_finding_by_status.sql"),
    },
    Migration { version: 6, name: "0006_tls_pin.sql", sql: include_str!("../migrations/0006_tls_pin.sql") },
    Migration { version: 7, name: "0007_custody_chain.sql", sql: include_str!("../migrations/0007_custody_chain.sql") },
];

/// Open (or create) the encrypted database at `path` with `key` and bring its schema up to date.
pub fn open(path: &Path, key: &DataKey) -> Result<Connection> {
    let conn = Connection::open(path)?;
    // SQLCipher logs a failed page check to stderr; we report it as a typed error instead,
    // so a CLI user still sees exactly one line.
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    // The key must be the first statement on a SQLCipher connection. A raw key (x'…') skips
    // SQLCipher's own PBKDF2: ours is already derived with Argon2id in the key file.
    conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", key.hex().as_str()))?;
    // The first real read tells a wrong key ("file is not a database") from everything else.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(())).map_err(|e| match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => StoreError::WrongKey(e.to_string()),
        _ => StoreError::Sqlite(e),
    })?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: a finding the inspector saw saved survives a power cut, not just a crash.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(Duration::from_secs(5))?;
    // Every page read from disk is decrypted; a larger cache keeps a day's lists and searches
    // from paying that again. It grows only as pages are used.
    conn.pragma_update(None, "cache_size", -32 * 1024)?;
    migrate(&conn)?;
    // Refresh the planner's statistics where they are stale (cheap; SQLite's advice at open).
    conn.execute_batch("PRAGMA optimize = 0x10002;")?;
    Ok(conn)
}

fn checksum(sql: &str) -> String {
    mingcha_core::hex::encode(&Sha256::digest(sql.as_bytes()))
}

fn migrate(conn: &Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migration (
            version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL
        ) STRICT;",
    )?;
    let known = MIGRATIONS.last().map_or(0, |m| m.version);
    let mut applied = conn.prepare("SELECT version, checksum FROM schema_migration ORDER BY version")?;
    let applied: Vec<(u32, String)> =
        applied.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    for (version, sum) in &applied {
        match MIGRATIONS.iter().find(|m| m.version == *version) {
            None => return Err(StoreError::NewerSchema { found: *version, known }),
            Some(m) if checksum(m.sql) != *sum => return Err(StoreError::MigrationChanged { version: *version }),
            Some(_) => {}
        }
    }
    for m in MIGRATIONS.iter().filter(|m| applied.iter().all(|(v, _)| *v != m.version)) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(m.sql)?;
        tx.execute(
            "INSERT INTO schema_migration (version, name, checksum) VALUES (?1, ?2, ?3)",
            (m.version, m.name, checksum(m.sql)),
        )?;
        tx.commit()?;
    }
    Ok(())
}

/// The schema version of an open database.
pub fn schema_version(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row("SELECT max(version) FROM schema_migration", [], |r| r.get::<_, Option<u32>>(0))?.unwrap_or(0))
}

/// A value from the `meta` table.
pub(crate) fn meta(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}

pub(crate) fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Migrations are numbered 0001, 0002 … without gaps, every file is listed, and no released
    /// migration has changed since its checksum was recorded.
    #[test]
    fn migrations_are_numbered_listed_and_append_only() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let listed: Vec<&str> = MIGRATIONS.iter().map(|m| m.name).collect();
        assert_eq!(files, listed, "every migrations/*.sql must be listed in MIGRATIONS, in order");
        for (i, m) in MIGRATIONS.iter().enumerate() {
            let n = u32::try_from(i + 1).unwrap();
            assert_eq!(m.version, n, "{} is out of sequence", m.name);
            assert!(m.name.starts_with(&format!("{n:04}_")), "{} must start with {n:04}_", m.name);
        }
        let recorded = std::fs::read_to_string(dir.join("checksums.txt")).unwrap();
        let recorded: Vec<(&str, &str)> = recorded.lines().filter_map(|l| l.split_once(' ')).collect();
        assert_eq!(recorded.len(), MIGRATIONS.len(), "add the new migration's line to migrations/checksums.txt");
        for ((name, sum), m) in recorded.iter().zip(MIGRATIONS) {
            assert_eq!(*name, m.name);
            assert_eq!(*sum, checksum(m.sql), "{name} was edited after release: add a new migration instead");
        }
    }

    #[test]
    fn migrating_twice_is_a_no_op_and_a_newer_store_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let key = DataKey::from_bytes([7; 32]);
        let path = dir.path().join("db");
        drop(open(&path, &key).unwrap());
        let conn = open(&path, &key).unwrap();
        assert_eq!(schema_version(&conn).unwrap(), MIGRATIONS.len() as u32);
        conn.execute("INSERT INTO schema_migration VALUES (999, '0999_future.sql', 'x')", []).unwrap();
        drop(conn);
        assert!(matches!(open(&path, &key), Err(StoreError::NewerSchema { found: 999, .. })));
    }

    #[test]
    fn a_wrong_key_is_an_error_and_leaves_the_file_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        drop(open(&path, &DataKey::from_bytes([1; 32])).unwrap());
        let before = std::fs::read(&path).unwrap();
        assert!(matches!(open(&path, &DataKey::from_bytes([2; 32])), Err(StoreError::WrongKey(_))));
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert!(open(&path, &DataKey::from_bytes([1; 32])).is_ok());
    }
}
