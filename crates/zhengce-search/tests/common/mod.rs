//! Loads the bundled corpus from disk for the integration tests.

use std::path::PathBuf;

use zhengce_model::Date;
use zhengce_model::policy::{Policy, parse_policy};
use zhengce_search::{SearchConfig, SearchIndex};

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every policy of `policies/*.md` that parses (files that do not parse are reported and skipped;
/// `zhengce check` is where they fail).
pub fn policies() -> Vec<Policy> {
    let dir = root().join("policies");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("policies folder exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        let text = std::fs::read_to_string(&p).expect("readable policy file");
        let name = format!("policies/{}", p.file_name().map(|n| n.to_string_lossy()).unwrap_or_default());
        match parse_policy(&name, &text) {
            Ok(policy) => out.push(policy),
            Err(diags) => eprintln!("skipping {name}: {} problem(s)", diags.len()),
        }
    }
    out
}

/// The search vocabulary of `policies/_search/`.
pub fn config() -> SearchConfig {
    let read = |f: &str| std::fs::read_to_string(root().join("policies/_search").join(f)).expect("search data file");
    let (cfg, errors) = SearchConfig::parse(&read("synonyms.txt"), &read("dict.txt"));
    assert!(errors.is_empty(), "search data files have errors: {errors:?}");
    cfg
}

/// The index over the bundled corpus.
pub fn index() -> SearchIndex {
    SearchIndex::build(&policies(), config()).expect("index builds")
}

/// The date the tests search on.
pub fn as_of() -> Date {
    Date::new(2025, 6, 1).expect("valid date")
}
