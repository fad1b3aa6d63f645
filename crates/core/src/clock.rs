//! Time as an argument. Business logic never calls `now()` itself; it is handed a [`Clock`].

use chrono::{DateTime, Utc};

/// The source of "now". The store uses the system clock; tests use [`FixedClock`].
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// A clock that always says the same instant, for deterministic tests.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}
