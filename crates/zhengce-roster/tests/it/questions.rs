//! Questions asked of the demo county: how many distinct facts each firm is asked for at
//! 2025-06-01, and that no firm is ever asked a region fact.
//!
//! Before region facts and gates (main at f854a8e, measured with the union of the results'
//! `missing` over 1,000 firms of seed 1): median 49 distinct questions per firm (min 26, p25 43,
//! p75 58, max 75). Region facts go to officers (`region_questions`), a result waiting on an
//! unconfirmed region fact asks the firm nothing yet, and a question waits for its gate.

use std::collections::BTreeSet;

use zhengce_model::Date;
use zhengce_roster::demo::enterprise;

use crate::common::snapshot;

/// The median number of distinct questions per firm before this change (see the module docs).
const BEFORE_MEDIAN: usize = 49;

/// Distinct questions per firm for `n` demo firms of seed 1 (the report's `questions`), checking
/// on the way that no firm is asked a region fact and that `questions` is the union of `missing`.
fn counts(n: u64) -> Vec<usize> {
    let snap = snapshot();
    let as_of: Date = "2025-06-01".parse().expect("date");
    (0..n)
        .map(|i| {
            let e = enterprise(1, i);
            let profile = snap.parse_profile_json(&serde_json::Value::Object(e)).expect("demo profile is valid");
            let report = snap.match_profile(&profile, as_of);
            let schema = snap.schema().expect("schema");
            for q in &report.questions {
                assert!(!schema.field(&q.field).is_some_and(|f| f.region_fact), "firm {i} is asked region fact {}", q.field);
            }
            let union: BTreeSet<&str> = report.results.iter().flat_map(|r| r.missing.iter().map(|m| m.field.as_str())).collect();
            let asked: BTreeSet<&str> = report.questions.iter().map(|q| q.field.as_str()).collect();
            assert_eq!(union, asked, "firm {i}: questions are the union of missing");
            assert_eq!(asked.len(), report.questions.len(), "firm {i}: each question once");
            report.questions.len()
        })
        .collect()
}

fn median(v: &[usize]) -> usize {
    let mut s = v.to_vec();
    s.sort_unstable();
    s[s.len() / 2]
}

#[test]
fn demo_county_is_asked_a_quarter_fewer_questions_and_never_a_region_fact() {
    let c = counts(1000);
    let m = median(&c);
    assert!(m * 4 <= BEFORE_MEDIAN * 3, "median {m} distinct questions per firm; before {BEFORE_MEDIAN}, must drop by a quarter");
}

#[test]
#[ignore = "prints the distribution; run with --ignored"]
fn print_distribution() {
    let c = counts(1000);
    let mut s = c.clone();
    s.sort_unstable();
    let pct = |p: usize| s[(s.len() - 1) * p / 100];
    println!(
        "n={} median={} min={} p10={} p25={} p75={} p90={} max={}",
        s.len(),
        median(&c),
        s[0],
        pct(10),
        pct(25),
        pct(75),
        pct(90),
        s[s.len() - 1]
    );
    let mut hist = std::collections::BTreeMap::new();
    for x in &c {
        *hist.entry(x / 5 * 5).or_insert(0) += 1;
    }
    println!("{hist:?}");
}
