//! Throwaway stores for tests (feature `testing`), used by this crate's tests and by the crates
//! that write through it: a fresh SQLite store always, plus a fresh PostgreSQL schema when
//! `ZHENGCE_TEST_PG_URL` is set (without it a loud note says PostgreSQL was not tested).

use std::io::Write as _;
use std::sync::Once;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection as _;

use crate::Store;

/// The environment variable naming a PostgreSQL database for tests.
pub const PG_ENV: &str = "ZHENGCE_TEST_PG_URL";

/// A database to run a test against; the SQLite temp folder lives as long as this.
pub struct TestDb {
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// The URL to open.
    pub url: String,
    /// Holds the SQLite file's folder.
    pub dir: tempfile::TempDir,
}

impl TestDb {
    /// Opens the store (panics with the backend named if it cannot).
    pub async fn open(&self) -> Store {
        Store::open(&self.url).await.unwrap_or_else(|e| panic!("open {} store: {e}", self.backend))
    }
}

static PG_NOTE: Once = Once::new();
static SEQ: AtomicU32 = AtomicU32::new(0);

/// A fresh SQLite store, plus a fresh PostgreSQL schema when `ZHENGCE_TEST_PG_URL` is set.
pub async fn dbs() -> Vec<TestDb> {
    let dir = tempfile::tempdir().expect("temp dir");
    let sqlite = dir.path().join("data").join("store.db").display().to_string();
    let mut out = vec![TestDb { backend: "sqlite", url: sqlite, dir }];
    match std::env::var(PG_ENV) {
        Ok(base) if !base.is_empty() => out.push(pg_db(&base).await),
        _ => PG_NOTE.call_once(|| {
            // Written straight to stderr (not through the captured test output) so it is always seen.
            let _ = writeln!(
                std::io::stderr(),
                "\n*** NOTE: {PG_ENV} is not set: these store tests ran on SQLite only; PostgreSQL was NOT tested. ***\n"
            );
        }),
    }
    out
}

async fn pg_db(base: &str) -> TestDb {
    sqlx::any::install_default_drivers();
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let schema = format!("t_{}_{n}_{nanos}", std::process::id());
    let mut conn = sqlx::AnyConnection::connect(base).await.unwrap_or_else(|e| panic!("{PG_ENV}={base}: {e}"));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"))).execute(&mut conn).await.expect("create schema");
    conn.close().await.expect("close");
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    TestDb { backend: "postgres", url, dir: tempfile::tempdir().expect("temp dir") }
}

/// A valid credit code in Wenshang with the given 8-character organisation body.
pub fn code(body: &str) -> String {
    let first = format!("91370830{body}{}", zhengce_model::uscc::org_check_char(body));
    let check = zhengce_model::uscc::check_char(&first).expect("valid alphabet");
    format!("{first}{check}")
}
