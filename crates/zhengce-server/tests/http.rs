//! HTTP tests through the router (`oneshot`, no socket): shapes, errors, roles.

use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt as _;
use zhengce_engine::SourceFile;
use zhengce_server::{AppState, Corpus, router, token_hash};

fn corpus() -> Corpus {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for top in ["policies", "rules"] {
        let mut stack = vec![(root.join(top), top.to_string())];
        while let Some((dir, prefix)) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap().flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if e.path().is_dir() {
                    stack.push((e.path(), format!("{prefix}/{name}")));
                } else {
                    files.push(SourceFile { path: format!("{prefix}/{name}"), text: std::fs::read_to_string(e.path()).unwrap() });
                }
            }
        }
    }
    let text = |p: &str| files.iter().find(|f| f.path == p).map(|f| f.text.clone()).unwrap_or_default();
    let (config, _) =
        zhengce_search::SearchConfig::parse(&text("policies/_search/synonyms.txt"), &text("policies/_search/dict.txt"));
    let loaded = zhengce_engine::load(files);
    let search = zhengce_search::SearchIndex::build(loaded.snapshot.policies(), config).unwrap();
    Corpus { snapshot: loaded.snapshot, search }
}

async fn state(dir: &Path) -> AppState {
    let corpus = corpus();
    let url = format!("sqlite://{}", dir.join("t.db").display());
    let schema = corpus.snapshot.schema().unwrap();
    let (store, _) = zhengce_roster::demo::open_seeded(&url, schema).await.unwrap();
    AppState {
        corpus: Arc::new(corpus),
        store: Some(store),
        officer_token_sha256: token_hash("secret"),
        today: Arc::new(|| "2025-06-01".parse().unwrap()),
    }
}

async fn call(state: &AppState, method: &str, uri: &str, token: Option<&str>, body: Option<String>) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(uri).header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = router(state.clone()).oneshot(req.body(body.map(Body::from).unwrap_or_else(Body::empty)).unwrap()).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

const SME: &str = include_str!("../../../tests/fixtures/profiles/wenshang-garment-sme.json");

#[tokio::test]
async fn match_search_and_policy_detail() {
    let dir = tempfile::tempdir().unwrap();
    let s = state(dir.path()).await;
    let (st, v) = call(&s, "GET", "/healthz", None, None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["status"], "ok");

    let (st, v) = call(&s, "POST", "/api/v1/match?at=2025-06-01", None, Some(SME.to_string())).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["as_of"], "2025-06-01");
    assert!(
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["policy"] == "cn-ui-job-retention-refund-2025" && r["status"] == "eligible")
    );

    let (st, v) = call(&s, "GET", "/api/v1/policies?q=%E7%A8%B3%E5%B2%97", None, None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert!(v["hits"].as_array().unwrap().iter().take(3).any(|h| h["policy"] == "cn-ui-job-retention-refund-2025"), "{v}");

    let (st, v) = call(&s, "GET", "/api/v1/policies/cn-hnte-certification", None, None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["title"], "高新技术企业认定");
    assert!(v["criteria"]["parameters"].as_array().is_some_and(|p| !p.is_empty()));
}

#[tokio::test]
async fn errors_are_json_with_fitting_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let s = state(dir.path()).await;
    let (st, v) = call(&s, "POST", "/api/v1/match", None, Some(r#"{"employes": 3}"#.into())).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["error"]["code"], "invalid_profile");
    assert_eq!(v["error"]["fields"][0]["field"], "employes");
    let (st, v) = call(&s, "POST", "/api/v1/match", None, Some("{not json".into())).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{v}");
    let (st, _) = call(&s, "POST", "/api/v1/match?at=2025-13-01", None, Some("{}".into())).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(zhengce_server::MAX_BODY));
    let (st, v) = call(&s, "POST", "/api/v1/match", None, Some(big)).await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    let (st, v) = call(&s, "GET", "/api/v1/policies/nope", None, None).await;
    assert_eq!((st, v["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let (st, _) = call(&s, "GET", "/api/v1/policies?level=galaxy", None, None).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    for q in ["(%E7%A8%B3", "-%20*", "%22", "%F0%9F%98%80"] {
        let (st, _) = call(&s, "GET", &format!("/api/v1/policies?q={q}"), None, None).await;
        assert_eq!(st, StatusCode::OK, "{q}");
    }
}

#[tokio::test]
async fn stored_enterprises_need_the_officer_token() {
    let dir = tempfile::tempdir().unwrap();
    let s = state(dir.path()).await;
    let code = "91370830MA3C4K5L83";
    let (st, _) = call(&s, "PUT", &format!("/api/v1/enterprises/{code}"), None, Some(SME.into())).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, _) = call(&s, "PUT", &format!("/api/v1/enterprises/{code}"), Some("wrong"), Some(SME.into())).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, v) = call(&s, "PUT", &format!("/api/v1/enterprises/{code}"), Some("secret"), Some(SME.into())).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, v) = call(&s, "GET", &format!("/api/v1/enterprises/{code}"), Some("secret"), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["profile"]["employees"], json!(120));
    let (st, v) = call(&s, "GET", &format!("/api/v1/enterprises/{code}/matches?at=2025-06-01"), Some("secret"), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(v["derived"]["size_class"], "small");
    let (st, v) =
        call(&s, "GET", "/api/v1/policies/cn-ui-job-retention-refund-2025/enterprises?status=eligible", Some("secret"), None)
            .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert!(v["enterprises"].as_array().unwrap().iter().any(|e| e["enterprise"] == code), "{v}");
    let (st, _) = call(&s, "GET", "/api/v1/policies/cn-ui-job-retention-refund-2025/enterprises", None, None).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn refresh_matches_fills_the_demo_county() {
    let dir = tempfile::tempdir().unwrap();
    let s = state(dir.path()).await;
    let store = s.store.as_ref().unwrap();
    let n = zhengce_server::refresh_matches(store, &s.corpus.snapshot, "2025-06-01".parse().unwrap()).await.unwrap();
    assert!(n >= 100, "{n}");
    assert_eq!(zhengce_server::refresh_matches(store, &s.corpus.snapshot, "2025-06-01".parse().unwrap()).await.unwrap(), 0);
    // A new day recomputes everything: verdicts change when policies expire.
    assert_eq!(zhengce_server::refresh_matches(store, &s.corpus.snapshot, "2026-06-01".parse().unwrap()).await.unwrap(), n);
    let (st, v) =
        call(&s, "GET", "/api/v1/policies/cn-small-low-profit-cit/enterprises?status=eligible", Some("secret"), None).await;
    assert_eq!(st, StatusCode::OK);
    assert!(!v["enterprises"].as_array().unwrap().is_empty());
}
