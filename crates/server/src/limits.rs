//! Rate limits on guessing and flooding: console sign-in and the old-password check (per
//! username and per client address), enrollment (per client address), and every refused
//! request (per client address). After `max_failures` failures within `window`, the key is
//! refused (`429 rate_limited` with `Retry-After`) until the oldest of those failures leaves
//! the window, even with the right password: a guesser learns nothing from a locked key.
//!
//! A sign-in or an enrollment is counted as an attempt *before* its password is hashed or its
//! token looked up ([`RateLimiter::attempt`]), in the same step as the lock is checked, so a
//! burst of simultaneous guesses cannot all pass the check before any of them is counted; a
//! success forgives its own attempt. The slow part itself passes a [`Gate`]: at most a few
//! Argon2 verifications (and enrollments) run at once, the rest wait briefly, then answer
//! `429 busy`.
//!
//! Time is a parameter of every call, so the tests move it instead of sleeping. The counts live
//! in memory: a restart forgets them, which costs an attacker a restart of the office per
//! `max_failures` guesses, something they cannot cause from outside.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::bounds::BlobQuota;
use crate::error::{Error, Result};

/// More keys than this and the limiter forgets keys whose failures are all old.
const PRUNE_ABOVE: usize = 10_000;

/// The times of each key's failures.
type Failures = HashMap<String, VecDeque<DateTime<Utc>>>;

/// Failures per key within a sliding window.
#[derive(Debug)]
pub struct RateLimiter {
    max_failures: usize,
    window: Duration,
    failures: Mutex<Failures>,
}

impl RateLimiter {
    pub fn new(max_failures: usize, window: Duration) -> Self {
        Self { max_failures: max_failures.max(1), window, failures: Mutex::new(HashMap::new()) }
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Failures>> {
        self.failures.lock().map_err(|_| Error::Internal("rate limiter poisoned".into()))
    }

    /// Seconds until `key` may try again, if it is locked at `now`.
    pub fn locked(&self, key: &str, now: DateTime<Utc>) -> Result<Option<u64>> {
        Ok(self.wait_of(&mut *self.lock()?, key, now))
    }

    fn wait_of(&self, all: &mut Failures, key: &str, now: DateTime<Utc>) -> Option<u64> {
        let times = all.get_mut(key)?;
        times.retain(|t| *t + self.window > now);
        if times.len() < self.max_failures {
            return None;
        }
        // Free again when enough of the failures have left the window.
        let freeing = times[times.len() - self.max_failures];
        let wait = (freeing + self.window - now).num_seconds().max(1);
        Some(u64::try_from(wait).unwrap_or(1))
    }

    /// Count a failure of `key` at `now`; true if this one locked it.
    pub fn fail(&self, key: &str, now: DateTime<Utc>) -> Result<bool> {
        Ok(self.push(&mut *self.lock()?, key, now))
    }

    fn push(&self, all: &mut Failures, key: &str, now: DateTime<Utc>) -> bool {
        if all.len() > PRUNE_ABOVE {
            let window = self.window;
            all.retain(|_, times| times.back().is_some_and(|t| *t + window > now));
        }
        let times = all.entry(key.to_owned()).or_default();
        times.retain(|t| *t + self.window > now);
        times.push_back(now);
        times.len() == self.max_failures
    }

    /// Forget `key`'s failures (a correct sign-in for that username).
    pub fn clear(&self, key: &str) -> Result<()> {
        self.lock()?.remove(key);
        Ok(())
    }

    /// Check `key` and count an attempt at `now` in one step: `429 rate_limited` if it is
    /// locked (and nothing is counted), else the attempt, which says whether it is the one
    /// that reaches the limit. An attempt that succeeds is [`RateLimiter::forgive`]n.
    pub fn attempt(&self, key: &str, now: DateTime<Utc>) -> Result<Attempt> {
        let mut all = self.lock()?;
        if let Some(retry_after) = self.wait_of(&mut all, key, now) {
            return Err(Error::RateLimited { retry_after });
        }
        Ok(Attempt { at: now, reaches_limit: self.push(&mut all, key, now) })
    }

    /// Take back one attempt counted at `at` (it succeeded, or was never tried).
    pub fn forgive(&self, key: &str, attempt: &Attempt) -> Result<()> {
        let mut all = self.lock()?;
        if let Some(times) = all.get_mut(key)
            && let Some(i) = times.iter().rposition(|t| *t == attempt.at)
        {
            times.remove(i);
        }
        Ok(())
    }
}

/// An attempt counted by [`RateLimiter::attempt`].
#[derive(Debug, Clone, Copy)]
pub struct Attempt {
    at: DateTime<Utc>,
    /// This attempt, if it fails, is the one that locks the key.
    pub reaches_limit: bool,
}

/// At most a few expensive checks at once (Argon2 verifications, enrollments). The rest wait
/// up to `wait` for a turn, then are refused with `429 busy`: a flood queues briefly, it does
/// not pile up work.
#[derive(Debug)]
pub struct Gate {
    permits: Arc<Semaphore>,
    wait: std::time::Duration,
}

impl Gate {
    pub fn new(at_once: usize, wait: std::time::Duration) -> Self {
        Self { permits: Arc::new(Semaphore::new(at_once.max(1))), wait }
    }

    /// A turn, held until the pass is dropped (move it into the blocking task that does the
    /// work, so that a client hanging up does not free the turn before the work ends).
    pub async fn enter(&self) -> Result<OwnedSemaphorePermit> {
        match tokio::time::timeout(self.wait, Arc::clone(&self.permits).acquire_owned()).await {
            Ok(Ok(pass)) => Ok(pass),
            Ok(Err(_)) | Err(_) => Err(Error::Busy),
        }
    }
}

/// What an office allows; `serve`'s flags set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Refused requests (any 4xx but 429) from one address within 15 minutes before every
    /// request from it is refused for a while; 0 turns this limit off.
    pub refusals_per_address: usize,
    /// Argon2 verifications at once (sign-in, password change, accounts).
    pub hashing_at_once: usize,
    /// Enrollments at once.
    pub enrolling_at_once: usize,
    /// How long a sign-in or enrollment waits for its turn before `429 busy`.
    pub wait_for_turn: std::time::Duration,
    /// Evidence uploads.
    pub quota: BlobQuota,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            refusals_per_address: 300,
            hashing_at_once: 2,
            enrolling_at_once: 2,
            wait_for_turn: std::time::Duration::from_secs(2),
            quota: BlobQuota::default(),
        }
    }
}

/// The office's limits.
#[derive(Debug)]
pub struct Limits {
    /// Wrong passwords for one username (sign-in and the old password of a change).
    pub login_user: RateLimiter,
    /// Wrong passwords from one address, whatever the username (someone trying many names).
    pub login_addr: RateLimiter,
    /// Refused enrollments from one address (guessing tokens, or flooding), whatever the reason.
    pub enroll_addr: RateLimiter,
    /// Refused requests of any kind from one address; `None` when turned off.
    pub refused_addr: Option<RateLimiter>,
    /// Argon2 verifications and hashes.
    pub hashing: Gate,
    /// Enrollments.
    pub enrolling: Gate,
    /// Evidence uploads.
    pub quota: BlobQuota,
}

/// The window every rate limit counts in.
pub const WINDOW_MINUTES: i64 = 15;

impl Limits {
    pub fn new(s: Settings) -> Self {
        let window = Duration::minutes(WINDOW_MINUTES);
        Self {
            login_user: RateLimiter::new(5, window),
            login_addr: RateLimiter::new(20, window),
            enroll_addr: RateLimiter::new(10, window),
            refused_addr: (s.refusals_per_address > 0).then(|| RateLimiter::new(s.refusals_per_address, window)),
            hashing: Gate::new(s.hashing_at_once, s.wait_for_turn),
            enrolling: Gate::new(s.enrolling_at_once, s.wait_for_turn),
            quota: s.quota,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::new(Settings::default())
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
    fn an_attempt_counts_before_it_is_tried_and_a_success_takes_it_back() {
        let l = RateLimiter::new(2, Duration::seconds(60));
        let first = l.attempt("k", at(0)).unwrap();
        let second = l.attempt("k", at(1)).unwrap();
        assert!(!first.reaches_limit && second.reaches_limit);
        // Both still being tried: a third is refused before it is tried.
        assert_eq!(l.attempt("k", at(2)).unwrap_err().code(), "rate_limited");
        l.forgive("k", &second).unwrap();
        assert!(l.attempt("k", at(3)).is_ok(), "the forgiven attempt no longer counts");
    }

    #[tokio::test]
    async fn a_gate_lets_so_many_through_and_turns_the_next_away_after_its_wait() {
        let gate = Gate::new(2, std::time::Duration::from_millis(10));
        let a = gate.enter().await.unwrap();
        let _b = gate.enter().await.unwrap();
        assert_eq!(gate.enter().await.unwrap_err().code(), "busy");
        drop(a);
        assert!(gate.enter().await.is_ok(), "a turn freed is taken");
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
