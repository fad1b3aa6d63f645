//! Rate limits on guessing: console sign-in (per username and per client address) and
//! enrollment (per client address). After `max_failures` failures within `window`, the key is
//! refused (`429 rate_limited` with `Retry-After`) until the oldest of those failures leaves
//! the window, even with the right password: a guesser learns nothing from a locked key.
//!
//! Time is a parameter of every call, so the tests move it instead of sleeping. The counts live
//! in memory: a restart forgets them, which costs an attacker a restart of the office per
//! `max_failures` guesses, something they cannot cause from outside.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

use crate::error::{Error, Result};

/// More keys than this and the limiter forgets keys whose failures are all old.
const PRUNE_ABOVE: usize = 10_000;

/// Failures per key within a sliding window.
#[derive(Debug)]
pub struct RateLimiter {
    max_failures: usize,
    window: Duration,
    failures: Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>,
}

impl RateLimiter {
    pub fn new(max_failures: usize, window: Duration) -> Self {
        Self { max_failures: max_failures.max(1), window, failures: Mutex::new(HashMap::new()) }
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, HashMap<String, VecDeque<DateTime<Utc>>>>> {
        self.failures.lock().map_err(|_| Error::Internal("rate limiter poisoned".into()))
    }

    /// Seconds until `key` may try again, if it is locked at `now`.
    pub fn locked(&self, key: &str, now: DateTime<Utc>) -> Result<Option<u64>> {
        let mut all = self.lock()?;
        let Some(times) = all.get_mut(key) else { return Ok(None) };
        times.retain(|t| *t + self.window > now);
        if times.len() < self.max_failures {
            return Ok(None);
        }
        // Free again when enough of the failures have left the window.
        let freeing = times[times.len() - self.max_failures];
        let wait = (freeing + self.window - now).num_seconds().max(1);
        Ok(Some(u64::try_from(wait).unwrap_or(1)))
    }

    /// Count a failure of `key` at `now`; true if this one locked it.
    pub fn fail(&self, key: &str, now: DateTime<Utc>) -> Result<bool> {
        let mut all = self.lock()?;
        if all.len() > PRUNE_ABOVE {
            let window = self.window;
            all.retain(|_, times| times.back().is_some_and(|t| *t + window > now));
        }
        let times = all.entry(key.to_owned()).or_default();
        times.retain(|t| *t + self.window > now);
        times.push_back(now);
        Ok(times.len() == self.max_failures)
    }

    /// Forget `key`'s failures (a correct sign-in for that username).
    pub fn clear(&self, key: &str) -> Result<()> {
        self.lock()?.remove(key);
        Ok(())
    }
}

/// The office's limits.
#[derive(Debug)]
pub struct Limits {
    /// Wrong passwords for one username.
    pub login_user: RateLimiter,
    /// Wrong passwords from one address, whatever the username (someone trying many names).
    pub login_addr: RateLimiter,
    /// Refused enrollments from one address (guessing tokens).
    pub enroll_addr: RateLimiter,
}

impl Default for Limits {
    fn default() -> Self {
        let window = Duration::minutes(15);
        Self {
            login_user: RateLimiter::new(5, window),
            login_addr: RateLimiter::new(20, window),
            enroll_addr: RateLimiter::new(10, window),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn the_nth_failure_locks_until_the_oldest_leaves_the_window() {
        let l = RateLimiter::new(3, Duration::seconds(60));
        assert!(!l.fail("k", at(0)).unwrap());
        assert!(!l.fail("k", at(10)).unwrap());
        assert_eq!(l.locked("k", at(11)).unwrap(), None, "two failures of three allowed");
        assert!(l.fail("k", at(20)).unwrap(), "the third trips it");
        assert_eq!(l.locked("k", at(20)).unwrap(), Some(40), "free when the failure at 0 is 60 s old");
        assert_eq!(l.locked("other", at(20)).unwrap(), None, "keys are separate");
        assert_eq!(l.locked("k", at(59)).unwrap(), Some(1));
        assert_eq!(l.locked("k", at(60)).unwrap(), None, "the window slid past the first failure");
    }

    #[test]
    fn clearing_a_key_forgets_its_failures() {
        let l = RateLimiter::new(2, Duration::seconds(60));
        l.fail("k", at(0)).unwrap();
        l.clear("k").unwrap();
        assert!(!l.fail("k", at(1)).unwrap());
        assert_eq!(l.locked("k", at(1)).unwrap(), None);
    }

    #[test]
    fn old_keys_are_forgotten_when_there_are_many() {
        let l = RateLimiter::new(2, Duration::seconds(60));
        for i in 0..=PRUNE_ABOVE {
            l.fail(&format!("k{i}"), at(0)).unwrap();
        }
        l.fail("late", at(120)).unwrap();
        assert_eq!(l.lock().unwrap().len(), 1, "only the key with a failure in the window is kept");
    }
}
