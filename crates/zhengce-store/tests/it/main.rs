//! Store tests: the same tests on SQLite (always) and PostgreSQL (when `ZHENGCE_TEST_PG_URL` is set).
//! Roster import, the demo county and the import crash test are tested in `zhengce-roster`.
//!
//! Without the variable a loud note says PostgreSQL was not tested; `.ci/store.sh` starts a server
//! and sets it. Each PostgreSQL test runs in a fresh schema of that database.

mod api;
mod common;
mod push;
mod requests;
