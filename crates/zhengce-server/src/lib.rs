//! The HTTP service: a JSON API under `/api/v1` over one immutable engine snapshot and the store.
//!
//! [`router`] builds an axum `Router` from an [`AppState`]; tests call it with `oneshot`, no socket.
//! Only this crate knows HTTP and its JSON shapes. Every error is `{"error": {"code", "message"}}`
//! ([`error::ApiError`]).
//!
//! Roles: public endpoints (health, matching a submitted profile, searching and reading policies)
//! need nothing; endpoints that read or change stored enterprises need the officer token
//! (`Authorization: Bearer <token>`). Enterprise self-service accounts come with the web UI.

pub mod error;
mod handlers;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
pub use zhengce_corpus::Corpus;
use zhengce_engine::Snapshot;
use zhengce_model::Date;
use zhengce_model::clock::Clock;
use zhengce_store::Store;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// The corpus (immutable; swap the `Arc` to reload).
    pub corpus: Arc<Corpus>,
    /// The store, when one is open.
    pub store: Option<Store>,
    /// SHA-256 hex of the officer token.
    pub officer_token_sha256: String,
    /// The one clock of the service (injected, so tests pin it).
    pub clock: Arc<dyn Clock>,
}

/// The largest request body accepted (a profile is a few KB).
pub const MAX_BODY: usize = 256 * 1024;

/// Builds the router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(handlers::healthz))
        .route("/api/v1/match", post(handlers::match_profile))
        .route("/api/v1/policies", get(handlers::search_policies))
        .route("/api/v1/policies/{slug}", get(handlers::policy))
        .route("/api/v1/policies/{slug}/enterprises", get(handlers::policy_enterprises))
        .route("/api/v1/enterprises/{code}", get(handlers::get_enterprise).put(handlers::put_enterprise))
        .route("/api/v1/enterprises/{code}/matches", get(handlers::enterprise_matches))
        .fallback(handlers::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

/// Serves the router on `listener` until `shutdown` completes, then finishes in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await
}

/// SHA-256 hex of a token (tokens are compared by hash, never stored in clear).
pub fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Matches every stored enterprise whose results for the current corpus and date are missing (or
/// were computed for another date: policies expire) and stores them, so "which enterprises qualify
/// for this policy" can be answered from the store.
pub async fn refresh_matches(
    store: &Store,
    snapshot: &Snapshot,
    as_of: Date,
    clock: &dyn Clock,
) -> Result<usize, zhengce_store::StoreError> {
    let filter = zhengce_store::profiles::EnterpriseFilter::default();
    let mut offset = 0;
    let mut done = 0;
    loop {
        let page = store.list_enterprises(&filter, 500, offset).await?;
        if page.is_empty() {
            break;
        }
        offset += page.len() as i64;
        let mut reports = Vec::new();
        for e in &page {
            let as_of_text = as_of.to_string();
            if let Some(run) = store.match_run(&e.credit_code, snapshot.version()).await?
                && run.as_of == as_of_text
                && run.profile_version == e.version
            {
                continue;
            }
            if let Ok(p) = snapshot.parse_profile_json(&serde_json::Value::Object(e.profile.clone())) {
                reports.push((e.credit_code.clone(), snapshot.match_profile(&p, as_of)));
            }
        }
        let refs: Vec<(&str, &zhengce_model::verdict::MatchReport)> = reports.iter().map(|(c, r)| (c.as_str(), r)).collect();
        store.save_match_reports(&refs, clock.now_ms()).await?;
        done += refs.len();
    }
    Ok(done)
}
