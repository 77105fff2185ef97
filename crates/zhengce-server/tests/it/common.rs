//! Shared fixtures: a served corpus over a demo store with an officer, an admin and two
//! enterprise accounts, and a `oneshot` caller.

use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt as _;
use zhengce_model::clock::FixedClock;
use zhengce_server::{AppState, Config, Corpus, router};
use zhengce_store::accounts::{NewUser, Role};

/// The Wenshang garment SME fixture profile.
pub const SME: &str = include_str!("../../../../tests/fixtures/profiles/wenshang-garment-sme.json");

/// The password every fixture account has.
pub const PASSWORD: &str = "correct horse battery";

/// A running service (no socket) and its accounts' API tokens.
pub struct Fixture {
    /// The state routers are built from.
    pub state: AppState,
    /// An officer's API token.
    pub officer: String,
    /// Enterprise A: its credit code and API token.
    pub a: (String, String),
    /// Enterprise B: its credit code and API token.
    pub b: (String, String),
}

/// Builds the fixture in `dir` (a demo county of stored enterprises).
pub async fn fixture(dir: &Path) -> Fixture {
    fixture_with(dir, Config::default()).await
}

/// As [`fixture`], with settings.
pub async fn fixture_with(dir: &Path, config: Config) -> Fixture {
    let corpus = Corpus::source_tree();
    let url = format!("sqlite://{}", dir.join("t.db").display());
    let schema = corpus.snapshot.schema().unwrap();
    let (store, _) = zhengce_roster::demo::open_seeded(&url, schema, 1_748_736_000_000).await.unwrap();
    let codes: Vec<String> =
        store.list_enterprises(&Default::default(), 2, 0).await.unwrap().into_iter().map(|e| e.credit_code).collect();
    let at = 1_748_736_000_000;
    let token = async |name: &str, role: Role, enterprise: Option<&str>| {
        let user = store
            .add_user(&NewUser { name, role, enterprise, password: PASSWORD, department: None, can_dispatch: false }, "test", at)
            .await
            .unwrap();
        store.issue_token(&user, "test", at).await.unwrap()
    };
    let officer = token("officer1", Role::Officer, None).await;
    token("admin1", Role::Admin, None).await;
    let a = token("ent-a", Role::Enterprise, Some(&codes[0])).await;
    let b = token("ent-b", Role::Enterprise, Some(&codes[1])).await;
    let clock = Arc::new(FixedClock { now_ms: at, today: "2025-06-01".parse().unwrap() });
    let state = AppState::new(corpus, Some(store), clock, config);
    Fixture { state, officer, a: (codes[0].clone(), a), b: (codes[1].clone(), b) }
}

/// One request through the router with an optional API token; the status and JSON body.
pub async fn call(state: &AppState, method: &str, uri: &str, token: Option<&str>, body: Option<String>) -> (StatusCode, Value) {
    let mut req = Request::builder().method(method).uri(uri).header("content-type", "application/json");
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    send(state, req.body(body.map(Body::from).unwrap_or_else(Body::empty)).unwrap()).await
}

/// Sends a built request; the status and JSON body.
pub async fn send(state: &AppState, req: Request<Body>) -> (StatusCode, Value) {
    let resp = router(state.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Percent-encodes a query value.
pub fn encode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}
