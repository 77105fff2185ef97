//! Search within what an enterprise qualifies for: engine verdicts → allowed slugs → search.
//!
//! Composes `zhengce_engine` and `zhengce_search` the way `zhengce search --profile` does, on the
//! corpus on disk.

use std::path::PathBuf;

use zhengce_corpus::Corpus;
use zhengce_model::Date;
use zhengce_model::verdict::Status;
use zhengce_search::{SearchOptions, Within};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn search_within_qualifying_policies() {
    let built = Corpus::from_dirs(&zhengce_corpus::source_root()).expect("the corpus builds");
    assert!(built.search_warnings.is_empty(), "{:?}", built.search_warnings);
    let Corpus { snapshot, search: index } = built.corpus;
    let snapshot = &snapshot;
    let as_of = Date::new(2025, 6, 1).expect("valid date");

    let profile_text =
        std::fs::read_to_string(root().join("tests/fixtures/profiles/wenshang-garment-sme.json")).expect("fixture");
    let value: serde_json::Value = serde_json::from_str(&profile_text).expect("fixture is JSON");
    let profile = snapshot.parse_profile_json(&value).expect("fixture profile is valid");
    let report = snapshot.match_profile(&profile, as_of);
    let qualifying = |s: Status| matches!(s, Status::Eligible | Status::Possible | Status::NearMiss);
    let within = Within::from_pairs(
        report.results.iter().filter(|r| qualifying(r.status)).map(|r| (r.policy.clone(), Some(r.status.as_str().to_string()))),
    );
    assert!(!within.allowed.is_empty(), "the fixture enterprise qualifies for something");

    let mut opts = SearchOptions::new(as_of);
    opts.limit = 100;
    opts.within = Some(within.clone());
    for q in ["", "贷款", "稳岗返还", "补贴", "数字化"] {
        let results = index.search(q, &opts).expect("search runs");
        for hit in &results.hits {
            let verdict = report.results.iter().find(|r| r.policy == hit.policy).map(|r| r.status);
            assert!(verdict.is_some_and(qualifying), "{q:?}: {} is not among the qualifying policies", hit.policy);
            assert_eq!(hit.annotation.as_deref(), verdict.map(Status::as_str), "{q:?}: annotation of {}", hit.policy);
        }
    }
    // Blank query lists exactly the qualifying policies.
    let all = index.search("", &opts).expect("search runs");
    assert_eq!(all.total, within.allowed.len());
}
