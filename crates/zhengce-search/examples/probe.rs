//! Developer probe: runs queries against the bundled corpus and prints terms, scores and snippets.
//!
//! `cargo run -p zhengce-search --example probe -- 查询 [查询 …]` (searches as of 2025-06-01).

use zhengce_model::Date;
use zhengce_model::policy::parse_policy;
use zhengce_search::{ConfigFile, SearchConfig, SearchIndex, SearchOptions};

fn main() {
    let Ok(files) = zhengce_corpus::source_root().read() else { return };
    let policies: Vec<_> = files
        .iter()
        .filter(|(p, _)| p.ends_with(".md") && p.matches('/').count() == 1)
        .filter_map(|(p, t)| parse_policy(p, t).ok())
        .collect();
    let read = |f: ConfigFile| files.iter().find(|(p, _)| p == f.path()).map_or("", |(_, t)| t.as_str());
    let (cfg, errors) = SearchConfig::parse(read(ConfigFile::Synonyms), read(ConfigFile::Dict));
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
