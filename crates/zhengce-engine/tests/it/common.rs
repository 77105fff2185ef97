//! Shared test helpers: the corpus on disk and a small profile builder.

#![allow(dead_code)]

use zhengce_engine::{Loaded, SourceFile};

/// Reads every file of `policies/` and `rules/` from the workspace.
pub fn corpus_files() -> Vec<SourceFile> {
    let files = zhengce_corpus::source_root().read().expect("the source tree's corpus is readable");
    files.into_iter().map(|(path, text)| SourceFile { path, text }).collect()
}

/// The bundled corpus, loaded.
pub fn corpus() -> Loaded {
    zhengce_engine::load(corpus_files())
}
