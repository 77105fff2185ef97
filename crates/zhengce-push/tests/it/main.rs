//! zhengce-push tests: change detection (on SQLite, and on PostgreSQL when `ZHENGCE_TEST_PG_URL`
//! is set), delivery on every channel against local receivers, SSRF refusals.

mod common;
mod delivery;
mod detect;
mod ssrf;
