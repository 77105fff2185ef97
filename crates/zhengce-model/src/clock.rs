//! Time at the edges: the one [`Clock`] a binary (or a test) hands to the server and store.
//!
//! Core crates never read the clock; they take `as_of` as a parameter. Edge crates that need
//! "now" (when a profile version was written, today's date for matching) ask a `Clock` they were
//! given. The system clock lives in the binary; tests use [`FixedClock`].

use crate::date::Date;

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// Unix milliseconds.
    fn now_ms(&self) -> i64;
    /// Today's date where the service runs (China time for the binary).
    fn today(&self) -> Date;
}

/// A clock that always says the same thing (tests, reproducible runs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixedClock {
    /// Unix milliseconds.
    pub now_ms: i64,
    /// Today's date.
    pub today: Date,
}

impl FixedClock {
    /// Midnight UTC of `today` (good enough for tests that only need a stable value).
    pub fn at(today: Date) -> FixedClock {
        FixedClock { now_ms: today.days_since_epoch() * 86_400_000, today }
    }
}

impl Clock for FixedClock {
    fn now_ms(&self) -> i64 {
        self.now_ms
    }
    fn today(&self) -> Date {
        self.today
    }
}
