//! `zhengce batch`'s fast line parser (`LineParser`) against the reference path
//! (`Snapshot::parse_profile_json`): on the lines it accepts it gives the reference's values, and
//! whatever it refuses goes the reference way, so a whole batch — statuses, names and error
//! lines — equals the row-by-row `match_many`, also on lines mutated into every awkward shape
//! (nulls, unknown or derived keys, region facts, duplicate keys, escaped keys, other number
//! spellings, wrong types, trailing bytes, not an object).

use std::sync::OnceLock;

use proptest::prelude::*;
use zhengce_engine::columnar::Plan;
use zhengce_engine::{BatchLine, LineParser, Snapshot, synth};
use zhengce_model::Date;
use zhengce_model::fact::FactValue;

use crate::common;

fn real() -> &'static Snapshot {
    static S: OnceLock<Snapshot> = OnceLock::new();
    S.get_or_init(|| common::corpus().snapshot)
}

fn as_of() -> Date {
    "2025-06-01".parse().expect("date")
}

/// A profile as (key, value) JSON tokens, so a mutation can change one entry's spelling.
fn entries(seed: u64, i: u64) -> Vec<(String, String)> {
    let schema = real().schema().expect("schema");
    let p = synth::profiles(schema, seed, i..i + 1).pop().expect("one profile");
    let value = serde_json::to_value(&p).expect("json");
    value
        .as_object()
        .expect("object")
        .iter()
        // Region facts come from the corpus, never from a profile line.
        .filter(|(k, _)| schema.field(k).is_some_and(|f| !f.region_fact))
        .map(|(k, v)| (serde_json::to_string(k).expect("key"), v.to_string()))
        .collect()
}

fn line(entries: &[(String, String)]) -> String {
    let inner: Vec<String> = entries.iter().map(|(k, v)| format!("{k}:{v}")).collect();
    format!("{{{}}}", inner.join(","))
}

/// Applies mutation `m` to entry `k` (modulo the number of entries).
fn mutate(e: &mut Vec<(String, String)>, m: u8, k: usize) -> Option<String> {
    let schema = real().schema().expect("schema");
    let q = |s: &str| serde_json::to_string(s).expect("key");
    let n = e.len().max(1);
    let k = k % n;
    match m {
        0 => e.push((q("not_a_field"), "null".into())),
        1 => e.push((q("not_a_field"), "1".into())),
        2 if !e.is_empty() => e[k].1 = "null".into(),
        3 if !e.is_empty() => {
            // An invalid earlier duplicate, then the valid one: the last wins.
            let key = e[k].0.clone();
            e.insert(k, (key, "[1,2]".into()));
        }
        4 if !e.is_empty() => {
            let key = e[k].0.clone();
            e.push((key, "null".into()));
        }
        5 if !e.is_empty() => {
            // The same key with its first character as a \u escape.
            let key: String = serde_json::from_str(&e[k].0).expect("key");
            let mut chars = key.chars();
            let first = chars.next().map(|c| format!("\\u{:04x}", c as u32)).unwrap_or_default();
            e[k].0 = format!("\"{first}{}\"", chars.as_str());
        }
        6 => {
            if let Some(f) = schema.fields.iter().find(|f| f.region_fact) {
                e.push((q(&f.name), "true".into()));
            }
        }
        7 => {
            if let Some(d) = schema.derived.first() {
                e.push((q(&d.def.name), "1".into()));
            }
        }
        8 if !e.is_empty() => {
            // Another spelling of the same number.
            if let Ok(x) = e[k].1.parse::<f64>() {
                e[k].1 = format!("{x:e}");
            }
        }
        9 if !e.is_empty() => e[k].1 = "\"文本\"".into(),
        10 => return Some(format!(" {} x", line(e))),
        11 => return Some(format!("[{}]", line(e))),
        12 => e.push((q("credit_code"), "null".into())),
        13 => e.push((q("industry_code"), q("C1811"))),
        14 => return Some(format!("\t{} \r", line(e).replace(':', " : ").replace(',', " ,\n "))),
        15 => e.push((q("employees"), "-1".into())),
        16 => e.push((q("employees"), "12.0".into())),
        _ => {}
    }
    None
}

#[test]
fn parser_gives_the_reference_values_on_clean_lines() {
    let snap = real();
    let schema = snap.schema().expect("schema");
    let plan = Plan::new(snap, as_of());
    let parser = LineParser::new(schema, &plan);
    for i in 0..400 {
        let l = line(&entries(21, i));
        let (credit, values) = parser.parse(&l).expect("a clean line takes the fast path");
        let value: serde_json::Value = serde_json::from_str(&l).expect("json");
        let want = snap.parse_profile_json(&value).expect("valid");
        let want_credit = match want.get("credit_code") {
            Some(FactValue::Text(s)) => Some(s.clone()),
            _ => None,
        };
        assert_eq!(credit, want_credit, "line {l}");
        for (f, v) in schema.fields.iter().zip(&values) {
            if let Some(v) = v {
                assert_eq!(Some(v), want.get(&f.name), "field {} of {l}", f.name);
            }
        }
        let kept = values.iter().filter(|v| v.is_some()).count();
        assert!(kept > 0 && kept <= want.len());
    }
}

fn same_batch(lines: &[String]) {
    let snap = real();
    let plan = Plan::new(snap, as_of());
    let got = zhengce_engine::match_chunk(snap, &plan, lines, 1);
    let want = zhengce_engine::match_many(snap, lines, 1, as_of());
    assert_eq!(got, want);
    let (bytes, errors) = zhengce_engine::match_chunk_jsonl(snap, &plan, lines, 1);
    let mut expected = Vec::new();
    for l in &want {
        serde_json::to_writer(&mut expected, l).expect("json");
        expected.push(b'\n');
    }
    assert_eq!(String::from_utf8(bytes).expect("utf-8"), String::from_utf8(expected).expect("utf-8"));
    assert_eq!(errors, want.iter().filter(|l| matches!(l, BatchLine::Error { .. })).count());
}

#[test]
fn every_mutation_matches_the_row_batch() {
    let mut lines = Vec::new();
    for m in 0..=16u8 {
        for i in 0..6u64 {
            let mut e = entries(33, u64::from(m) * 10 + i);
            let l = mutate(&mut e, m, i as usize * 7).unwrap_or_else(|| line(&e));
            lines.push(l);
        }
    }
    lines.push(String::new());
    lines.push("{}".into());
    lines.push("null".into());
    same_batch(&lines);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    /// Random lines with random mutations, across part boundaries (more lines than one part).
    #[test]
    fn mutated_batches_match_the_row_batch(seed in any::<u64>(), muts in prop::collection::vec((0u8..20, any::<usize>()), 0..4), every in 1usize..50) {
        let mut lines = Vec::new();
        for i in 0..(zhengce_engine::BATCH_PART + 60) as u64 {
            let mut e = entries(seed, i);
            let mut out = None;
            if (i as usize).is_multiple_of(every) {
                for &(m, k) in &muts {
                    if out.is_none() {
                        out = mutate(&mut e, m, k);
                    }
                }
            }
            lines.push(out.unwrap_or_else(|| line(&e)));
        }
        same_batch(&lines);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Small random synthetic corpora (other leaf kinds, dates and parameters than the real
    /// corpus, region facts from their region): batches of clean lines equal the row batch.
    #[test]
    fn synthetic_corpora_match_the_row_batch(seed in any::<u64>(), pseed in any::<u64>(), n in 1usize..6) {
        let snap = crate::columnar::synthetic(n, seed);
        let schema = snap.schema().expect("schema");
        let lines: Vec<String> = synth::profiles(schema, pseed, 0..200)
            .into_iter()
            .map(|mut p| {
                p.retain(|k, _| schema.field(k).is_some_and(|f| !f.region_fact));
                serde_json::to_string(&p).expect("json")
            })
            .collect();
        let plan = Plan::new(&snap, as_of());
        prop_assert_eq!(
            zhengce_engine::match_chunk(&snap, &plan, &lines, 1),
            zhengce_engine::match_many(&snap, &lines, 1, as_of())
        );
    }
}
