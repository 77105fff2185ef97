//! Search benchmarks: indexing the bundled corpus, a query, and a query with snippets.
//!
//! `cargo bench -p zhengce-benches --bench search`. Reads `policies/*.md` and `policies/_search/`
//! from disk.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use zhengce_model::Date;
use zhengce_model::policy::{Policy, parse_policy};
use zhengce_search::index::plain_body;
use zhengce_search::snippet::SnippetSource;
use zhengce_search::{Analyzer, SearchConfig, SearchIndex, SearchOptions};

fn files() -> Vec<zhengce_engine::SourceFile> {
    zhengce_corpus::source_files(&zhengce_corpus::source_root()).unwrap_or_default()
}

fn policies() -> Vec<Policy> {
    files()
        .iter()
        .filter(|f| f.path.ends_with(".md") && f.path.matches('/').count() == 1)
        .filter_map(|f| parse_policy(&f.path, &f.text).ok())
        .collect()
}

fn config() -> SearchConfig {
    zhengce_corpus::search_config(&files()).0
}

const QUERIES: [&str; 4] = ["招大学生有补贴吗", "买设备能补多少", "稳岗返还", "贷款到期周转不开怎么办"];

fn bench(c: &mut Criterion) {
    let policies = policies();
    let config = config();
    let bytes: usize = policies.iter().map(|p| p.body.len() + p.meta.benefit_summary.len()).sum();
    eprintln!("corpus: {} policies, {} KB of text", policies.len(), bytes / 1024);

    let mut slow = c.benchmark_group("search_setup");
    slow.sample_size(10);
    slow.bench_function("analyzer_new (jieba + domain dict)", |b| b.iter(|| Analyzer::new(black_box(&config))));
    slow.finish();

    let analyzer = Analyzer::new(&config);
    c.bench_function("index_corpus", |b| {
        b.iter(|| SearchIndex::build_with(black_box(&policies), config.clone(), analyzer.clone()))
    });

    let Ok(index) = SearchIndex::build_with(&policies, config.clone(), analyzer.clone()) else {
        eprintln!("index failed to build");
        return;
    };
    let as_of = Date::new(2025, 6, 1).unwrap_or_else(|| unreachable!());
    let mut plain = SearchOptions::new(as_of);
    plain.snippets = false;
    let with_snippets = SearchOptions::new(as_of);

    c.bench_function("query top10 (4 queries)", |b| {
        b.iter(|| {
            for q in QUERIES {
                let _ = black_box(index.search(black_box(q), &plain));
            }
        })
    });
    c.bench_function("query top10 + snippets (4 queries)", |b| {
        b.iter(|| {
            for q in QUERIES {
                let _ = black_box(index.search(black_box(q), &with_snippets));
            }
        })
    });
    let long = "我们公司是做服装的，去年没有裁员，想问一下稳岗返还怎么申请。".repeat(24);
    c.bench_function("query 2KB input + snippets", |b| b.iter(|| index.search(black_box(&long), &with_snippets)));

    // What snippets would cost if each hit's text were segmented again per query (the approach
    // this crate avoids by segmenting once at index time).
    let texts: Vec<(String, String)> =
        policies.iter().take(10).map(|p| (p.meta.benefit_summary.clone(), plain_body(&p.body))).collect();
    c.bench_function("re-segment 10 hits (avoided)", |b| {
        b.iter(|| {
            for (summary, body) in &texts {
                black_box(SnippetSource::new(&analyzer, summary, body));
            }
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
