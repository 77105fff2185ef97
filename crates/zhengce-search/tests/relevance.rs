//! Relevance test: the everyday queries of `tests/search_relevance.txt` against the bundled corpus.
//! Fails below 0.9 recall@3.

mod common;

use zhengce_search::SearchOptions;

struct Case {
    query: String,
    expected: Vec<String>,
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(common::root().join("tests/search_relevance.txt")).expect("relevance set");
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let (q, e) = l.split_once(" | ")?;
            Some(Case { query: q.trim().to_string(), expected: e.split_whitespace().map(str::to_string).collect() })
        })
        .collect()
}

#[test]
fn recall_at_3_and_mrr() {
    let index = common::index();
    let cases = cases();
    assert!(cases.len() >= 40, "the relevance set needs at least 40 queries, has {}", cases.len());
    let mut opts = SearchOptions::new(common::as_of());
    opts.snippets = false;
    let (mut recall_sum, mut rr_sum) = (0.0, 0.0);
    let mut report = Vec::new();
    for case in &cases {
        let results = index.search(&case.query, &opts).expect("search runs");
        let ranked: Vec<&str> = results.hits.iter().map(|h| h.policy.as_str()).collect();
        let found = ranked.iter().take(3).filter(|s| case.expected.iter().any(|e| e == *s)).count();
        let recall = found as f64 / case.expected.len().min(3) as f64;
        let rr = ranked
            .iter()
            .position(|s| case.expected.iter().any(|e| e == s))
            .map_or(0.0, |i| 1.0 / (i + 1) as f64);
        recall_sum += recall;
        rr_sum += rr;
        if recall < 1.0 {
            report.push(format!(
                "  recall {recall:.2} rr {rr:.2}  {}  expected {:?}  got {:?}",
                case.query,
                case.expected,
                &ranked[..ranked.len().min(5)]
            ));
        }
    }
    let n = cases.len() as f64;
    let (recall, mrr) = (recall_sum / n, rr_sum / n);
    println!("relevance: {} queries, recall@3 = {recall:.3}, MRR = {mrr:.3}", cases.len());
    for line in &report {
        println!("{line}");
    }
    assert!(recall >= 0.9, "recall@3 {recall:.3} < 0.9\n{}", report.join("\n"));
}
