//! Loads the corpus from `policies/` and `rules/` on disk and prints its diagnostics.
//!
//! A quick loop for rule authors that builds only the core crates:
//! `cargo run -p zhengce-engine --example check [FILTER]` prints the diagnostics whose file contains FILTER.

use std::path::Path;

use zhengce_engine::SourceFile;

fn read(dir: &Path, prefix: &str, out: &mut Vec<SourceFile>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            let name = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            read(&p, &format!("{prefix}/{name}"), out);
        } else if let Ok(text) = std::fs::read_to_string(&p) {
            let name = p.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            out.push(SourceFile { path: format!("{prefix}/{name}"), text });
        }
    }
}

#[allow(clippy::print_stdout)]
fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    read(&root.join("policies"), "policies", &mut files);
    read(&root.join("rules"), "rules", &mut files);
    let filter = std::env::args().nth(1).unwrap_or_default();
    let loaded = zhengce_engine::load(files);
    let mut shown = 0;
    for d in loaded.diagnostics.iter().filter(|d| d.file.contains(&filter)) {
        println!("{d}");
        shown += 1;
    }
    let rules = loaded.snapshot.rules().map_or(0, |r| r.rules.len());
    println!("{shown} diagnostics shown ({} in all); {rules} rules loaded", loaded.diagnostics.len());
}
