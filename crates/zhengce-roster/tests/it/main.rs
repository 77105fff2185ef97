//! Roster tests: import (encodings, workbooks, bad rows, updated rosters, the demo round trip), the
//! header and cell vocabulary from the schema, the demo county, and the `kill -9` import crash test.
//!
//! Store-backed tests run on SQLite always and on PostgreSQL when `ZHENGCE_TEST_PG_URL` is set
//! (`zhengce_store::testing`).

mod cells;
mod common;
mod crash;
mod demo;
mod import;
mod questions;
