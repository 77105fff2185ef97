//! Test helpers: the real profile schema, small roster builders; stores per backend come from
//! `zhengce_store::testing`.

use std::path::{Path, PathBuf};

use zhengce_engine::Schema;

pub use zhengce_store::testing::{TestDb, code, dbs};

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

/// The bundled corpus, loaded the way the CLI loads it; its profile schema checks rows.
pub struct Corpus(zhengce_engine::Snapshot);

impl std::ops::Deref for Corpus {
    type Target = Schema;

    fn deref(&self) -> &Schema {
        self.0.schema().expect("the corpus has a profile schema")
    }
}

/// The corpus profile schema (`rules/schema*.ron` + `rules/derived.ron`): what the CLI validates
/// with. Loaded once per test binary.
pub fn schema() -> &'static Corpus {
    static CORPUS: std::sync::OnceLock<Corpus> = std::sync::OnceLock::new();
    CORPUS.get_or_init(load_corpus)
}

fn load_corpus() -> Corpus {
    let root = workspace().canonicalize().expect("workspace");
    let mut files = Vec::new();
    read_dir(&root, "policies", &mut files);
    read_dir(&root, "rules", &mut files);
    let loaded = zhengce_engine::load(files);
    assert!(loaded.snapshot.schema().is_some(), "schema does not load: {:?}", loaded.diagnostics);
    Corpus(loaded.snapshot)
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
pub fn quiet() -> impl FnMut(zhengce_roster::import::Progress) + Send {
    |_| {}
}

/// The bundled corpus snapshot (for matching demo enterprises).
pub fn snapshot() -> &'static zhengce_engine::Snapshot {
    &schema().0
}
