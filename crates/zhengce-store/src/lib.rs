//! zhengce-store: everything about enterprises that changes at run time, kept durably.
//!
//! One code path over `sqlx::Any`: SQLite (a file in a data folder) by default, PostgreSQL when the
//! URL starts with `postgres://`. One set of portable migrations (`migrations/*.sql`) serves both.
//!
//! - [`Store`] ([`db`]): opening, the durability check (SQLite WAL + `synchronous=FULL` +
//!   `foreign_keys=ON` + `busy_timeout`, PostgreSQL `fsync` + `synchronous_commit`; a store that
//!   cannot give that refuses to open), migrations.
//! - [`profiles`]: enterprises and their profile versions. Every change is a new version with who,
//!   when, the canonical JSON profile, its SHA-256 content hash and the fields that changed.
//! - [`matches`]: match results keyed by (enterprise, policy, corpus version).
//! - [`audit`]: the append-only audit log (gapless sequence numbers).
//! - [`push`]: batch push — standings, the transactional notification outbox (UNIQUE per
//!   enterprise, policy, policy version, channel and kind), delivery claims with leases, dead
//!   letters and replay, channels, unsubscriptions and uptake (已申报/已兑现).
//! - [`requests`]: enterprise requests (诉求) in a closed loop — every transition checked by the
//!   model's state machine and written with its event and audit entry in one transaction;
//!   overdue requests escalated to their dispatcher through the push outbox (migration 5).
//! - [`bulk`]: many profile writes in one transaction, all or nothing (used by roster import and
//!   demo seeding, which live in `zhengce-roster`).
//! - [`canonical`]: the stored form of a profile (canonical JSON text and its content hash).
//! - [`testing`] (feature `testing`): throwaway stores for tests, SQLite always and PostgreSQL when
//!   `ZHENGCE_TEST_PG_URL` is set.
//!
//! The store does not know the profile vocabulary: callers validate profiles with the corpus schema
//! before writing them (the store depends on no rules crate).
//!
//! Times are `i64` Unix milliseconds, always passed in by the caller (from the one
//! `zhengce_model::clock::Clock` the binary or a test provides); the store never reads the clock.
//!
//! The notification outbox is migration 4 (`push`).

pub mod accounts;
pub mod audit;
pub mod bulk;
pub mod canonical;
mod db;
mod error;
pub mod matches;
pub mod profiles;
pub mod push;
pub mod requests;
#[cfg(feature = "testing")]
pub mod testing;

pub use db::{Backend, Store, check_pg_settings, check_sqlite_settings, default_db_url, normalize_url};
pub use error::StoreError;

/// Who made a change and when: recorded on every profile version and audit entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change<'a> {
    /// The actor: an officer id, `import`, `demo`, an enterprise's credit code, ….
    pub by: &'a str,
    /// Unix milliseconds.
    pub at_ms: i64,
    /// Where the change came from: `import:roster.csv`, `api`, `demo`, ….
    pub source: &'a str,
}
