//! Loads the bundled corpus from disk for the integration tests.

use std::path::PathBuf;

use zhengce_model::Date;
use zhengce_model::policy::{Policy, parse_policy};
use zhengce_search::{ConfigFile, SearchConfig, SearchIndex};

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every policy of `policies/*.md` that parses (files that do not parse are reported and skipped;
/// `zhengce check` is where they fail).
pub fn policies() -> Vec<Policy> {
    let mut out = Vec::new();
    for (name, text) in files() {
        if !(name.ends_with(".md") && name.matches('/').count() == 1) {
            continue;
        }
        match parse_policy(&name, &text) {
            Ok(policy) => out.push(policy),
            Err(diags) => eprintln!("skipping {name}: {} problem(s)", diags.len()),
        }
    }
    out
}

/// The corpus files of the source tree.
fn files() -> Vec<(String, String)> {
    zhengce_corpus::source_root().read().expect("the source tree's corpus is readable")
}

/// The search vocabulary of `policies/_search/`.
pub fn config() -> SearchConfig {
    let files = files();
    let read = |f: ConfigFile| files.iter().find(|(p, _)| p == f.path()).map(|(_, t)| t.clone()).expect("search data file");
    let (cfg, errors) = SearchConfig::parse(&read(ConfigFile::Synonyms), &read(ConfigFile::Dict));
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
