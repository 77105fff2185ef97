//! The push outbox: a key is queued once, claims are exclusive and fenced by their lease, outcomes
//! and dead letters, replay, uptake with and without an amount (literal NULL on PostgreSQL).

use serde_json::{Map, Value, json};
use zhengce_store::Change;
use zhengce_store::push::{Channel, NewNotification, Outcome};

use crate::common::{code, dbs};

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

fn note(cc: &str, policy: &str, key: &str, message: &str) -> NewNotification {
    NewNotification {
        key: key.into(),
        credit_code: cc.into(),
        policy: policy.into(),
        policy_version: "v1".into(),
        channel: "c".into(),
        kind: "newly_eligible".into(),
        message_id: message.into(),
        recipient: cc.into(),
        text: "【新符合】《测试》".into(),
        detail: json!({"title": "测试", "amount_wan": null}),
    }
}

#[tokio::test]
async fn outbox_keys_claims_outcomes_replay_and_uptake() {
    for db in dbs().await {
        let store = db.open().await;
        let cc = code("MA000091");
        store
            .put_profile(&cc, &obj(json!({"credit_code": cc, "town": "南站镇"})), &Change { by: "t", at_ms: 1, source: "api" })
            .await
            .expect("put");
        let ch = Channel {
            name: "c".into(),
            kind: "webhook".into(),
            target: "https://example.com/h".into(),
            secret: "s".into(),
            owner_kind: "all".into(),
            owner: "*".into(),
            per_minute: 0,
            allow_private: false,
            enabled: true,
        };
        store.put_push_channel(&ch, 1).await.expect("channel");

        let mut run = store.begin_push_run(10).await.expect("run");
        let queued = run.enqueue(&[note(&cc, "p1", "k1", "m1"), note(&cc, "p2", "k2", "m1")]).await.expect("enqueue");
        assert_eq!(queued.len(), 2);
        run.commit("2025-06-01", "corpus", &json!({}), 11).await.expect("commit");

        // The same keys in a later run (a re-run, or a run after a crash): nothing new, and the
        // run's empty message is dropped.
        let mut run = store.begin_push_run(20).await.expect("run");
        let again = run.enqueue(&[note(&cc, "p1", "k1", "m2")]).await.expect("enqueue");
        assert!(again.is_empty(), "{}", db.backend);
        run.commit("2025-06-01", "corpus", &json!({}), 21).await.expect("commit");
        assert_eq!(store.count_notifications().await.expect("count"), 2);
        assert_eq!(store.outbox_counts(0).await.expect("counts").pending, 1, "{}", db.backend);

        // A claim is exclusive while its lease runs; an expired lease can be claimed again, and
        // the first worker's late outcome is then ignored (fencing).
        let a = store.claim_messages("a", 100, 50, 10).await.expect("claim");
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].notifications.len(), 2);
        assert!(store.claim_messages("b", 120, 50, 10).await.expect("claim").is_empty());
        let b = store.claim_messages("b", 151, 50, 10).await.expect("claim");
        assert_eq!(b.len(), 1, "{}", db.backend);
        assert_eq!(store.record_outcomes("a", 160, &[("m1".into(), Outcome::Sent)]).await.expect("record"), 0);
        let retry = Outcome::Retry { next_at: 500, error: "HTTP 500".into() };
        assert_eq!(store.record_outcomes("b", 160, &[("m1".into(), retry)]).await.expect("record"), 1);
        assert!(store.claim_messages("a", 400, 50, 10).await.expect("claim").is_empty(), "not due before next_at");
        assert_eq!(store.next_claimable_at().await.expect("next"), Some(500));
        let c = store.claim_messages("a", 500, 50, 10).await.expect("claim");
        assert_eq!(c[0].attempts, 1);
        store.record_outcomes("a", 501, &[("m1".into(), Outcome::Dead { error: "HTTP 410".into() })]).await.expect("dead");
        let dead = store.messages("dead", 10).await.expect("dead");
        assert_eq!((dead.len(), dead[0].attempts, dead[0].notifications), (1, 2, 2));
        assert_eq!(store.replay_dead(&[], 600, "officer").await.expect("replay"), 1);
        let d = store.claim_messages("a", 600, 50, 10).await.expect("claim");
        store.record_outcomes("a", 601, &[(d[0].id.clone(), Outcome::Sent)]).await.expect("sent");
        let st = store.notifications_for_policy("p1", 10).await.expect("status");
        assert_eq!((st[0].state.as_str(), st[0].sent_at), ("sent", Some(601)));

        // Uptake: 已申报 without an amount, then 已兑现 with one (a NULL f64 is never bound).
        store.record_uptake(&cc, "p1", "applied", None, 700, "enterprise").await.expect("applied");
        store.record_uptake(&cc, "p2", "granted", Some(4.8), 701, "officer").await.expect("granted");
        store.record_uptake(&cc, "p1", "granted", Some(2.5), 702, "officer").await.expect("granted");
        let u = store.uptake(None).await.expect("uptake");
        assert_eq!(
            u.iter().map(|x| (x.policy.as_str(), x.state.as_str(), x.amount_wan)).collect::<Vec<_>>(),
            vec![("p1", "granted", Some(2.5)), ("p2", "granted", Some(4.8))],
            "{}",
            db.backend
        );
        assert!(store.record_uptake(&cc, "p1", "maybe", None, 1, "x").await.is_err());
        assert!(store.record_uptake(&code("MA000092"), "p1", "applied", None, 1, "x").await.is_err());
        assert_eq!(store.consistency_problems().await.expect("check"), Vec::<String>::new());
    }
}
