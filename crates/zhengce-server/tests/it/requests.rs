//! Enterprise requests (诉求) over HTTP: every allowed and refused step of the loop by role (403
//! wrong role, 404 another enterprise's request, 409 a step skipped, 422 a field named), the
//! audit trail, the web forms (visit form of the brief, a step from its page), the figures page and
//! its xlsx, and overdue escalation.

use axum::http::StatusCode;
use serde_json::{Value, json};
use zhengce_store::accounts::{NewUser, Role};

use crate::common::{Fixture, PASSWORD, call, fixture};

const HR: &str = "人力资源和社会保障局";

/// Staff with duties: (plain officer = fixture's), a dispatcher, an HR officer, a tax officer.
pub struct Duties {
    pub dispatcher: String,
    pub hr: String,
    pub tax: String,
}

pub async fn duties(f: &Fixture) -> Duties {
    let store = f.state.store.as_ref().unwrap();
    let mut tokens = Vec::new();
    for (name, dept, dispatch) in [("dispatch1", None, true), ("hr1", Some(HR), false), ("tax1", Some("税务局"), false)] {
        let new =
            NewUser { name, role: Role::Officer, enterprise: None, password: PASSWORD, department: dept, can_dispatch: dispatch };
        let user = store.add_user(&new, "test", 1).await.unwrap();
        assert_eq!((user.department.as_deref(), user.can_dispatch), (dept, dispatch));
        tokens.push(store.issue_token(&user, "test", 1).await.unwrap());
    }
    Duties { tax: tokens.pop().unwrap(), hr: tokens.pop().unwrap(), dispatcher: tokens.pop().unwrap() }
}

async fn act(f: &Fixture, token: &str, id: i64, body: Value) -> (StatusCode, Value) {
    call(&f.state, "POST", &format!("/api/v1/requests/{id}/actions"), Some(token), Some(body.to_string())).await
}

#[tokio::test]
async fn every_step_of_the_loop_by_role_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    let d = duties(&f).await;
    let s = &f.state;
    let (a, ta) = (&f.a.0, f.a.1.as_str());
    let tb = f.b.1.as_str();
    let officer = f.officer.as_str();
    // Enterprise A submits a request (always recorded as web, whatever it says).
    let body = json!({"requests": [{"credit_code": a, "category": "用工", "text": "今年要新招 20 名缝纫工", "source": "visit"}]});
    let (st, v) = call(s, "POST", "/api/v1/requests", Some(ta), Some(body.to_string())).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let id = v["ids"][0].as_i64().unwrap();
    let (_, v) = call(s, "GET", &format!("/api/v1/requests/{id}"), Some(ta), None).await;
    assert_eq!((v["source"].as_str(), v["state"].as_str()), (Some("web"), Some("submitted")));

    let dispatch = json!({"action": "dispatch", "department": HR, "due": "2025-06-15"});
    let start = json!({"action": "start"});
    let handle = json!({"action": "handle", "note": "推荐了三名缝纫工", "amount": "5000"});
    let rate_bad = json!({"action": "rate", "rating": "unsatisfied", "comment": "只来了一个人"});
    let rate_ok = json!({"action": "rate", "rating": "satisfied"});
    let all = [&dispatch, &start, &handle, &rate_ok];
    let everyone = [
        ("A", ta),
        ("B", tb),
        ("officer", officer),
        ("dispatcher", d.dispatcher.as_str()),
        ("hr", d.hr.as_str()),
        ("tax", d.tax.as_str()),
    ];
    // Every refused (actor, action) in a state, then the one allowed step.
    let refused = async |state: &str, allowed: (&str, &Value)| {
        for (who, token) in everyone {
            for action in all {
                if (who, action) == allowed {
                    continue;
                }
                let (st, v) = act(&f, token, id, action.clone()).await;
                let want: &[StatusCode] =
                    if who == "B" { &[StatusCode::NOT_FOUND] } else { &[StatusCode::FORBIDDEN, StatusCode::CONFLICT] };
                assert!(want.contains(&st), "{state}: {who} {action}: {st} {v}");
                assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty() && !m.is_ascii()), "{v}");
            }
        }
        let (_, v) = call(s, "GET", &format!("/api/v1/requests/{id}"), Some(officer), None).await;
        assert_eq!(v["state"], state, "refusals changed nothing");
    };
    refused("submitted", ("dispatcher", &dispatch)).await;
    // Specific refusals say why.
    let (st, v) = act(&f, officer, id, dispatch.clone()).await;
    assert_eq!((st, v["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("派单权限"));
    let (st, v) = act(&f, &d.hr, id, start.clone()).await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("须先由派单人派单"));
    let (st, v) = act(&f, &d.dispatcher, id, json!({"action": "dispatch", "department": HR, "due": "2025-05-01"})).await;
    assert_eq!((st, v["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("due")), "{v}");
    let (st, v) = act(&f, &d.dispatcher, id, json!({"action": "fly"})).await;
    assert_eq!((st, v["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("action")), "{v}");

    let (st, v) = act(&f, &d.dispatcher, id, dispatch.clone()).await;
    assert_eq!((st, v["state"].as_str()), (StatusCode::OK, Some("dispatched")), "{v}");
    refused("dispatched", ("hr", &start)).await;
    let (st, v) = act(&f, &d.tax, id, start.clone()).await;
    assert!(st == StatusCode::FORBIDDEN && v["error"]["message"].as_str().unwrap().contains(HR), "{v}");
    assert_eq!(act(&f, &d.hr, id, start.clone()).await.0, StatusCode::OK);

    refused("in_progress", ("hr", &handle)).await;
    let (st, v) = act(&f, &d.hr, id, json!({"action": "handle", "note": " "})).await;
    assert_eq!((st, v["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("note")), "{v}");
    let (st, v) = act(&f, &d.hr, id, json!({"action": "handle", "note": "x", "amount": "五千"})).await;
    assert_eq!((st, v["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("amount")), "{v}");
    let (st, v) = act(&f, &d.hr, id, handle.clone()).await;
    assert_eq!((st, v["state"].as_str(), v["amount_fen"].as_i64()), (StatusCode::OK, Some("handled"), Some(500_000)), "{v}");

    // Handled: A rates (B: 404; the handling department may not rate itself: 403).
    let (st, _) = act(&f, tb, id, rate_ok.clone()).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, v) = act(&f, &d.hr, id, rate_ok.clone()).await;
    assert!(st == StatusCode::FORBIDDEN && v["error"]["message"].as_str().unwrap().contains("自评"), "{v}");
    let (st, v) = act(&f, ta, id, json!({"action": "rate", "rating": "unsatisfied"})).await;
    assert_eq!((st, v["error"]["fields"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("comment")), "{v}");
    let (st, v) = act(&f, ta, id, rate_bad.clone()).await;
    assert_eq!((st, v["state"].as_str(), v["reopened"].as_i64()), (StatusCode::OK, Some("reopened"), Some(1)), "{v}");

    // Reopened once: back to the dispatcher; the second round is rated on a follow-up visit by an
    // officer, and a second 不满意 closes it.
    refused("reopened", ("dispatcher", &dispatch)).await;
    for (token, body) in [(&d.dispatcher, &dispatch), (&d.hr, &start), (&d.hr, &handle)] {
        let (st, v) = act(&f, token, id, body.clone()).await;
        assert_eq!(st, StatusCode::OK, "{v}");
    }
    let (st, v) = act(&f, officer, id, rate_bad.clone()).await;
    assert_eq!((st, v["state"].as_str()), (StatusCode::OK, Some("rated")), "{v}");
    refused("rated", ("nobody", &json!(null))).await;

    // The whole history is in the request and in the audit log.
    let (_, v) = call(s, "GET", &format!("/api/v1/requests/{id}"), Some(ta), None).await;
    let actions: Vec<&str> = v["events"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["submit", "dispatch", "start", "handle", "rate", "dispatch", "start", "handle", "rate"]);
    let log = s.store.as_ref().unwrap().audit_log(0, 100_000).await.unwrap();
    let subject = format!("request:{id}");
    let actors: Vec<&str> = log.iter().filter(|e| e.subject == subject).map(|e| e.actor.as_str()).collect();
    assert_eq!(
        actors,
        [
            "enterprise:ent-a",
            "officer:dispatch1",
            "officer:hr1",
            "officer:hr1",
            "enterprise:ent-a",
            "officer:dispatch1",
            "officer:hr1",
            "officer:hr1",
            "officer:officer1"
        ]
    );

    // Figures count it (staff only).
    let (st, v) = call(s, "GET", "/api/v1/requests/figures", Some(officer), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let m = &v["figures"]["by_department"][HR]["2025-06"];
    assert_eq!(
        (m["received"].as_u64(), m["handled"].as_u64(), m["reopened"].as_u64(), m["rated"].as_u64()),
        (Some(1), Some(1), Some(1), Some(1)),
        "{v}"
    );
    assert_eq!(call(s, "GET", "/api/v1/requests/figures", Some(ta), None).await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn overdue_requests_escalate_to_the_dispatcher_once() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    let d = duties(&f).await;
    let s = &f.state;
    let body = json!({"requests": [{"credit_code": f.a.0, "category": "finance", "text": "续贷"}]});
    let (_, v) = call(s, "POST", "/api/v1/requests", Some(&f.officer), Some(body.to_string())).await;
    let id = v["ids"][0].as_i64().unwrap();
    act(&f, &d.dispatcher, id, json!({"action": "dispatch", "department": "地方金融监督管理局", "due": "2025-06-05"})).await;
    let store = s.store.as_ref().unwrap();
    let later: zhengce_model::Date = "2025-06-06".parse().unwrap();
    let esc = store.escalate_overdue(later, 2).await.unwrap();
    assert_eq!(esc.len(), 1);
    assert_eq!((esc[0].request_id, esc[0].dispatcher.as_str()), (id, "officer:dispatch1"));
    assert!(store.escalate_overdue(later, 3).await.unwrap().is_empty());
    let (_, v) = call(s, "GET", "/api/v1/requests?overdue=1", Some(&f.officer), None).await;
    assert_eq!(v["total"], 0, "not overdue on the fixture's today (2025-06-01)");
}

/// The visit brief lists each enterprise's open requests in every form (JSON, Markdown, HTML,
/// xlsx), and the visit form of the console brief records several at once as `visit`.
#[tokio::test]
async fn the_visit_brief_lists_open_requests_and_records_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    let s = &f.state;
    let a = &f.a.0;
    // The console's visit form (token callers are exempt from CSRF, as scripts).
    let form = format!(
        "credit_code={a}&next=%2Fconsole%2Fbriefs%3Ftown%3Dx&category_1=employment&text_1=%E7%BC%BA%E7%BC%9D%E7%BA%AB%E5%B7%A5&category_2=digital&text_2=%E6%83%B3%E4%B8%8AERP&category_3=tax&text_3="
    );
    let req = axum::http::Request::builder()
        .method("POST")
        .uri("/console/requests/visit")
        .header("authorization", format!("Bearer {}", f.officer))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(form))
        .unwrap();
    let resp = tower::ServiceExt::oneshot(zhengce_server::router(s.clone()), req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let to = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/console/briefs?town=x&recorded=2#firm-"), "{to}");
    let (_, v) = call(s, "GET", "/api/v1/requests", Some(&f.officer), None).await;
    assert_eq!(v["total"], 2);
    assert!(v["requests"].as_array().unwrap().iter().all(|r| r["source"] == "visit"));

    let (st, v) = call(s, "GET", &format!("/api/v1/briefs?enterprise={a}&at=2025-06-01"), Some(&f.officer), None).await;
    assert_eq!(st, StatusCode::OK);
    let reqs = v["enterprises"][0]["requests"].as_array().unwrap();
    assert_eq!(reqs.len(), 2, "{v}");
    for format in ["md", "html"] {
        let req = axum::http::Request::builder()
            .uri(format!("/api/v1/briefs?enterprise={a}&at=2025-06-01&format={format}"))
            .header("authorization", format!("Bearer {}", f.officer))
            .body(axum::body::Body::empty())
            .unwrap();
        let resp = tower::ServiceExt::oneshot(zhengce_server::router(s.clone()), req).await.unwrap();
        let text = String::from_utf8(axum::body::to_bytes(resp.into_body(), 1 << 24).await.unwrap().to_vec()).unwrap();
        assert!(text.contains("在办诉求") && text.contains("缺缝纫工") && text.contains("想上ERP"), "{format}");
    }
    let req = axum::http::Request::builder()
        .uri(format!("/api/v1/briefs?enterprise={a}&at=2025-06-01&format=xlsx"))
        .header("authorization", format!("Bearer {}", f.officer))
        .body(axum::body::Body::empty())
        .unwrap();
    let resp = tower::ServiceExt::oneshot(zhengce_server::router(s.clone()), req).await.unwrap();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24).await.unwrap().to_vec();
    use calamine::Reader as _;
    let mut wb = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let sheet = wb.worksheet_range("诉求").unwrap();
    assert_eq!(sheet.height(), 3, "header and two requests");

    // The figures workbook reads back too.
    let req = axum::http::Request::builder()
        .uri("/console/requests/figures.xlsx")
        .header("authorization", format!("Bearer {}", f.officer))
        .body(axum::body::Body::empty())
        .unwrap();
    let resp = tower::ServiceExt::oneshot(zhengce_server::router(s.clone()), req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24).await.unwrap().to_vec();
    let mut wb = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let cats = wb.worksheet_range("诉求类别").unwrap();
    assert_eq!(cats.get_value((1, 1)).map(|c| c.to_string()), Some("1".into()), "one 用工 request");
}
