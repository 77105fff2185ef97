//! Requests (诉求): recorded several at once, moved through the loop with events and audit
//! entries, refused transitions leave nothing behind, filters, and escalation of overdue requests
//! through the push outbox exactly once per due date (literal NULLs on PostgreSQL).

use serde_json::{Map, Value, json};
use zhengce_model::Date;
use zhengce_model::request::{Action, Actor, Category, Rating, Source, State};
use zhengce_store::push::Channel;
use zhengce_store::requests::{NewRequest, Recorded, RequestFilter, Step};
use zhengce_store::{Change, StoreError};

use crate::common::{code, dbs};

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

const DEPT: &str = "人力资源和社会保障局";

#[tokio::test]
async fn requests_move_through_the_loop_and_escalate_once() {
    for db in dbs().await {
        let store = db.open().await;
        let (a, b) = (code("MA000101"), code("MA000102"));
        for (cc, town) in [(&a, "南站镇"), (&b, "次丘镇")] {
            let p = obj(json!({"credit_code": cc, "name": format!("{town}企业"), "town": town, "chamber": "服装商会"}));
            store.put_profile(cc, &p, &Change { by: "t", at_ms: 1, source: "api" }).await.unwrap();
        }
        let new = |cc: &str, cat, text: &str| NewRequest {
            credit_code: cc.into(),
            category: cat,
            text: text.into(),
            policy: None,
            source: Source::Visit,
        };
        let ids = store
            .add_requests(
                &[new(&a, Category::Employment, "招不到缝纫工"), new(&a, Category::Finance, "贷款续贷难")],
                "officer:o1",
                d("2026-05-01"),
                10,
            )
            .await
            .unwrap();
        assert_eq!(ids, vec![1, 2], "{}", db.backend);
        // All or none: an unknown enterprise or an empty text writes nothing.
        let bad = store
            .add_requests(
                &[new(&b, Category::Tax, "留抵退税"), new(&code("MA000199"), Category::Tax, "x")],
                "o",
                d("2026-05-01"),
                11,
            )
            .await;
        assert!(matches!(bad, Err(StoreError::UnknownEnterprise(_))), "{bad:?}");
        let bad = store.add_requests(&[new(&b, Category::Tax, "  ")], "o", d("2026-05-01"), 11).await;
        assert!(matches!(bad, Err(StoreError::Refused(_))), "{bad:?}");
        assert_eq!(store.requests(&RequestFilter::default(), 100, 0).await.unwrap().1, 2);

        let dispatcher = Actor::Staff { dispatcher: true, department: None };
        let dept = Actor::Staff { dispatcher: false, department: Some(DEPT) };
        let dispatch = Action::Dispatch { department: DEPT.into(), due: d("2026-05-10") };
        // Wrong role and skipped steps are refused and change nothing.
        let refused = store.act_on_request(1, dept, "officer:d1", &dispatch, d("2026-05-02"), 20).await;
        assert!(matches!(refused, Err(StoreError::Refused(_))), "{refused:?}");
        let refused = store.act_on_request(1, dept, "officer:d1", &Action::Start, d("2026-05-02"), 20).await;
        assert!(matches!(refused, Err(StoreError::Refused(_))), "{refused:?}");
        assert_eq!(store.request_events(1).await.unwrap().len(), 1);

        let (row, _) = store.act_on_request(1, dispatcher, "officer:o1", &dispatch, d("2026-05-02"), 20).await.unwrap();
        assert_eq!(
            (row.state, row.department.as_deref(), row.dispatcher.as_deref()),
            (State::Dispatched, Some(DEPT), Some("officer:o1"))
        );
        store.act_on_request(2, dispatcher, "officer:o1", &dispatch, d("2026-05-02"), 21).await.unwrap();
        store.act_on_request(1, dept, "officer:d1", &Action::Start, d("2026-05-03"), 30).await.unwrap();
        let handle = Action::Handle { note: "推荐了三名缝纫工".into(), amount_fen: None };
        store.act_on_request(1, dept, "officer:d1", &handle, d("2026-05-04"), 40).await.unwrap();
        let rate = Action::Rate { rating: Rating::Satisfied, comment: String::new() };
        let (row, _) = store.act_on_request(1, Actor::OwnEnterprise, "enterprise:a", &rate, d("2026-05-05"), 50).await.unwrap();
        assert_eq!(
            (row.state, row.rating, row.amount_fen, row.handled_on),
            (State::Rated, Some(Rating::Satisfied), None, Some(d("2026-05-04")))
        );
        let events = store.request_events(1).await.unwrap();
        let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["submit", "dispatch", "start", "handle", "rate"]);
        let log = store.audit_log(0, 1000).await.unwrap();
        assert_eq!(log.iter().filter(|e| e.subject == "request:1").count(), 5);

        // Filters.
        let f = |filter: RequestFilter| {
            let store = store.clone();
            async move { store.requests(&filter, 100, 0).await.unwrap().1 }
        };
        assert_eq!(f(RequestFilter { town: Some("南站镇".into()), ..Default::default() }).await, 2);
        assert_eq!(f(RequestFilter { credit_code: Some(b.clone()), ..Default::default() }).await, 0);
        assert_eq!(f(RequestFilter { open_only: true, ..Default::default() }).await, 1);
        assert_eq!(
            f(RequestFilter { category: Some(Category::Finance), department: Some(DEPT.into()), ..Default::default() }).await,
            1
        );
        assert_eq!(f(RequestFilter { overdue_on: Some(d("2026-05-11")), ..Default::default() }).await, 1);
        assert_eq!(
            f(RequestFilter { chamber: Some("服装商会".into()), state: Some(State::Rated), ..Default::default() }).await,
            1
        );

        // Escalation: request 2 is overdue on 05-11; queued once on the officers' channel.
        let ch = Channel {
            name: "officers".into(),
            kind: "jsonl".into(),
            target: "/tmp/x.jsonl".into(),
            secret: String::new(),
            owner_kind: "town".into(),
            owner: "*".into(),
            per_minute: 0,
            allow_private: false,
            enabled: true,
        };
        store.put_push_channel(&ch, 1).await.unwrap();
        assert!(store.escalate_overdue(d("2026-05-10"), 60).await.unwrap().is_empty());
        let esc = store.escalate_overdue(d("2026-05-11"), 70).await.unwrap();
        assert_eq!(esc.len(), 1);
        assert_eq!((esc[0].request_id, esc[0].queued, esc[0].dispatcher.as_str()), (2, 1, "officer:o1"));
        assert!(store.escalate_overdue(d("2026-05-12"), 80).await.unwrap().is_empty(), "once per due date");
        let msgs = store.messages("pending", 10).await.unwrap();
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].recipient, "dispatch:officer:o1");
        assert_eq!(store.escalations(10).await.unwrap().len(), 1);

        // A seeded history (demo) is checked step by step; a bad one writes nothing.
        let step = |on: &str, enterprise: bool, dispatcher: bool, department: Option<&str>, action: Action| Step {
            on: d(on),
            at_ms: 100,
            actor_name: "demo".into(),
            enterprise,
            dispatcher,
            department: department.map(str::to_string),
            action,
        };
        let good = Recorded {
            new: new(&b, Category::Tax, "留抵退税进度"),
            by: "demo".into(),
            on: d("2026-04-01"),
            at_ms: 100,
            steps: vec![
                step("2026-04-02", false, true, None, Action::Dispatch { department: "税务局".into(), due: d("2026-04-20") }),
                step("2026-04-03", false, false, Some("税务局"), Action::Start),
                step(
                    "2026-04-08",
                    false,
                    false,
                    Some("税务局"),
                    Action::Handle { note: "已退税".into(), amount_fen: Some(12_345_600) },
                ),
            ],
        };
        let mut bad = good.clone();
        bad.steps.remove(1);
        assert!(store.record_requests(&[good.clone(), bad], true).await.is_err());
        let ids = store.record_requests(&[good], true).await.unwrap();
        let row = store.request(ids[0]).await.unwrap().unwrap();
        assert_eq!((row.state, row.amount_fen, row.demo), (State::Handled, Some(12_345_600), true));
        assert!(store.has_demo_requests().await.unwrap());
        assert!(store.consistency_problems().await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn staff_duties_are_stored_and_audited() {
    for db in dbs().await {
        let store = db.open().await;
        let new = zhengce_store::accounts::NewUser {
            name: "hr1",
            role: zhengce_store::accounts::Role::Officer,
            enterprise: None,
            password: "correct horse battery",
            department: None,
            can_dispatch: false,
        };
        store.add_user(&new, "t", 1).await.unwrap();
        let u = store.set_user_duties("hr1", Some(DEPT), true, "admin:root", 2).await.unwrap();
        assert_eq!((u.department.as_deref(), u.can_dispatch, u.dispatches()), (Some(DEPT), true, true));
        let back = store.user_by_name("hr1").await.unwrap().unwrap();
        assert_eq!(back, u);
        let u = store.set_user_duties("hr1", None, false, "admin:root", 3).await.unwrap();
        assert_eq!((u.department, u.can_dispatch), (None, false));
        assert!(store.set_user_duties("nobody", None, false, "a", 4).await.is_err());
    }
}
