//! Test helpers: one store per backend, the real profile schema, small roster builders.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Once;
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::{Map, Value};
use sqlx::Connection as _;
use zhengce_model::schema::FieldDef;
use zhengce_rules::Schema;
use zhengce_store::Store;
use zhengce_store::validate::{FieldIssue, ProfileValidator};

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

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read_dir(root: &Path, top: &str, out: &mut Vec<zhengce_engine::SourceFile>) {
    let mut stack = vec![root.join(top)];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let p = entry.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(text) = std::fs::read_to_string(&p) {
                let rel = p.strip_prefix(root).expect("under root").to_string_lossy().replace('\\', "/");
                out.push(zhengce_engine::SourceFile { path: rel, text });
            }
        }
    }
}

/// The bundled corpus, loaded the way the CLI loads it; its profile schema validates rows.
pub struct Corpus(zhengce_engine::Snapshot);

impl ProfileValidator for Corpus {
    fn validate(&self, obj: &Map<String, Value>) -> Result<Map<String, Value>, Vec<FieldIssue>> {
        self.schema().validate(obj)
    }

    fn schema_fields(&self) -> &[FieldDef] {
        self.schema().schema_fields()
    }
}

impl Corpus {
    fn schema(&self) -> &Schema {
        self.0.schema().expect("the corpus has a profile schema")
    }
}

/// The corpus profile schema (`rules/schema*.ron` + `rules/derived.ron`): what the CLI validates with.
pub fn schema() -> Corpus {
    let root = workspace().canonicalize().expect("workspace");
    let mut files = Vec::new();
    read_dir(&root, "policies", &mut files);
    read_dir(&root, "rules", &mut files);
    let loaded = zhengce_engine::load(files);
    assert!(loaded.snapshot.schema().is_some(), "schema does not load: {:?}", loaded.diagnostics);
    Corpus(loaded.snapshot)
}

/// A valid credit code in Wenshang with the given 8-character organisation body.
pub fn code(body: &str) -> String {
    const W: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body.chars().zip(W).map(|(c, w)| c.to_digit(36).unwrap_or(0) * w).sum();
    let c9 = match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        d => char::from_digit(d, 10).unwrap_or('0'),
    };
    let first = format!("91370830{body}{c9}");
    let check = zhengce_model::uscc::check_char(&first).expect("valid alphabet");
    format!("{first}{check}")
}

/// Writes a CSV (UTF-8) from rows of cells.
pub fn write_csv(path: &Path, rows: &[Vec<&str>]) {
    let mut w = csv::Writer::from_path(path).expect("create csv");
    for r in rows {
        w.write_record(r).expect("write row");
    }
    w.flush().expect("flush");
}

/// No-op progress callback.
pub fn quiet() -> impl FnMut(zhengce_store::roster::Progress) + Send {
    |_| {}
}
