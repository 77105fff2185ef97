//! The columnar evaluator gives exactly the statuses of the row evaluator.
//!
//! Compared on the bundled corpus with generated profiles (at several dates, including dates
//! where parameters or policies change), and on random synthetic corpora (`zhengce_engine::synth`)
//! with random profiles. The row side is `Snapshot::statuses` (proven equal to `match_profile`
//! by `properties.rs`) and, for a sample, `match_profile` itself.

use crate::common;

use std::sync::OnceLock;

use proptest::prelude::*;
use zhengce_engine::columnar::Plan;
use zhengce_engine::{Snapshot, SourceFile, synth};
use zhengce_model::Date;
use zhengce_model::fact::{FactValue, Profile};
use zhengce_model::verdict::Status;

const DATES: [&str; 5] = ["2025-06-01", "2025-06-30", "2025-07-01", "2025-11-30", "2026-06-01"];

fn real() -> &'static Snapshot {
    static S: OnceLock<Snapshot> = OnceLock::new();
    S.get_or_init(|| common::corpus().snapshot)
}

fn schema_files() -> Vec<SourceFile> {
    common::corpus_files()
        .into_iter()
        .filter(|f| f.path == "rules/derived.ron" || (f.path.starts_with("rules/schema") && f.path.ends_with(".ron")))
        .collect()
}

pub(crate) fn synthetic(n: usize, seed: u64) -> Snapshot {
    let schema = real().schema().expect("schema");
    let mut files = schema_files();
    files.extend(synth::corpus(schema, n, seed));
    let loaded = zhengce_engine::load(files);
    let errors: Vec<String> = loaded.diagnostics.iter().map(|d| d.to_string()).collect();
    assert!(errors.is_empty(), "synthetic corpus has diagnostics: {errors:#?}");
    loaded.snapshot
}

/// Compares every (profile, policy) status; returns the status counts for coverage checks.
fn compare(snap: &Snapshot, profiles: &[Profile], as_of: Date) -> [usize; 4] {
    let plan = Plan::new(snap, as_of);
    let cols = plan.columns_of(profiles);
    let got = plan.statuses(&cols);
    // Unsealed (doubles instead of ranks) gives the same.
    let mut raw = plan.columns();
    for p in profiles {
        plan.push(&mut raw, p);
    }
    assert_eq!(plan.statuses(&raw), got, "ranked and unranked columns agree");
    // Ranked only where the plan has many thresholds (what `zhengce batch` does): the same.
    let mut some = raw.clone();
    plan.seal(&mut some);
    assert_eq!(plan.statuses(&some), got, "partly ranked columns agree");
    // Rows grouped by region (sealed and unsealed tables): the same statuses per enterprise.
    let order = plan.region_order(&raw);
    for mut t in [plan.columns_of(profiles), raw] {
        assert!(t.permute(&order), "a permutation");
        let by_region = plan.statuses(&t);
        for (row, &from) in order.iter().enumerate() {
            assert_eq!(by_region[row], got[from as usize], "region-ordered row {row} (profile {from}) at {as_of}");
        }
    }
    let slugs: Vec<&str> = plan.slugs().collect();
    let single = plan.single();
    // 32-bit child slots (the path of plans with more than 65,536 slots) give the same.
    let wide = plan.single().wide();
    let mut counts = [0; 4];
    for (i, p) in profiles.iter().enumerate() {
        let want = snap.statuses(p, as_of);
        assert_eq!(single.statuses(p), got[i], "single-enterprise path, profile {i} at {as_of}");
        assert_eq!(wide.statuses(p), got[i], "single-enterprise path, wide slots, profile {i} at {as_of}");
        let want_slugs: Vec<&str> = want.iter().map(|(s, _)| *s).collect();
        assert_eq!(want_slugs, slugs, "same policies in the same order");
        for (j, (slug, st)) in want.iter().enumerate() {
            assert_eq!(
                got[i][j], *st,
                "profile {i} policy {slug} at {as_of}: columnar {:?}, row {st:?}; profile {p:?}",
                got[i][j]
            );
            counts[match st {
                Status::Eligible => 0,
                Status::Possible => 1,
                Status::NearMiss => 2,
                Status::Ineligible => 3,
            }] += 1;
        }
    }
    counts
}

#[test]
fn real_corpus_generated_profiles_every_date() {
    let snap = real();
    let schema = snap.schema().expect("schema");
    // More than two blocks, so block boundaries and a short last block are covered.
    let profiles = synth::profiles(schema, 42, 0..2600);
    let mut total = [0; 4];
    for d in DATES {
        let c = compare(snap, &profiles, d.parse().expect("date"));
        for k in 0..4 {
            total[k] += c[k];
        }
    }
    assert!(total.iter().all(|&c| c > 0), "every status occurs: {total:?}");
}

#[test]
fn real_corpus_agrees_with_match_profile() {
    let snap = real();
    let schema = snap.schema().expect("schema");
    let profiles = synth::profiles(schema, 7, 0..300);
    let as_of: Date = "2025-06-01".parse().expect("date");
    let plan = Plan::new(snap, as_of);
    let got = plan.statuses(&plan.columns_of(&profiles));
    let slugs: Vec<&str> = plan.slugs().collect();
    for (i, p) in profiles.iter().enumerate() {
        for r in snap.match_profile(p, as_of).results {
            let j = slugs.iter().position(|s| *s == r.policy).expect("policy in plan");
            assert_eq!(got[i][j], r.status, "{} for profile {i}", r.policy);
        }
    }
}

#[test]
fn synthetic_corpus_loads_clean_and_agrees() {
    let snap = synthetic(200, 1);
    let schema = snap.schema().expect("schema");
    let profiles = synth::profiles(schema, 3, 0..1500);
    let plan = Plan::new(&snap, "2025-06-01".parse().expect("date"));
    assert_eq!(plan.policy_count(), 200, "the n policies in force, the extra ones filtered out");
    let mut total = [0; 4];
    for d in DATES {
        let c = compare(&snap, &profiles, d.parse().expect("date"));
        for k in 0..4 {
            total[k] += c[k];
        }
    }
    assert!(total.iter().all(|&c| c > 0), "every status occurs: {total:?}");
}

/// Groups wider than the byte counters of the block evaluator (254 children): `AtLeast(k)` over
/// 300 thresholds counts in 32 bits there, and agrees with the row path for k around the
/// number of children (and beyond it), on profiles with unknown facts.
#[test]
fn wide_at_least_groups_agree() {
    let schema = real().schema().expect("schema");
    let mut files = schema_files();
    let base = synth::corpus(schema, 1, 9);
    let md = base.iter().find(|f| f.path.ends_with(".md")).expect("a policy").text.clone();
    for k in [2usize, 150, 255, 299, 300, 301] {
        let slug = format!("wide-{k}");
        let checks: Vec<String> = (0..300)
            .map(|i| match i % 3 {
                0 => format!("Check(\"employees >= {}\")", i / 3),
                1 => format!("Check(\"revenue <= {}\")", i * 40),
                _ => format!("Check(\"insured_employees >= {}\")", i / 4),
            })
            .collect();
        let rule = format!(
            "Rule(\n    policy: \"{slug}\",\n    params: {{}},\n    eligibility: All([AtLeast({k}, [{}])]),\n    benefit: Benefit(amount: \"none\", text: \"金额以通知为准\"),\n)\n",
            checks.join(", ")
        );
        let slug_line = md.lines().find(|l| l.starts_with("slug = ")).expect("slug line");
        let region_free: String = md
            .replace(slug_line, &format!("slug = \"{slug}\""))
            .lines()
            .filter(|l| !l.starts_with("region = ") && !l.starts_with("level = ") && !l.starts_with("effective_to = "))
            .map(|l| format!("{l}\n"))
            .collect();
        let with_level = region_free.replacen("+++\n", "+++\nlevel = \"national\"\n", 1);
        files.push(SourceFile { path: format!("policies/{slug}.md"), text: with_level });
        files.push(SourceFile { path: format!("rules/{slug}.ron"), text: rule });
    }
    let loaded = zhengce_engine::load(files);
    let errors: Vec<String> = loaded.diagnostics.iter().map(|d| d.to_string()).collect();
    assert!(errors.is_empty(), "wide corpus has diagnostics: {errors:#?}");
    let profiles = synth::profiles(schema, 21, 0..1100);
    let counts = compare(&loaded.snapshot, &profiles, "2025-06-01".parse().expect("date"));
    assert!(counts[0] > 0 && counts[3] > 0, "eligible and ineligible both occur: {counts:?}");
}

/// Values at the thresholds' edges: every numeric constant of a synthetic corpus's checks
/// (`field op number`), exactly, just around it, at the near-miss margins and negated, so that
/// the single path's binary searches over thresholds sorted by constant meet ties and its
/// near-miss checks meet their limits.
#[test]
fn threshold_edges_agree() {
    let schema = real().schema().expect("schema");
    for seed in [2u64, 5] {
        let mut edges: Vec<(String, f64)> = Vec::new();
        for f in synth::corpus(schema, 150, seed).iter().filter(|f| f.path.starts_with("rules/")) {
            for part in f.text.split("Check(\"").skip(1) {
                let check = part.split('"').next().unwrap_or("");
                let words: Vec<&str> = check.split_whitespace().collect();
                if let [name, op, num] = words[..]
                    && [">=", ">", "<=", "<"].contains(&op)
                    && let Ok(v) = num.parse::<f64>()
                {
                    edges.push((name.to_string(), v));
                }
            }
        }
        assert!(edges.len() > 100, "constants found: {}", edges.len());
        let factors = [1.0, 0.95, 1.05, 0.8, 1.2, 0.9, 1.1, -1.0, 0.999, 1.001];
        let profiles: Vec<Profile> = (0..600u64)
            .map(|i| {
                let mut p = synth::profile(schema, 77, i);
                for k in 0..8u64 {
                    let (name, v) = &edges[((i * 7 + k * 13) % edges.len() as u64) as usize];
                    let f = factors[((i + k) % factors.len() as u64) as usize];
                    p.insert(name.clone(), FactValue::Num(v * f));
                }
                p
            })
            .collect();
        let snap = synthetic(150, seed);
        let mut total = [0; 4];
        for d in ["2025-06-01", "2025-07-01"] {
            let c = compare(&snap, &profiles, d.parse().expect("date"));
            for k in 0..4 {
                total[k] += c[k];
            }
        }
        assert!(total.iter().all(|&c| c > 0), "every status occurs: {total:?}");
    }
}

#[test]
fn permute_rejects_what_is_not_a_permutation() {
    let snap = real();
    let plan = Plan::new(snap, "2025-06-01".parse().expect("date"));
    let profiles = synth::profiles(snap.schema().expect("schema"), 5, 0..3);
    let mut t = plan.columns_of(&profiles);
    assert!(!t.permute(&[0, 1]), "too short");
    assert!(!t.permute(&[0, 1, 1]), "a repeat");
    assert!(!t.permute(&[0, 1, 3]), "out of range");
    assert!(t.permute(&[2, 0, 1]));
}

#[test]
fn empty_and_single_row_tables() {
    let snap = real();
    let as_of: Date = "2025-06-01".parse().expect("date");
    let plan = Plan::new(snap, as_of);
    assert!(plan.statuses(&plan.columns()).is_empty());
    let empty = Profile::new();
    compare(snap, &[empty], as_of);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_synthetic_corpora_agree(seed in any::<u64>(), pseed in any::<u64>(), d in 0..DATES.len(), n in 1usize..40) {
        let snap = synthetic(n, seed);
        let schema = snap.schema().expect("schema");
        let profiles = synth::profiles(schema, pseed, 0..150);
        compare(&snap, &profiles, DATES[d].parse().expect("date"));
    }
}

#[test]
fn batch_chunk_equals_row_batch() {
    let snap = real();
    let schema = snap.schema().expect("schema");
    let mut lines: Vec<String> =
        synth::profiles(schema, 5, 0..1200).iter().map(|p| serde_json::to_string(p).expect("json")).collect();
    lines.insert(3, "{not json".to_string());
    lines.insert(10, r#"{"employees": -3}"#.to_string());
    let as_of: Date = "2025-06-01".parse().expect("date");
    let plan = Plan::new(snap, as_of);
    let got = zhengce_engine::match_chunk(snap, &plan, &lines, 1);
    let want = zhengce_engine::match_many(snap, &lines, 1, as_of);
    assert_eq!(got, want);
    // The JSONL writer gives the same bytes as serialising each line, and counts the bad ones.
    let (bytes, errors) = zhengce_engine::match_chunk_jsonl(snap, &plan, &lines, 1);
    let mut expected = Vec::new();
    for l in &want {
        serde_json::to_writer(&mut expected, l).expect("json");
        expected.push(b'\n');
    }
    assert_eq!(String::from_utf8(bytes).expect("utf-8"), String::from_utf8(expected).expect("utf-8"));
    let bad = want.iter().filter(|l| matches!(l, zhengce_engine::BatchLine::Error { .. })).count();
    assert!(bad >= 2);
    assert_eq!(errors, bad);
}
