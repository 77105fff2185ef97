//! HTTP tests through the router (`oneshot`, no socket): shapes, errors, roles.

use axum::http::StatusCode;
use serde_json::json;

use crate::common::{call, fixture};

use crate::common::SME;

#[tokio::test]
async fn match_search_and_policy_detail() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    let s = &f.state;
    let (st, v) = call(s, "GET", "/healthz", None, None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["status"], "ok");

    let (st, v) = call(s, "POST", "/api/v1/match?at=2025-06-01", None, Some(SME.to_string())).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["as_of"], "2025-06-01");
    assert!(
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["policy"] == "cn-ui-job-retention-refund-2025" && r["status"] == "eligible")
    );

    let (st, v) = call(s, "GET", "/api/v1/policies?q=%E7%A8%B3%E5%B2%97", None, None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert!(v["hits"].as_array().unwrap().iter().take(3).any(|h| h["policy"] == "cn-ui-job-retention-refund-2025"), "{v}");

    let (st, v) = call(s, "GET", "/api/v1/policies/cn-hnte-certification", None, None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["title"], "高新技术企业认定");
    assert!(v["criteria"]["parameters"].as_array().is_some_and(|p| !p.is_empty()));
}

#[tokio::test]
async fn errors_are_json_with_fitting_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    let s = &f.state;
    let (st, v) = call(s, "POST", "/api/v1/match", None, Some(r#"{"employes": 3}"#.into())).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"]["code"], "invalid_profile");
    assert_eq!(v["error"]["fields"][0]["field"], "employes");
    let (st, v) = call(s, "POST", "/api/v1/match", None, Some("{not json".into())).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    let (st, _) = call(s, "POST", "/api/v1/match?at=2025-13-01", None, Some("{}".into())).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(zhengce_server::MAX_BODY));
    let (st, v) = call(s, "POST", "/api/v1/match", None, Some(big)).await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    let (st, v) = call(s, "GET", "/api/v1/policies/nope", None, None).await;
    assert_eq!((st, v["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let (st, _) = call(s, "GET", "/api/v1/policies?level=galaxy", None, None).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    for q in ["(%E7%A8%B3", "-%20*", "%22", "%F0%9F%98%80"] {
        let (st, _) = call(s, "GET", &format!("/api/v1/policies?q={q}"), None, None).await;
        assert_eq!(st, StatusCode::OK, "{q}");
    }
}

#[tokio::test]
async fn stored_enterprises_need_a_staff_token() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    let s = &f.state;
    let secret = f.officer.as_str();
    let code = "91370830MA3C4K5L83";
    let (st, _) = call(s, "PUT", &format!("/api/v1/enterprises/{code}"), None, Some(SME.into())).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, _) = call(s, "PUT", &format!("/api/v1/enterprises/{code}"), Some("wrong"), Some(SME.into())).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, v) = call(s, "PUT", &format!("/api/v1/enterprises/{code}"), Some(secret), Some(SME.into())).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = call(s, "GET", &format!("/api/v1/enterprises/{code}"), Some(secret), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["profile"]["employees"], json!(120));
    let (st, v) = call(s, "GET", &format!("/api/v1/enterprises/{code}/matches?at=2025-06-01"), Some(secret), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["derived"]["size_class"], "small");
    let (st, v) =
        call(s, "GET", "/api/v1/policies/cn-ui-job-retention-refund-2025/enterprises?status=eligible", Some(secret), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert!(v["enterprises"].as_array().unwrap().iter().any(|e| e["enterprise"] == code), "{v}");
    let (st, _) = call(s, "GET", "/api/v1/policies/cn-ui-job-retention-refund-2025/enterprises", None, None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn refresh_matches_fills_the_demo_county() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    let s = &f.state;
    let secret = f.officer.as_str();
    let store = s.store.as_ref().unwrap();
    let n = zhengce_server::refresh_matches(store, &s.corpus().snapshot, "2025-06-01".parse().unwrap(), s.clock.as_ref())
        .await
        .unwrap();
    assert!(n >= 100, "{n}");
    assert_eq!(
        zhengce_server::refresh_matches(store, &s.corpus().snapshot, "2025-06-01".parse().unwrap(), s.clock.as_ref())
            .await
            .unwrap(),
        0
    );
    // A new day recomputes everything: verdicts change when policies expire.
    assert_eq!(
        zhengce_server::refresh_matches(store, &s.corpus().snapshot, "2026-06-01".parse().unwrap(), s.clock.as_ref())
            .await
            .unwrap(),
        n
    );
    let (st, v) =
        call(s, "GET", "/api/v1/policies/cn-small-low-profit-cit/enterprises?status=eligible", Some(secret), None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(!v["enterprises"].as_array().unwrap().is_empty());
}

/// `POST /api/v1/match` answers gzip only when the client accepts it, and the compressed answer
/// is the identity answer, byte for byte.
#[tokio::test]
async fn match_answers_gzip_when_accepted() {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(dir.path()).await;
    let ask = |enc: Option<&str>| {
        let mut req =
            Request::builder().method("POST").uri("/api/v1/match?at=2025-06-01").header("content-type", "application/json");
        if let Some(e) = enc {
            req = req.header("accept-encoding", e);
        }
        let req = req.body(Body::from(SME.to_string())).unwrap();
        let app = zhengce_server::router(f.state.clone());
        async move {
            let resp = app.oneshot(req).await.unwrap();
            let encoding = resp.headers().get("content-encoding").map(|v| v.to_str().unwrap().to_string());
            let vary = resp.headers().get("vary").map(|v| v.to_str().unwrap().to_string());
            let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24).await.unwrap();
            (encoding, vary, bytes.to_vec())
        }
    };
    let (enc, vary, plain) = ask(None).await;
    assert_eq!(enc, None);
    assert_eq!(vary.as_deref(), Some("accept-encoding"));
    let (enc, _, zipped) = ask(Some("br;q=1.0, gzip;q=0.8")).await;
    assert_eq!(enc.as_deref(), Some("gzip"));
    assert!(zipped.len() * 2 < plain.len(), "compressed: {} of {} bytes", zipped.len(), plain.len());
    let mut unzipped = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&zipped[..]), &mut unzipped).unwrap();
    assert_eq!(unzipped, plain);
    let (enc, _, refused) = ask(Some("gzip;q=0, identity")).await;
    assert_eq!(enc, None, "gzip refused with q=0");
    assert_eq!(refused, plain);
}
