//! The demo county: validity against the real schema, realism, seeding an empty store.

use std::collections::{HashMap, HashSet};

use serde_json::Value;
use zhengce_roster::columns::roster_fields;
use zhengce_roster::demo::{SEED_ENTERPRISES, SEED_SEED, enterprise, open_seeded, seed_if_empty};

use crate::common::{dbs, schema};

#[test]
fn every_demo_enterprise_passes_the_schema_and_looks_like_wenshang() {
    let schema = schema();
    let n = 5_000;
    let (mut codes, mut towns, mut sizes) = (HashSet::new(), HashMap::new(), [0usize; 4]);
    let (mut known, mut possible) = (0usize, 0usize);
    let columns = roster_fields(schema).count();
    let (mut textile, mut large_rev, mut micro_rev) = (0usize, Vec::new(), Vec::new());
    for i in 0..n {
        let e = enterprise(3, i);
        if let Err(issues) = zhengce_roster::validate(schema, &e) {
            panic!("demo enterprise {i} invalid: {issues:?}\n{e:?}");
        }
        assert!(codes.insert(e["credit_code"].as_str().expect("code").to_string()), "duplicate code");
        assert_eq!(e["region"], "370830");
        assert!(e["name"].as_str().expect("name").ends_with("（演示）"));
        *towns.entry(e["town"].as_str().expect("town").to_string()).or_insert(0) += 1;
        let ind = e["industry_code"].as_str().expect("industry");
        if ind.starts_with("17") || ind.starts_with("18") {
            textile += 1;
        }
        let num = |k: &str| e.get(k).and_then(Value::as_f64);
        if let (Some(emp), Some(ins)) = (num("employees"), num("insured_employees")) {
            assert!(ins <= emp, "insured {ins} > employees {emp}");
            let class = match emp as i64 {
                0..20 => 0,
                20..300 => 1,
                300..1000 => 2,
                _ => 3,
            };
            sizes[class] += 1;
            if let Some(rev) = num("revenue") {
                if class == 3 {
                    large_rev.push(rev)
                } else if class == 0 {
                    micro_rev.push(rev)
                }
            }
        }
        known += e.len();
        possible += columns;
    }
    assert_eq!(towns.len(), 15, "{towns:?}");
    assert!(textile * 100 / n as usize >= 75, "mostly textile and garment: {textile}");
    let total: usize = sizes.iter().sum();
    assert!(sizes[0] * 100 / total >= 40 && sizes[1] * 100 / total >= 30, "many micro and small: {sizes:?}");
    assert!(sizes[3] > 0 && sizes[3] * 100 / total <= 4, "a few large: {sizes:?}");
    let avg = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    assert!(avg(&large_rev) > 50.0 * avg(&micro_rev), "revenue grows with size");
    let share = known as f64 / possible as f64;
    assert!((0.45..0.85).contains(&share), "a realistic share of unknown facts: {share:.2} known");
}

#[tokio::test]
async fn serve_seeds_an_empty_store_once() {
    let schema = schema();
    for db in dbs().await {
        let (store, n) = open_seeded(&db.url, schema, 1).await.expect("open and seed");
        assert_eq!(n, SEED_ENTERPRISES as usize);
        assert_eq!(store.count_enterprises().await.expect("count"), 800, "{}", db.backend);
        store.close().await;
        let (store, n) = open_seeded(&db.url, schema, 2).await.expect("reopen");
        assert_eq!(n, 0, "a store with enterprises is never seeded again");
        assert_eq!(seed_if_empty(&store, schema, 10, SEED_SEED, 2_000).await.expect("seed"), 0);
        let audit = store.audit_log(0, 10).await.expect("audit");
        assert_eq!(audit.iter().filter(|a| a.action == "seed_demo").count(), 1);
        store.close().await;
    }
}

/// The demo season of requests: deterministic, written once, marked as demo, every step accepted
/// by the state machine, and the figures it gives are not empty.
#[tokio::test]
async fn a_demo_season_of_requests_fills_the_figures() {
    use zhengce_model::request::{State, figures};
    use zhengce_roster::demo::season::{SEASON_SEED, request, seed_if_none};
    let end: zhengce_model::Date = "2026-06-01".parse().unwrap();
    let policies = vec![("cn-ui-job-retention-refund-2025".to_string(), vec![zhengce_model::policy::Dimension::Employment])];
    let all = |_: &str| true;
    assert_eq!(request(SEASON_SEED, 5, end, &policies, &all), request(SEASON_SEED, 5, end, &policies, &all));
    assert_ne!(request(SEASON_SEED, 5, end, &policies, &all), request(SEASON_SEED, 6, end, &policies, &all));
    for db in dbs().await {
        let (store, _) = open_seeded(&db.url, schema(), 1).await.expect("seeded");
        let n = seed_if_none(&store, &policies, end).await.expect("season");
        assert!(n >= 200, "{n}");
        assert_eq!(seed_if_none(&store, &policies, end).await.expect("again"), 0, "once only");
        let (rows, total) = store.requests(&Default::default(), 10_000, 0).await.expect("rows");
        assert_eq!(total as usize, n);
        assert!(rows.iter().all(|r| r.demo && r.text.ends_with("（演示）")));
        let f = figures(&rows.iter().map(|r| r.facts()).collect::<Vec<_>>());
        assert!(f.by_department.len() >= 4 && f.by_month.len() >= 5, "{f:?}");
        let count = |s: State| rows.iter().filter(|r| r.state == s).count();
        assert!(count(State::Rated) > 50 && count(State::InProgress) > 0 && count(State::Submitted) > 0);
        assert!(rows.iter().any(|r| r.reopened > 0), "some were reopened");
        assert!(rows.iter().any(|r| r.overdue(end)), "some are overdue");
        assert!(rows.iter().any(|r| r.policy.is_some()));
    }
}
