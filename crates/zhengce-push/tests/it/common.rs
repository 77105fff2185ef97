//! Test helpers: corpora (the bundled one, or edited copies), demo enterprises in a store, a real clock.

use zhengce_engine::{Snapshot, SourceFile};
use zhengce_model::Date;
use zhengce_model::clock::Clock;
use zhengce_roster::demo::{DemoFormat, write_demo};
use zhengce_roster::import::{ImportOptions, import_file};
use zhengce_store::Store;

pub use zhengce_store::testing::dbs;

/// The bundled corpus files.
pub fn corpus_files() -> Vec<SourceFile> {
    zhengce_corpus::source_root()
        .read()
        .expect("corpus reads")
        .into_iter()
        .map(|(path, text)| SourceFile { path, text })
        .collect()
}

/// A snapshot of the files (must load without diagnostics that drop files we use).
pub fn snapshot(files: Vec<SourceFile>) -> Snapshot {
    let loaded = zhengce_engine::load(files);
    assert!(loaded.snapshot.schema().is_some(), "{:?}", loaded.diagnostics);
    loaded.snapshot
}

/// The bundled corpus with one file's text edited by `f`.
pub fn edited(path: &str, f: impl Fn(&str) -> String) -> Vec<SourceFile> {
    let mut files = corpus_files();
    let file = files.iter_mut().find(|x| x.path == path).unwrap_or_else(|| panic!("no {path}"));
    let new = f(&file.text);
    assert_ne!(new, file.text, "edit of {path} changed nothing");
    file.text = new;
    files
}

/// Imports `n` demo enterprises (seed 3) into the store.
pub async fn seed(store: &Store, snapshot: &Snapshot, n: u64) {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("demo.csv");
    let file = std::fs::File::create(&path).expect("create");
    let schema = snapshot.schema().expect("schema");
    write_demo(std::io::BufWriter::new(file), schema, DemoFormat::Csv, n, 3, &mut |_| {}).expect("demo");
    let opts = ImportOptions { skip_invalid: false, actor: "test", at_ms: 1 };
    let r = import_file(store, &path, schema, &opts, &mut |_| {}).await.expect("import");
    assert_eq!(r.created, n as usize);
}

/// The machine's clock (leases and backoff need time to pass).
pub struct RealClock;

impl Clock for RealClock {
    fn now_ms(&self) -> i64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
    }
    fn today(&self) -> Date {
        date("2025-06-01")
    }
}

/// Parses a date.
pub fn date(s: &str) -> Date {
    s.parse().expect("date")
}
