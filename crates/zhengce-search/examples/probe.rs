//! Developer probe: runs queries against the bundled corpus and prints terms, scores and snippets.
//!
//! `cargo run -p zhengce-search --example probe -- 查询 [查询 …]` (searches as of 2025-06-01).

use std::path::PathBuf;

use zhengce_model::Date;
use zhengce_model::policy::parse_policy;
use zhengce_search::{SearchConfig, SearchIndex, SearchOptions};

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut policies = Vec::new();
    let Ok(entries) = std::fs::read_dir(root.join("policies")) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths.iter().filter(|p| p.extension().is_some_and(|x| x == "md")) {
        let name = format!("policies/{}", p.file_name().map(|n| n.to_string_lossy()).unwrap_or_default());
        if let Ok(policy) = parse_policy(&name, &std::fs::read_to_string(p).unwrap_or_default()) {
            policies.push(policy);
        }
    }
    let read = |f: &str| std::fs::read_to_string(root.join("policies/_search").join(f)).unwrap_or_default();
    let (cfg, errors) = SearchConfig::parse(&read("synonyms.txt"), &read("dict.txt"));
    for e in errors {
        println!("{e}");
    }
    let Ok(index) = SearchIndex::build(&policies, cfg) else { return };
    let mut opts = SearchOptions::new(Date::new(2025, 6, 1).unwrap_or_else(|| unreachable!()));
    opts.limit = 6;
    for q in std::env::args().skip(1) {
        let Ok(r) = index.search(&q, &opts) else { continue };
        println!("== {q}\n   terms {:?}\n   expansions {:?}", r.terms, r.expansions);
        for h in r.hits {
            println!("   {:7.3} {} {} [{}]\n           {}", h.score, h.policy, h.title, h.validity_label, h.snippet);
        }
    }
}
