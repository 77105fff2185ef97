//! `GET /api/v1/briefs`: the one brief model as JSON and its exports, staff only, audited.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt as _;

use crate::common::{call, fixture};

#[tokio::test]
async fn a_town_brief_in_every_form_for_staff_only() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    let s = &f.state;
    let (_, e) = call(s, "GET", &format!("/api/v1/enterprises/{}", f.a.0), Some(&f.officer), None).await;
    let town = e["profile"]["town"].as_str().unwrap().to_string();
    let q = crate::common::encode(&town);

    let (st, v) = call(s, "GET", &format!("/api/v1/briefs?town={q}&at=2025-06-01"), Some(&f.officer), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let firms = v["enterprises"].as_array().unwrap();
    assert!(firms.iter().any(|x| x["identity"]["credit_code"] == f.a.0.as_str()), "{}", v["enterprises"]);
    assert!(firms.iter().all(|x| x["identity"]["town"] == town.as_str()));

    for (format, ctype) in [("xlsx", "spreadsheetml"), ("md", "text/markdown"), ("html", "text/html")] {
        let req = Request::builder()
            .uri(format!("/api/v1/briefs?town={q}&at=2025-06-01&format={format}"))
            .header("authorization", format!("Bearer {}", f.officer))
            .body(Body::empty())
            .unwrap();
        let resp = zhengce_server::router(s.clone()).oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{format}");
        assert!(resp.headers()[header::CONTENT_TYPE].to_str().unwrap().contains(ctype), "{format}");
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 26).await.unwrap();
        assert!(bytes.len() > 500, "{format}: {} bytes", bytes.len());
    }
    let log = s.store.as_ref().unwrap().audit_log(0, 100_000).await.unwrap();
    assert_eq!(log.iter().filter(|e| e.action == "brief_export" && e.actor == "officer:officer1").count(), 4);

    // Enterprises and anonymous callers get none; a bad scope is refused.
    let (st, _) = call(s, "GET", &format!("/api/v1/briefs?town={q}"), Some(&f.a.1), None).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = call(s, "GET", &format!("/api/v1/briefs?town={q}"), None, None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, _) = call(s, "GET", &format!("/api/v1/briefs?town={q}&park=x"), Some(&f.officer), None).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, _) =
        call(s, "GET", "/api/v1/briefs?town=%E6%B2%A1%E6%9C%89%E8%BF%99%E4%B8%AA%E9%95%87", Some(&f.officer), None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
}
