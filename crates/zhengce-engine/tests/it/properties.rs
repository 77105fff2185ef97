//! Property tests of the engine's laws over the real corpus and generated profiles.
//!
//! 1. Adding a fact never changes an `eligible` verdict.
//! 2. A verdict that is `ineligible` stays `ineligible` whatever unknown facts are filled in.
//! 3. `possible` lists exactly the unknown facts that matter: filling every listed fact settles the
//!    verdict (it is no longer `possible`), and filling any unlisted fact changes nothing.
//! 4. Evaluation is deterministic.
//! 5. `questions` holds exactly the union of the results' `missing`, each once, never a region
//!    fact; a gate always ranks before the questions that depend on it.
//!
//! "Filling an unlisted fact changes nothing" leaves out facts that wait: a fact whose gate is
//! listed (asked once the gate is answered), and every fact of a result that waits on an
//! unconfirmed region fact (asked once officers confirm it). Region facts are never in profiles.
//!
//! Fields read through `coalesce` fallbacks (the 3-year R&D figures, which replace the 1-year ones
//! once known) are excluded from "adding a fact": they refine a value rather than fill an unknown.

use crate::common;

use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use zhengce_engine::Snapshot;
use zhengce_model::Date;
use zhengce_model::schema::FieldType;
use zhengce_model::verdict::Status;

const REFINING: [&str; 2] = ["rd_expense_3y", "revenue_3y"];
const DATES: [&str; 3] = ["2025-06-01", "2025-11-30", "2026-06-01"];

fn snapshot() -> &'static Snapshot {
    static S: OnceLock<Snapshot> = OnceLock::new();
    S.get_or_init(|| common::corpus().snapshot)
}

/// Candidate values per field: thresholds that rules use, and a little on either side.
fn pool(ty: &FieldType) -> Vec<Value> {
    match ty {
        FieldType::Count => {
            [0, 1, 5, 10, 19, 20, 29, 30, 31, 45, 99, 100, 101, 299, 300, 301, 500, 1000, 1500].map(|n| json!(n)).to_vec()
        }
        FieldType::Money => [
            0.0, 1.2, 8.0, 50.0, 99.0, 100.0, 280.0, 300.0, 320.0, 1000.0, 2000.0, 3000.0, 4800.0, 5000.0, 12000.0, 20000.0,
            40000.0, 52000.0,
        ]
        .map(|n| json!(n))
        .to_vec(),
        FieldType::SignedMoney => [-50.0, 0.0, 80.0, 299.0, 300.0, 320.0, 2000.0].map(|n| json!(n)).to_vec(),
        FieldType::Ratio | FieldType::Number => [0.0, 0.02, 0.03, 0.05, 0.1, 0.5, 0.6, 0.7, 1.0].map(|n| json!(n)).to_vec(),
        FieldType::Integer { min, max } => (*min..=*max).map(|n| json!(n)).collect(),
        FieldType::Bool => vec![json!(true), json!(false)],
        FieldType::Enum(vs) => vs.iter().map(|(v, _)| json!(v)).collect(),
        FieldType::Date => ["2010-03-01", "2024-06-01", "2025-05-15"].map(|d| json!(d)).to_vec(),
        FieldType::Region => ["370830", "370800", "320583"].map(|d| json!(d)).to_vec(),
        FieldType::IndustryCode => ["1811", "1713", "1762", "51", "6510", "2929"].map(|d| json!(d)).to_vec(),
        FieldType::CreditCode => vec![json!("91350100M000100Y43")],
        FieldType::Text => vec![json!("汶上县示例服饰有限公司")],
    }
}

/// A profile strategy: each field known with probability ~1/2, with a value from its pool.
fn profiles() -> impl Strategy<Value = (Map<String, Value>, Vec<(String, Value)>, usize)> {
    let fields = &snapshot().schema().expect("schema").fields;
    let per_field: Vec<_> = fields
        .iter()
        .filter(|f| !f.region_fact)
        .map(|f| {
            let values = pool(&f.ty);
            let name = f.name.clone();
            (any::<bool>(), 0..values.len()).prop_map(move |(known, i)| (name.clone(), known, values[i].clone()))
        })
        .collect();
    (per_field, 0..DATES.len()).prop_map(|(chosen, d)| {
        let mut known = Map::new();
        let mut unknown = Vec::new();
        for (name, is_known, v) in chosen {
            if is_known {
                known.insert(name, v);
            } else {
                unknown.push((name, v));
            }
        }
        (known, unknown, d)
    })
}

/// Per result: slug, status, missing fields, whether it waits on region facts.
type Verdicts = Vec<(String, Status, Vec<String>, bool)>;

fn statuses(p: &Map<String, Value>, as_of: Date) -> Verdicts {
    let s = snapshot();
    let profile = s.parse_profile_json(&Value::Object(p.clone())).expect("generated profiles are valid");
    s.match_profile(&profile, as_of)
        .results
        .into_iter()
        .map(|r| (r.policy, r.status, r.missing.into_iter().map(|m| m.field).collect(), !r.region_missing.is_empty()))
        .collect()
}

fn status_of(all: &Verdicts, slug: &str) -> Status {
    all.iter().find(|(s, _, _, _)| s == slug).map(|x| x.1).expect("same policies in force")
}

/// The gate of a field (schema `after`), if any.
fn gate(field: &str) -> Option<String> {
    snapshot().schema().and_then(|s| s.field(field)).and_then(|f| f.after.clone())
}

fn one(p: &Map<String, Value>, slug: &str, as_of: Date) -> (Status, Vec<String>) {
    let s = snapshot();
    let profile = s.parse_profile_json(&Value::Object(p.clone())).expect("generated profiles are valid");
    let r = s.match_policy(slug, &profile, as_of).expect("policy has a rule");
    (r.status, r.missing.into_iter().map(|m| m.field).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn adding_facts_keeps_eligible_and_ineligible((known, unknown, d) in profiles(), pick in any::<prop::sample::Index>()) {
        let as_of: Date = DATES[d].parse().unwrap();
        let before = statuses(&known, as_of);
        let fillable: Vec<&(String, Value)> = unknown.iter().filter(|(n, _)| !REFINING.contains(&n.as_str())).collect();
        prop_assume!(!fillable.is_empty());
        let (name, value) = fillable[pick.index(fillable.len())];
        let mut more = known.clone();
        more.insert(name.clone(), value.clone());
        let after = statuses(&more, as_of);
        for (slug, st, _, _) in &before {
            let now = status_of(&after, slug);
            if *st == Status::Eligible {
                prop_assert_eq!(now, Status::Eligible, "{} lost eligibility after adding {}={}", slug, name, value);
            }
            if *st == Status::Ineligible {
                prop_assert_eq!(now, Status::Ineligible, "{} left ineligible after adding {}={}", slug, name, value);
            }
        }
    }

    #[test]
    fn possible_lists_exactly_the_facts_that_matter((known, unknown, d) in profiles(), sample in any::<u64>()) {
        let as_of: Date = DATES[d].parse().unwrap();
        let before = statuses(&known, as_of);
        for (slug, st, missing, waits_on_region) in &before {
            if *st != Status::Possible {
                continue;
            }
            prop_assert!(!missing.is_empty() || *waits_on_region, "{} is possible with nothing to ask", slug);
            let facts: Vec<&String> = missing.iter().filter(|m| m.as_str() != "policy_parameters").collect();
            // Filling every listed fact settles the verdict, or reveals new questions only.
            let mut filled = known.clone();
            for m in &facts {
                let v = unknown.iter().find(|(n, _)| n == *m).map(|(_, v)| v.clone());
                prop_assert!(v.is_some(), "{} lists {} which is known or not a field", slug, m);
                filled.insert((*m).clone(), v.unwrap());
            }
            let (settled, again) = one(&filled, slug, as_of);
            prop_assert!(settled != Status::Possible || again.iter().all(|m| !facts.contains(&m) || m == "policy_parameters"),
                "{} still possible with the same questions {:?}", slug, again);
            // Filling an unlisted fact changes nothing (a deterministic sample of them, to bound the run).
            if *waits_on_region {
                continue;
            }
            let waits_for_gate = |n: &str| gate(n).is_some_and(|g| missing.contains(&g));
            let unlisted: Vec<&(String, Value)> = unknown
                .iter()
                .filter(|(n, _)| !missing.contains(n) && !REFINING.contains(&n.as_str()) && !waits_for_gate(n))
                .collect();
            for k in 0..unlisted.len().min(4) {
                let (n, v) = unlisted[(sample as usize).wrapping_add(k * 7919) % unlisted.len()];
                let mut with = known.clone();
                with.insert(n.clone(), v.clone());
                prop_assert_eq!(one(&with, slug, as_of).0, Status::Possible, "{} changed after filling unlisted {}={}", slug, n, v);
            }
        }
    }

    #[test]
    fn status_only_matching_agrees_with_full_matching((known, _unknown, d) in profiles()) {
        let as_of: Date = DATES[d].parse().unwrap();
        let s = snapshot();
        let profile = s.parse_profile_json(&Value::Object(known)).unwrap();
        let mut full: Vec<(String, Status)> = s.match_profile(&profile, as_of).results.into_iter().map(|r| (r.policy, r.status)).collect();
        full.sort();
        let fast: Vec<(String, Status)> = s.statuses(&profile, as_of).into_iter().map(|(p, st)| (p.to_string(), st)).collect();
        prop_assert_eq!(full, fast);
    }

    #[test]
    fn questions_are_the_union_of_missing_once_gates_first_never_a_region_fact((known, _unknown, d) in profiles()) {
        let as_of: Date = DATES[d].parse().unwrap();
        let s = snapshot();
        let schema = s.schema().unwrap();
        let profile = s.parse_profile_json(&Value::Object(known)).unwrap();
        let report = s.match_profile(&profile, as_of);
        let mut union: Vec<&str> = report.results.iter().flat_map(|r| r.missing.iter().map(|m| m.field.as_str())).collect();
        union.sort_unstable();
        union.dedup();
        let mut asked: Vec<&str> = report.questions.iter().map(|q| q.field.as_str()).collect();
        asked.sort_unstable();
        prop_assert_eq!(&asked, &union, "questions are the union of missing, each once");
        for (i, q) in report.questions.iter().enumerate() {
            prop_assert!(!schema.field(&q.field).is_some_and(|f| f.region_fact), "region fact {} asked", q.field);
            let policies: Vec<&str> = report.results.iter().filter(|r| r.missing.iter().any(|m| m.field == q.field)).map(|r| r.policy.as_str()).collect();
            prop_assert_eq!(q.policies.iter().map(String::as_str).collect::<Vec<_>>(), policies, "{} names the policies that ask it", &q.field);
            if let Some(g) = gate(&q.field)
                && let Some(at) = report.questions.iter().position(|x| x.field == g)
            {
                prop_assert!(at < i, "gate {} ranks after {}", g, q.field);
                prop_assert_eq!(q.after.as_deref(), Some(g.as_str()));
            }
        }
        for r in &report.results {
            for m in &r.region_missing {
                prop_assert!(schema.field(&m.field).is_some_and(|f| f.region_fact));
                prop_assert!(report.region_questions.iter().any(|q| q.field == m.field && q.policies.contains(&r.policy)));
            }
        }
    }

    #[test]
    fn matching_is_deterministic((known, _unknown, d) in profiles()) {
        let as_of: Date = DATES[d].parse().unwrap();
        let s = snapshot();
        let profile = s.parse_profile_json(&Value::Object(known)).unwrap();
        let a = serde_json::to_string(&s.match_profile(&profile, as_of)).unwrap();
        let b = serde_json::to_string(&s.match_profile(&profile, as_of)).unwrap();
        prop_assert_eq!(a, b);
    }
}
