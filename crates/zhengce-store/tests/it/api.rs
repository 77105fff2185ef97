//! The store API: durability check, migrations, profile versions, audit log, match results.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use sqlx::Connection as _;
use zhengce_model::policy::{Dimension, Level};
use zhengce_model::verdict::{Benefit, MatchReport, PolicyResult, Status};
use zhengce_store::profiles::{EnterpriseFilter, PutOutcome};
use zhengce_store::{Change, Store, StoreError};

use crate::common::{code, dbs};

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("object")
}

#[tokio::test]
async fn refuses_a_store_that_cannot_be_durable() {
    for url in ["sqlite::memory:", "sqlite://:memory:"] {
        match Store::open(url).await {
            Err(StoreError::Durability(msg)) => assert!(msg.contains("journal_mode"), "{msg}"),
            other => panic!("{url}: expected a durability refusal, got {other:?}"),
        }
    }
    assert!(matches!(Store::open("mysql://x/y").await, Err(StoreError::BadUrl(_))));
    match Store::open("postgres://someone:secret@127.0.0.1:1/none").await {
        Err(e @ StoreError::Connect { .. }) => {
            assert!(e.is_user_error());
            assert!(!e.to_string().contains("secret"), "{e}");
        }
        other => panic!("expected a connection error, got {other:?}"),
    }
}

#[tokio::test]
async fn reopening_runs_migrations_once() {
    for db in dbs().await {
        let store = db.open().await;
        let c = Change { by: "t", at_ms: 1, source: "test" };
        store.put_profile(&code("MA000001"), &obj(json!({"credit_code": code("MA000001")})), &c).await.expect("put");
        store.close().await;
        let store = db.open().await;
        assert_eq!(store.count_enterprises().await.expect("count"), 1, "{}", db.backend);
        store.close().await;
    }
}

#[tokio::test]
async fn every_change_is_a_new_version() {
    for db in dbs().await {
        let store = db.open().await;
        let cc = code("MA000002");
        let v1 = obj(json!({"credit_code": cc, "name": "汶上县测试服饰有限公司", "town": "南站镇", "employees": 45}));
        let alice = Change { by: "alice", at_ms: 1_000, source: "api" };
        let bob = Change { by: "bob", at_ms: 2_000, source: "import:a.csv" };
        assert_eq!(store.put_profile(&cc, &v1, &alice).await.expect("put"), PutOutcome::Created);
        // Same facts (even as 45.0 and in another key order): nothing new.
        let same = obj(json!({"employees": 45.0, "town": "南站镇", "name": "汶上县测试服饰有限公司", "credit_code": cc}));
        assert_eq!(store.put_profile(&cc, &same, &bob).await.expect("put"), PutOutcome::Unchanged { version: 1 });
        let mut v2 = v1.clone();
        v2.insert("employees".into(), json!(52));
        v2.insert("revenue".into(), json!(1234.5));
        v2.remove("town");
        assert_eq!(store.put_profile(&cc, &v2, &bob).await.expect("put"), PutOutcome::Updated { version: 2 });

        let history = store.profile_history(&cc).await.expect("history");
        assert_eq!(history.len(), 2, "{}", db.backend);
        assert_eq!((history[0].changed_by.as_str(), history[0].changed_at, history[0].source.as_str()), ("alice", 1_000, "api"));
        assert_eq!(history[1].changed_fields, ["employees", "revenue", "town"]);
        assert_eq!((history[1].changed_by.as_str(), history[1].source.as_str()), ("bob", "import:a.csv"));
        assert_ne!(history[0].content_hash, history[1].content_hash);

        let e = store.enterprise(&cc).await.expect("get").expect("exists");
        assert_eq!((e.version, e.created_at, e.updated_at), (2, 1_000, 2_000));
        assert_eq!(e.profile.get("revenue"), Some(&json!(1234.5)));
        assert!(store.enterprise(&code("MA999999")).await.expect("get").is_none());

        let by_town = EnterpriseFilter { town: Some("南站镇".into()), ..EnterpriseFilter::default() };
        assert!(store.list_enterprises(&by_town, 10, 0).await.expect("list").is_empty(), "town dropped in v2");
        let all = store.list_enterprises(&EnterpriseFilter::default(), 10, 0).await.expect("list");
        assert_eq!(all.len(), 1);
        let wrong = store.put_profile(&code("MA000003"), &v1, &bob).await;
        assert!(matches!(wrong, Err(StoreError::BadFile(_))), "credit code must match the key");
        store.close().await;
    }
}

#[tokio::test]
async fn audit_log_is_gapless_and_append_only() {
    for db in dbs().await {
        let store = db.open().await;
        for i in 1..=3 {
            let seq = store.append_audit(i * 10, "officer-1", "visit", "91370830", &json!({"n": i})).await.expect("append");
            assert_eq!(seq, i);
        }
        let log = store.audit_log(1, 10).await.expect("read");
        assert_eq!(log.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(log[1].detail, json!({"n": 3}));
        // Even raw SQL cannot rewrite history.
        let (url, _) = zhengce_store::normalize_url(&db.url).expect("url");
        let mut conn = sqlx::AnyConnection::connect(&url).await.expect("connect");
        let upd = sqlx::query("UPDATE audit_log SET actor = 'mallory'").execute(&mut conn).await;
        assert!(upd.is_err(), "{}: update must fail", db.backend);
        let del = sqlx::query("DELETE FROM audit_log").execute(&mut conn).await;
        assert!(del.is_err(), "{}: delete must fail", db.backend);
        conn.close().await.expect("close");
        assert_eq!(store.audit_log(0, 10).await.expect("read").len(), 3);
        store.close().await;
    }
}

fn result(policy: &str, status: Status, amount: Option<f64>) -> PolicyResult {
    PolicyResult {
        policy: policy.into(),
        title: "失业保险稳岗返还".into(),
        level: Level::National,
        dimensions: vec![Dimension::Employment],
        department: "人力资源和社会保障局".into(),
        status,
        benefit: amount.map(|a| Benefit { amount_wan: a, text: format!("约{a}万元") }),
        reasons: vec![],
        missing: vec![],
        region_missing: vec![],
        gaps: vec![],
        deadline: None,
        application: Default::default(),
        marking: zhengce_model::policy::Marking::Official,
        confidence: zhengce_model::policy::Confidence::V,
        notes: vec![],
        implements: None,
    }
}

#[tokio::test]
async fn match_results_by_enterprise_policy_and_corpus_version() {
    for db in dbs().await {
        let store = db.open().await;
        let (a, b) = (code("MA000010"), code("MA000011"));
        let c = Change { by: "t", at_ms: 1, source: "test" };
        for cc in [&a, &b] {
            store.put_profile(cc, &obj(json!({"credit_code": cc})), &c).await.expect("put");
        }
        let report = |version: &str, results: Vec<PolicyResult>| MatchReport {
            as_of: "2025-06-01".parse().expect("date"),
            rules_version: version.into(),
            derived: BTreeMap::from([("size_class".to_string(), json!("small"))]),
            results,
            questions: vec![],
            region_questions: vec![],
        };
        let r1 = report("v1", vec![result("p-refund", Status::Eligible, Some(4.8)), result("p-loan", Status::Possible, None)]);
        let r2 = report("v1", vec![result("p-refund", Status::NearMiss, None)]);
        store.save_match_reports(&[(&a, &r1), (&b, &r2)], 100).await.expect("save");
        let run = store.match_run(&a, "v1").await.expect("read").expect("exists");
        assert_eq!((run.profile_version, run.as_of.as_str(), run.computed_at), (1, "2025-06-01", 100));
        assert_eq!(run.derived, json!({"size_class": "small"}));
        assert_eq!(
            run.results.iter().map(|r| (r.policy.as_str(), r.status, r.amount_wan)).collect::<Vec<_>>(),
            [("p-refund", Status::Eligible, Some(4.8)), ("p-loan", Status::Possible, None)]
        );
        assert_eq!(run.results[0].result["benefit"]["amount_wan"], json!(4.8));

        let seekers = store.matches_for_policy("p-refund", "v1", &[Status::Eligible, Status::NearMiss]).await.expect("by policy");
        assert_eq!(seekers.iter().map(|m| m.credit_code.as_str()).collect::<Vec<_>>(), [a.as_str(), b.as_str()]);
        // A new run for the same corpus replaces the old one; another corpus version is kept apart.
        store.save_match_report(&a, &report("v1", vec![result("p-loan", Status::Ineligible, None)]), 200).await.expect("save");
        store
            .save_match_report(&a, &report("v2", vec![result("p-refund", Status::Eligible, Some(5.0))]), 300)
            .await
            .expect("save");
        let v1 = store.match_run(&a, "v1").await.expect("read").expect("exists");
        assert_eq!(v1.results.len(), 1);
        assert_eq!(v1.results[0].status, Status::Ineligible);
        assert_eq!(store.matches_for_policy("p-refund", "v1", &[]).await.expect("q").len(), 1);
        assert_eq!(store.matches_for_policy("p-refund", "v2", &[]).await.expect("q").len(), 1);
        let unknown = store.save_match_report(&code("MA000099"), &r1, 1).await;
        assert!(matches!(unknown, Err(StoreError::UnknownEnterprise(_))));
        store.close().await;
    }
}
