//! Questions asked of the demo county: how many distinct facts each firm is asked for at
//! 2025-06-01, and that no firm is ever asked a region fact.

use std::collections::BTreeSet;

use zhengce_model::Date;
use zhengce_roster::demo::enterprise;

use crate::common::snapshot;

/// Distinct questions per firm for `n` demo firms of seed 1 (union of the results' `missing`).
fn counts(n: u64) -> Vec<usize> {
    let snap = snapshot();
    let as_of: Date = "2025-06-01".parse().expect("date");
    (0..n)
        .map(|i| {
            let e = enterprise(1, i);
            let profile = snap.parse_profile_json(&serde_json::Value::Object(e)).expect("demo profile is valid");
            let report = snap.match_profile(&profile, as_of);
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

#[test]
#[ignore = "prints field frequencies"]
fn print_fields() {
    let snap = snapshot();
    let as_of: Date = "2025-06-01".parse().expect("date");
    let mut freq = std::collections::BTreeMap::<String, (usize, BTreeSet<String>)>::new();
    for i in 0..300 {
        let e = enterprise(1, i);
        let profile = snap.parse_profile_json(&serde_json::Value::Object(e)).expect("valid");
        let report = snap.match_profile(&profile, as_of);
        let mut seen = BTreeSet::new();
        for r in &report.results {
            for m in &r.missing {
                let ent = freq.entry(m.field.clone()).or_default();
                ent.1.insert(r.policy.clone());
                if seen.insert(m.field.clone()) {
                    ent.0 += 1;
                }
            }
        }
    }
    let mut v: Vec<_> = freq.into_iter().collect();
    v.sort_by_key(|(_, (n, _))| std::cmp::Reverse(*n));
    for (f, (n, ps)) in v {
        println!("{n:4} {f:40} {}", ps.into_iter().collect::<Vec<_>>().join(","));
    }
}
