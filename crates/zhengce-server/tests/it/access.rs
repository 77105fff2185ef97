//! Accounts and access: the access matrix (two enterprises and an officer try every enterprise
//! route with each other's codes in path, query and body), login sessions with CSRF, the login
//! rate limit, API tokens, and load shedding.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use crate::common::{PASSWORD, SME, call, fixture, send};

/// A profile for enterprise `code` (the SME fixture with that credit code).
fn profile_for(code: &str) -> String {
    let mut v: Value = serde_json::from_str(SME).unwrap();
    v["credit_code"] = json!(code);
    v.to_string()
}

#[tokio::test]
async fn an_enterprise_never_sees_or_changes_another_enterprise() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    let s = &f.state;
    let (a, ta) = (&f.a.0, f.a.1.as_str());
    let (b, tb) = (&f.b.0, f.b.1.as_str());
    let missing = "91370830MA3C4K5L83";
    let version = |v: &Value| v["version"].as_i64().unwrap();
    let (_, before_b) = call(s, "GET", &format!("/api/v1/enterprises/{b}"), Some(&f.officer), None).await;

    for (who, token, own, other) in [("A", ta, a, b), ("B", tb, b, a)] {
        // Own data: readable and writable.
        let (st, v) = call(s, "GET", &format!("/api/v1/enterprises/{own}"), Some(token), None).await;
        assert_eq!(st, StatusCode::OK, "{who} reads itself: {v}");
        let (st, _) = call(s, "GET", &format!("/api/v1/enterprises/{own}/matches?at=2025-06-01"), Some(token), None).await;
        assert_eq!(st, StatusCode::OK, "{who} reads its matches");
        // Another's code, or one that does not exist, in the path: 404 alike, on every route.
        for code in [other.as_str(), missing] {
            for (method, uri, body) in [
                ("GET", format!("/api/v1/enterprises/{code}"), None),
                ("GET", format!("/api/v1/enterprises/{code}/matches"), None),
                ("PUT", format!("/api/v1/enterprises/{code}"), Some(profile_for(code))),
                ("PUT", format!("/api/v1/enterprises/{code}"), Some(profile_for(own))),
            ] {
                let (st, v) = call(s, method, &uri, Some(token), body).await;
                assert_eq!(st, StatusCode::NOT_FOUND, "{who} {method} {uri}: {v}");
                assert_eq!(v["error"]["code"], "not_found");
            }
        }
        // Another's code in the body of its own path: refused, nothing written.
        let (st, _) = call(s, "PUT", &format!("/api/v1/enterprises/{own}"), Some(token), Some(profile_for(other))).await;
        assert!(st.is_client_error(), "{who} smuggles another code in the body: {st}");
        // Another's code in the query: ignored, the answer is about itself.
        let (st, v) =
            call(s, "GET", &format!("/api/v1/enterprises/{own}?credit_code={other}&enterprise={other}"), Some(token), None).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(&v["credit_code"], own.as_str());
        // Staff routes: forbidden.
        for uri in ["/api/v1/enterprises", "/api/v1/policies/cn-ui-job-retention-refund-2025/enterprises?status=eligible"] {
            let (st, _) = call(s, "GET", uri, Some(token), None).await;
            assert_eq!(st, StatusCode::FORBIDDEN, "{who} {uri}");
        }
    }
    // B's data is exactly as before everything A tried.
    let (_, after_b) = call(s, "GET", &format!("/api/v1/enterprises/{b}"), Some(&f.officer), None).await;
    assert_eq!(version(&before_b), version(&after_b));
    assert_eq!(before_b["profile"], after_b["profile"]);

    // The officer sees both; anonymous callers see neither.
    for code in [a, b] {
        let (st, _) = call(s, "GET", &format!("/api/v1/enterprises/{code}"), Some(&f.officer), None).await;
        assert_eq!(st, StatusCode::OK);
        let (st, v) = call(s, "GET", &format!("/api/v1/enterprises/{code}"), None, None).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{v}");
        let (st, _) = call(s, "GET", &format!("/api/v1/enterprises/{code}"), Some("zc_not-a-token"), None).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);
    }
    let (st, v) = call(s, "GET", "/api/v1/enterprises?limit=5", Some(&f.officer), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["enterprises"].as_array().unwrap().len(), 5);
    // An enterprise's own edit is audited with the enterprise as actor.
    let (st, v) = call(s, "PUT", &format!("/api/v1/enterprises/{a}"), Some(ta), Some(profile_for(a))).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let log = s.store.as_ref().unwrap().audit_log(0, 10_000).await.unwrap();
    assert!(log.iter().any(|e| e.action == "profile_update" && e.actor == "enterprise:ent-a" && &e.subject == a));
}

fn login_request(name: &str, password: &str) -> Request<Body> {
    Request::builder()
        .method("POST")
        .uri("/api/v1/login")
        .header("content-type", "application/json")
        .body(Body::from(json!({"name": name, "password": password}).to_string()))
        .unwrap()
}

#[tokio::test]
async fn sessions_need_csrf_for_writes_and_end_on_logout() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    let s = &f.state;
    let resp = tower::ServiceExt::oneshot(zhengce_server::router(s.clone()), login_request("ent-a", PASSWORD)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let set_cookie = resp.headers()[header::SET_COOKIE].to_str().unwrap().to_string();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(!set_cookie.contains("Secure"), "not configured for TLS");
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
    let me: Value = serde_json::from_slice(&body).unwrap();
    let csrf = me["csrf"].as_str().unwrap().to_string();
    assert_eq!(me["user"]["role"], "enterprise");

    let with_cookie = |method: &str, uri: &str, csrf: Option<&str>, body: Option<String>| {
        let mut r =
            Request::builder().method(method).uri(uri).header("content-type", "application/json").header(header::COOKIE, &cookie);
        if let Some(c) = csrf {
            r = r.header("x-csrf-token", c);
        }
        r.body(body.map(Body::from).unwrap_or_else(Body::empty)).unwrap()
    };
    let own = &f.a.0;
    let (st, _) = send(s, with_cookie("GET", "/api/v1/me", None, None)).await;
    assert_eq!(st, StatusCode::OK);
    // A write without (or with a wrong) CSRF token is refused; with it, accepted.
    let (st, v) = send(s, with_cookie("PUT", &format!("/api/v1/enterprises/{own}"), None, Some(profile_for(own)))).await;
    assert_eq!((st, v["error"]["code"].clone()), (StatusCode::FORBIDDEN, json!("csrf")));
    let (st, _) =
        send(s, with_cookie("PUT", &format!("/api/v1/enterprises/{own}"), Some("forged"), Some(profile_for(own)))).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = send(s, with_cookie("PUT", &format!("/api/v1/enterprises/{own}"), Some(&csrf), Some(profile_for(own)))).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    // Logout ends the session.
    let (st, _) = send(s, with_cookie("POST", "/api/v1/logout", Some(&csrf), None)).await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = send(s, with_cookie("GET", "/api/v1/me", None, None)).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn sessions_expire_when_idle() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    let store = f.state.store.as_ref().unwrap();
    let (secret, _) = store.login("officer1", PASSWORD, 1_000).await.unwrap().unwrap();
    let idle = f.state.config.session_idle_ms;
    assert!(store.session(&secret, 1_000 + idle - 1, idle).await.unwrap().is_some());
    assert!(store.session(&secret, 1_000 + 3 * idle, idle).await.unwrap().is_none(), "idle session expired");
}

#[tokio::test]
async fn logins_are_rate_limited_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    let s = &f.state;
    for _ in 0..zhengce_server::auth::MAX_LOGIN_FAILURES {
        let (st, v) = send(s, login_request("officer1", "wrong password")).await;
        assert_eq!(st, StatusCode::UNAUTHORIZED, "{v}");
    }
    let resp = tower::ServiceExt::oneshot(zhengce_server::router(s.clone()), login_request("officer1", PASSWORD)).await.unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(resp.headers().contains_key(header::RETRY_AFTER));
    let log = s.store.as_ref().unwrap().audit_log(0, 10_000).await.unwrap();
    assert_eq!(log.iter().filter(|e| e.action == "login_failed").count(), zhengce_server::auth::MAX_LOGIN_FAILURES);
    // Another account is not locked by the first one's failures.
    let (st, _) = send(s, login_request("ent-b", PASSWORD)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(log.iter().all(|e| e.action != "login" || e.actor != "officer:officer1"));
}

#[tokio::test]
async fn api_tokens_are_issued_used_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    let s = &f.state;
    let (st, v) = call(s, "POST", "/api/v1/tokens", Some(&f.officer), Some(json!({"label": "nightly"}).to_string())).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let token = v["token"].as_str().unwrap().to_string();
    let (st, v) = call(s, "GET", "/api/v1/me", Some(&token), None).await;
    assert_eq!((st, v["user"]["name"].clone()), (StatusCode::OK, json!("officer1")));
    let (st, _) = call(s, "DELETE", "/api/v1/tokens/nightly", Some(&f.officer), None).await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = call(s, "GET", "/api/v1/me", Some(&token), None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, _) = call(s, "DELETE", "/api/v1/tokens/nightly", Some(&f.officer), None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, v) = call(s, "POST", "/api/v1/tokens", Some(&f.officer), Some(json!({"label": ""}).to_string())).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
}

#[tokio::test]
async fn overload_is_shed_fast_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    let s = &f.state;
    // Hold every permit, as if that many requests were in flight.
    let held = s.permits.clone().acquire_many_owned(s.config.max_in_flight as u32).await.unwrap();
    let resp = tower::ServiceExt::oneshot(
        zhengce_server::router(s.clone()),
        Request::builder().uri("/api/v1/policies?q=%E7%A8%B3%E5%B2%97").body(Body::empty()).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(resp.headers()[header::RETRY_AFTER], "1");
    // Liveness is never shed.
    let (st, _) = call(s, "GET", "/healthz", None, None).await;
    assert_eq!(st, StatusCode::OK);
    drop(held);
    let (st, _) = call(s, "GET", "/api/v1/policies?q=%E7%A8%B3%E5%B2%97", None, None).await;
    assert_eq!(st, StatusCode::OK);
    let (st, v) = call(s, "GET", "/readyz", None, None).await;
    assert_eq!((st, v["status"].clone()), (StatusCode::OK, json!("ready")));
}

/// The access matrix for requests (诉求): A and B each record one; whatever either tries — the
/// other's number in the path, its code in the query or the body, the web pages and forms — it
/// never sees or changes the other's request (404, as for a number that does not exist).
#[tokio::test]
async fn an_enterprise_never_sees_or_changes_another_enterprise_s_requests() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    let s = &f.state;
    let mut ids = Vec::new();
    for ((code, token), text) in [(&f.a, "甲企业的秘密诉求"), (&f.b, "乙企业的秘密诉求")] {
        let body = json!({"requests": [{"credit_code": code, "category": "融资", "text": text}]});
        let (st, v) = call(s, "POST", "/api/v1/requests", Some(token), Some(body.to_string())).await;
        assert_eq!(st, StatusCode::OK, "{v}");
        ids.push(v["ids"][0].as_i64().unwrap());
    }
    let missing = 999_999;
    for (who, (own, token), own_id, (other, _), other_id, other_text) in
        [("A", &f.a, ids[0], &f.b, ids[1], "乙企业的秘密诉求"), ("B", &f.b, ids[1], &f.a, ids[0], "甲企业的秘密诉求")]
    {
        let token = token.as_str();
        // Own request: readable.
        let (st, v) = call(s, "GET", &format!("/api/v1/requests/{own_id}"), Some(token), None).await;
        assert_eq!((st, v["credit_code"].as_str()), (StatusCode::OK, Some(own.as_str())), "{who}");
        // Lists: only its own, whatever the query says.
        for q in ["", "?enterprise=OTHER", "?town=南站镇", "?state=submitted&category=finance", "?open=1&limit=500"] {
            let (st, v) = call(s, "GET", &format!("/api/v1/requests{}", q.replace("OTHER", other)), Some(token), None).await;
            assert_eq!(st, StatusCode::OK, "{who} {q}");
            let list = v["requests"].as_array().unwrap();
            assert!(list.iter().all(|r| r["credit_code"] == own.as_str()), "{who} {q}: {v}");
        }
        // The other's number (or one that does not exist), on every route: 404 alike.
        for id in [other_id, missing] {
            let (st, v) = call(s, "GET", &format!("/api/v1/requests/{id}"), Some(token), None).await;
            assert_eq!((st, v["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{who} {id}");
            for body in [
                json!({"action": "rate", "rating": "satisfied"}),
                json!({"action": "dispatch", "department": "税务局"}),
                json!({"action": "start"}),
            ] {
                let (st, _) =
                    call(s, "POST", &format!("/api/v1/requests/{id}/actions"), Some(token), Some(body.to_string())).await;
                assert_eq!(st, StatusCode::NOT_FOUND, "{who} acts on {id}");
            }
            for (method, uri, form) in [
                ("GET", format!("/requests/{id}"), None),
                ("POST", format!("/requests/{id}"), Some("action=rate&rating=satisfied")),
            ] {
                let mut req = Request::builder().method(method).uri(&uri).header("authorization", format!("Bearer {token}"));
                if form.is_some() {
                    req = req.header("content-type", "application/x-www-form-urlencoded");
                }
                let resp = tower::ServiceExt::oneshot(
                    zhengce_server::router(s.clone()),
                    req.body(form.map(Body::from).unwrap_or_else(Body::empty)).unwrap(),
                )
                .await
                .unwrap();
                assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{who} {method} {uri}");
                let html = axum::body::to_bytes(resp.into_body(), 1 << 22).await.unwrap();
                assert!(!String::from_utf8_lossy(&html).contains(other_text), "{who} {uri} leaks");
            }
        }
        // Recording a request for the other enterprise: 404, nothing written.
        let body = json!({"requests": [{"credit_code": other, "category": "用工", "text": "冒名诉求"}]});
        let (st, _) = call(s, "POST", "/api/v1/requests", Some(token), Some(body.to_string())).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{who}");
        // The web list and form: its own only; a posted credit code is ignored (its own is used).
        for (method, uri, form) in [
            ("GET", "/requests".to_string(), None),
            ("GET", format!("/requests?enterprise={other}"), None),
            ("POST", "/requests".to_string(), Some(format!("credit_code={other}&category=tax&text=x"))),
        ] {
            let mut req = Request::builder().method(method).uri(&uri).header("authorization", format!("Bearer {token}"));
            if form.is_some() {
                req = req.header("content-type", "application/x-www-form-urlencoded");
            }
            let resp = tower::ServiceExt::oneshot(
                zhengce_server::router(s.clone()),
                req.body(form.map(Body::from).unwrap_or_else(Body::empty)).unwrap(),
            )
            .await
            .unwrap();
            let st = resp.status();
            let html = axum::body::to_bytes(resp.into_body(), 1 << 22).await.unwrap();
            assert!(st.is_success() || st.is_redirection(), "{who} {method} {uri}: {st}");
            assert!(!String::from_utf8_lossy(&html).contains(other_text), "{who} {uri} leaks");
        }
        // Staff-only routes: forbidden.
        let (st, _) = call(s, "GET", "/api/v1/requests/figures", Some(token), None).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{who}");
        for (method, uri) in
            [("GET", "/console/requests/figures"), ("GET", "/console/requests/figures.xlsx"), ("POST", "/console/requests/visit")]
        {
            let req = Request::builder()
                .method(method)
                .uri(uri)
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(format!("credit_code={other}&category_1=tax&text_1=x")))
                .unwrap();
            let resp = tower::ServiceExt::oneshot(zhengce_server::router(s.clone()), req).await.unwrap();
            assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{who} {method} {uri}");
        }
    }
    // Nothing was written for the other: each enterprise still has exactly its own (one from
    // the API, one from the web form that ignored the posted code).
    let store = s.store.as_ref().unwrap();
    for code in [&f.a.0, &f.b.0] {
        let filter = zhengce_store::requests::RequestFilter { credit_code: Some(code.clone()), ..Default::default() };
        let (rows, total) = store.requests(&filter, 100, 0).await.unwrap();
        assert_eq!(total, 2, "{rows:?}");
        assert!(rows.iter().all(|r| r.text != "冒名诉求"));
    }
    // The officer sees both.
    let (_, v) = call(s, "GET", "/api/v1/requests", Some(&f.officer), None).await;
    assert_eq!(v["total"], 4);
}
