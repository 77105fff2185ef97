//! Changing the corpus while serving: `zhengce serve --policies DIR --rules DIR` watches those
//! folders; a changed corpus is loaded and checked (no diagnostic at all: every file parses and
//! every rule example passes) and then swapped in atomically; a broken one is refused, the last
//! good corpus keeps serving, and the refusal with its diagnostics is logged and shown at
//! `GET /api/v1/corpus`.
//!
//! Watching is by polling a cheap fingerprint of the folders (names, sizes, modification times)
//! every few seconds: it sees editors that save by rename and needs no platform watcher.

use std::sync::Mutex;
use std::time::{Duration, UNIX_EPOCH};

use serde::Serialize;
use zhengce_corpus::{Corpus, CorpusDirs};
use zhengce_engine::Diagnostic;

use crate::AppState;

/// What `GET /api/v1/corpus` reports.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CorpusStatus {
    /// The version being served.
    pub version: String,
    /// When it was loaded (Unix ms).
    pub loaded_at: i64,
    /// Where it came from: `embedded` or the watched folders.
    pub source: String,
    /// How many policies it holds.
    pub policies: usize,
    /// The last corpus that was refused, if any since the served one was loaded.
    pub last_refusal: Option<Refusal>,
}

/// A corpus that was not swapped in, and why.
#[derive(Clone, Debug, Serialize)]
pub struct Refusal {
    /// When (Unix ms).
    pub at: i64,
    /// The problems, with file, line and column.
    pub diagnostics: Vec<Diagnostic>,
    /// A reading or building failure that is not a file diagnostic.
    pub error: Option<String>,
}

/// The status cell shared by the handlers and the watcher.
#[derive(Debug, Default)]
pub struct StatusCell(Mutex<CorpusStatus>);

impl StatusCell {
    /// A copy of the current status.
    pub fn get(&self) -> CorpusStatus {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Replaces the status.
    pub fn set(&self, s: CorpusStatus) {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = s;
    }

    fn refuse(&self, r: Refusal) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).last_refusal = Some(r);
    }
}

/// The outcome of one reload attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Reloaded {
    /// The folders hold the corpus already served.
    Unchanged,
    /// A new corpus is being served (its version).
    Swapped(String),
    /// The new corpus was refused; the old one keeps serving.
    Refused,
}

/// Loads the corpus in `dirs`; swaps it in if it is clean and differs from the served one.
pub fn reload(state: &AppState, dirs: &CorpusDirs) -> Reloaded {
    let now = state.clock.now_ms();
    let files = match zhengce_corpus::source_files(dirs) {
        Ok(f) => f,
        Err(e) => return refuse(state, now, Vec::new(), Some(e.to_string())),
    };
    let built = match Corpus::build(files) {
        Ok(b) => b,
        Err(zhengce_corpus::BuildError::NoSchema(ds)) => return refuse(state, now, ds, None),
        Err(e) => return refuse(state, now, Vec::new(), Some(e.to_string())),
    };
    if built.corpus.snapshot.version() == state.corpus().snapshot.version() {
        return Reloaded::Unchanged;
    }
    if !built.diagnostics.is_empty() {
        return refuse(state, now, built.diagnostics, None);
    }
    let version = built.corpus.snapshot.version().to_string();
    let policies = built.corpus.snapshot.policies().len();
    state.corpus.store(std::sync::Arc::new(built.corpus));
    state.push.wake("政策库更新");
    state.corpus_status.set(CorpusStatus {
        version: version.clone(),
        loaded_at: now,
        source: source_name(dirs),
        policies,
        last_refusal: None,
    });
    tracing::info!("规则库已更新为版本 {}（{policies} 项政策）", &version[..12.min(version.len())]);
    Reloaded::Swapped(version)
}

fn refuse(state: &AppState, now: i64, diagnostics: Vec<Diagnostic>, error: Option<String>) -> Reloaded {
    tracing::warn!(
        "新规则库未通过检查，继续使用当前版本：{} 个问题{}",
        diagnostics.len(),
        error.as_deref().map(|e| format!("；{e}")).unwrap_or_default()
    );
    for d in &diagnostics {
        tracing::warn!("{d}");
    }
    state.corpus_status.refuse(Refusal { at: now, diagnostics, error });
    Reloaded::Refused
}

/// A display name for the watched folders.
pub fn source_name(dirs: &CorpusDirs) -> String {
    format!("{} + {}", dirs.policies.display(), dirs.rules.display())
}

/// Names, sizes and modification times of every corpus file: changes when any file does.
pub fn fingerprint(dirs: &CorpusDirs) -> Vec<(String, u64, u128)> {
    let Ok(list) = dirs.list() else { return Vec::new() };
    list.into_iter()
        .map(|(rel, p)| {
            let meta = std::fs::metadata(&p).ok();
            let len = meta.as_ref().map_or(0, std::fs::Metadata::len);
            let mtime =
                meta.and_then(|m| m.modified().ok()).and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
            (rel, len, mtime)
        })
        .collect()
}

/// Polls `dirs` every `every` and reloads when the fingerprint changes (runs until the task is
/// dropped).
pub async fn watch(state: AppState, dirs: CorpusDirs, every: Duration) {
    let mut last = fingerprint(&dirs);
    loop {
        tokio::time::sleep(every).await;
        let now = fingerprint(&dirs);
        if now != last {
            // Let an editor finish writing several files before loading.
            tokio::time::sleep(Duration::from_millis(300)).await;
            last = fingerprint(&dirs);
            let (st, d) = (state.clone(), dirs.clone());
            let _ = tokio::task::spawn_blocking(move || reload(&st, &d)).await;
        }
    }
}
