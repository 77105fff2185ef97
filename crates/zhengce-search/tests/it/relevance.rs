//! Relevance test: the everyday queries of `tests/search_relevance.txt` against the bundled corpus.
//! Fails below 0.9 recall@3.

use crate::common;

use zhengce_search::SearchOptions;

struct Case {
    query: String,
    expected: Vec<String>,
    /// Written after tuning (below the `@holdout` marker); reported separately as well.
    holdout: bool,
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(common::root().join("tests/search_relevance.txt")).expect("relevance set");
    let mut holdout = false;
    let mut out = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line.starts_with('#') {
            holdout |= line.contains("@holdout");
            continue;
        }
        if let Some((q, e)) = line.split_once(" | ") {
            let expected = e.split_whitespace().map(str::to_string).collect();
            out.push(Case { query: q.trim().to_string(), expected, holdout });
        }
    }
    out
}

#[test]
fn recall_at_3_and_mrr() {
    let index = common::index();
    let cases = cases();
    assert!(cases.len() >= 40, "the relevance set needs at least 40 queries, has {}", cases.len());
    let mut opts = SearchOptions::new(common::as_of());
    opts.snippets = false;
    let mut scores: Vec<(bool, f64, f64)> = Vec::new();
    let mut report = Vec::new();
    for case in &cases {
        let results = index.search(&case.query, &opts).expect("search runs");
        let ranked: Vec<&str> = results.hits.iter().map(|h| h.policy.as_str()).collect();
        let found = ranked.iter().take(3).filter(|s| case.expected.iter().any(|e| e == *s)).count();
        let recall = found as f64 / case.expected.len().min(3) as f64;
        let rr = ranked.iter().position(|s| case.expected.iter().any(|e| e == s)).map_or(0.0, |i| 1.0 / (i + 1) as f64);
        scores.push((case.holdout, recall, rr));
        if recall < 1.0 || rr < 1.0 {
            report.push(format!(
                "  recall {recall:.2} rr {rr:.2}{}  {}  expected {:?}  got {:?}",
                if case.holdout { " (holdout)" } else { "" },
                case.query,
                case.expected,
                &ranked[..ranked.len().min(5)]
            ));
        }
    }
    let mean = |pick: &dyn Fn(&(bool, f64, f64)) -> bool| {
        let sel: Vec<&(bool, f64, f64)> = scores.iter().filter(|s| pick(s)).collect();
        let n = sel.len().max(1) as f64;
        (sel.len(), sel.iter().map(|s| s.1).sum::<f64>() / n, sel.iter().map(|s| s.2).sum::<f64>() / n)
    };
    let (n, recall, mrr) = mean(&|_| true);
    let (nh, recall_h, mrr_h) = mean(&|s| s.0);
    println!("relevance: {n} queries, recall@3 = {recall:.3}, MRR = {mrr:.3}");
    println!("  of which {nh} held-out queries: recall@3 = {recall_h:.3}, MRR = {mrr_h:.3}");
    for line in &report {
        println!("{line}");
    }
    assert!(recall >= 0.9, "recall@3 {recall:.3} < 0.9\n{}", report.join("\n"));
}
