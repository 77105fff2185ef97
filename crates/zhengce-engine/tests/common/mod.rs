//! Shared test helpers: the corpus on disk and a small profile builder.

#![allow(dead_code)]

use std::path::Path;

use zhengce_engine::{Loaded, SourceFile};

/// Reads every file of `policies/` and `rules/` from the workspace.
pub fn corpus_files() -> Vec<SourceFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut out = Vec::new();
    for top in ["policies", "rules"] {
        let mut stack = vec![(root.join(top), top.to_string())];
        while let Some((dir, prefix)) = stack.pop() {
            for e in std::fs::read_dir(&dir).expect("corpus folder exists").flatten() {
                let p = e.path();
                let name = e.file_name().to_string_lossy().to_string();
                if p.is_dir() {
                    stack.push((p, format!("{prefix}/{name}")));
                } else {
                    let text = std::fs::read_to_string(&p).expect("corpus file is UTF-8");
                    out.push(SourceFile { path: format!("{prefix}/{name}"), text });
                }
            }
        }
    }
    out
}

/// The bundled corpus, loaded.
pub fn corpus() -> Loaded {
    zhengce_engine::load(corpus_files())
}
