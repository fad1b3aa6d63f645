//! What one office process remembers between requests: the device nonces of the last few
//! minutes ([`NonceCache`]) and the runs of identical refusals the audit log counts
//! ([`Repeats`]). Both are in memory, so several `mingcha-server` processes behind one
//! database would each keep their own; moving them into the database is the scale-out's work.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use mingcha_core::id::DeviceId;
use mingcha_core::sync::REQUEST_WINDOW_SECS;
use serde_json::json;

use crate::error::{Error, Result};
use crate::repo::AuditEntry;

/// Nonces seen in the last [`REQUEST_WINDOW_SECS`], per device.
///
/// Memory is enough: a request older than the window is refused as stale whatever its nonce,
/// so a nonce only has to be remembered for the window, and the map never holds more than a
/// device's requests of the last few minutes. A restart forgets them, so a request captured in
/// the minutes before a restart could be replayed once after it; every call is idempotent (a
/// manifest gives its state again, a blob chunk at a held offset is refused, a commit returns
/// the same receipt, a pull only reads), so such a replay changes nothing. Several server
/// processes behind one database need the nonces in the database instead (issue 17).
#[derive(Debug, Default)]
pub struct NonceCache {
    seen: Mutex<HashMap<DeviceId, HashMap<String, i64>>>,
}

impl NonceCache {
    /// Record `nonce` for `device` at `now`; false if it was already seen in the window.
    pub(crate) fn remember(&self, device: DeviceId, nonce: &str, now: i64) -> Result<bool> {
        let mut seen = self.seen.lock().map_err(|_| Error::Internal("nonce cache poisoned".into()))?;
        let nonces = seen.entry(device).or_default();
        nonces.retain(|_, expires| *expires > now);
        if nonces.contains_key(nonce) {
            return Ok(false);
        }
        // Kept until a request with the same time would be stale on either side of the clock.
        nonces.insert(nonce.to_owned(), now + 2 * REQUEST_WINDOW_SECS + 1);
        Ok(true)
    }

    pub(crate) fn seen(&self, device: DeviceId, nonce: &str, now: i64) -> Result<bool> {
        let seen = self.seen.lock().map_err(|_| Error::Internal("nonce cache poisoned".into()))?;
        Ok(seen.get(&device).and_then(|n| n.get(nonce)).is_some_and(|expires| *expires > now))
    }
}

/// How long a run of identical refusals is counted before its row is written.
pub const REPEAT_WINDOW_MINUTES: i64 = 10;
/// How many refusals of a run are written one by one before the rest are only counted.
pub const REPEATS_WRITTEN: u32 = 5;
/// Runs open at once; past this the oldest is closed early (its row written), so memory stays
/// bounded whatever varies between refusals.
const RUNS_MAX: usize = 1000;

/// Runs of identical refusals, in memory (see the module's documentation).
#[derive(Debug, Default)]
pub struct Repeats {
    runs: Mutex<HashMap<String, Run>>,
}

#[derive(Debug)]
struct Run {
    /// The first refusal of the run, as written.
    entry: AuditEntry,
    written: u32,
    /// Refusals counted and not written, and when the first and last of them came.
    counted: u64,
    counted_from: Option<DateTime<Utc>>,
    last: DateTime<Utc>,
}

impl Run {
    fn closes_at(&self) -> DateTime<Utc> {
        self.entry.at + Duration::minutes(REPEAT_WINDOW_MINUTES)
    }

    /// The run's row, if it counted anything.
    fn row(self) -> Option<AuditEntry> {
        let from = self.counted_from?;
        let mut row = self.entry;
        let mut detail = match row.detail {
            serde_json::Value::Object(map) => map,
            other => [("detail".to_owned(), other)].into_iter().collect(),
        };
        detail.insert("repeated".into(), json!(self.counted));
        detail.insert("first_at".into(), json!(from));
        detail.insert("last_at".into(), json!(self.last));
        row.at = self.last;
        row.detail = serde_json::Value::Object(detail);
        Some(row)
    }
}

fn run_key(e: &AuditEntry) -> String {
    json!([e.actor, e.action, e.target, e.client, e.detail]).to_string()
}

impl Repeats {
    /// The rows to append for the refusal `entry`: itself while its run is young, nothing once
    /// it is only counted, and the rows of the runs that closed meanwhile.
    pub fn note(&self, entry: AuditEntry) -> Vec<AuditEntry> {
        let now = entry.at;
        let Ok(mut runs) = self.runs.lock() else { return vec![entry] };
        let mut out = close_runs(&mut runs, Some(now));
        let key = run_key(&entry);
        match runs.get_mut(&key) {
            Some(run) if run.written < REPEATS_WRITTEN => {
                run.written += 1;
                run.last = now;
                out.push(entry);
            }
            Some(run) => {
                run.counted += 1;
                run.counted_from.get_or_insert(now);
                run.last = now;
            }
            None => {
                if runs.len() >= RUNS_MAX
                    && let Some(oldest) = runs.iter().min_by_key(|(_, r)| r.entry.at).map(|(k, _)| k.clone())
                {
                    out.extend(runs.remove(&oldest).and_then(Run::row));
                }
                let run = Run { entry: entry.clone(), written: 1, counted: 0, counted_from: None, last: now };
                runs.insert(key, run);
                out.push(entry);
            }
        }
        out
    }

    /// Close the runs whose window ended by `now` (all of them for `None`): their rows.
    pub fn close(&self, now: Option<DateTime<Utc>>) -> Vec<AuditEntry> {
        self.runs.lock().map(|mut runs| close_runs(&mut runs, now)).unwrap_or_default()
    }
}

fn close_runs(runs: &mut HashMap<String, Run>, now: Option<DateTime<Utc>>) -> Vec<AuditEntry> {
    let ended: Vec<String> =
        runs.iter().filter(|(_, r)| now.is_none_or(|now| r.closes_at() <= now)).map(|(k, _)| k.clone()).collect();
    let mut rows: Vec<AuditEntry> = ended.into_iter().filter_map(|k| runs.remove(&k)).filter_map(Run::row).collect();
    rows.sort_by_key(|r| r.at);
    rows
}
