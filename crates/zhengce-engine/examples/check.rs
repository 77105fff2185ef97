//! Loads the corpus from `policies/` and `rules/` on disk and prints its diagnostics.
//!
//! A quick loop for rule authors that builds only the core crates:
//! `cargo run -p zhengce-engine --example check [FILTER]` prints the diagnostics whose file contains FILTER.

use zhengce_engine::SourceFile;

#[allow(clippy::print_stdout)]
fn main() {
    let files = match zhengce_corpus::source_root().read() {
        Ok(f) => f,
        Err(e) => {
            println!("{e}");
            return;
        }
    };
    let files = files.into_iter().map(|(path, text)| SourceFile { path, text }).collect();
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
