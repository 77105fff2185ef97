//! The HTTP service: a JSON API under `/api/v1` over the current corpus (engine snapshot + search
//! index, swapped atomically on reload) and the store.
//!
//! [`router`] builds an axum `Router` from an [`AppState`]; tests call it with `oneshot`, no socket.
//! Only this crate knows HTTP and its JSON shapes. Every error is `{"error": {"code", "message"}}`
//! ([`error::ApiError`]).
//!
//! Roles ([`auth`]): public endpoints (health, matching a submitted profile, searching and reading
//! policies) need nothing; staff endpoints need an officer or admin; an enterprise account reads
//! and changes only its own profile and matches. Callers authenticate with a per-user API token
//! (`Authorization: Bearer …`) or a cookie session from `POST /api/v1/login`; cookie writes carry
//! the CSRF token. Overload is answered fast with 503 and `Retry-After` ([`shed`]).

pub mod auth;
mod briefs;
pub mod error;
mod handlers;
mod openapi;
pub mod reload;
mod requests;
pub mod schedule;
pub mod shed;
pub mod web;

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use axum::Router;
use axum::extract::DefaultBodyLimit;
pub use zhengce_corpus::Corpus;
use zhengce_engine::Snapshot;
use zhengce_model::Date;
use zhengce_model::clock::Clock;
use zhengce_store::Store;

/// Settings of a running service.
#[derive(Clone, Debug)]
pub struct Config {
    /// Mark cookies `Secure` (when served over TLS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// A session expires after this long without a request.
    pub session_idle_ms: i64,
    /// Requests served at once; more are refused with 503 at once (no queue).
    pub max_in_flight: usize,
    /// A request that takes longer is answered with 503.
    pub request_timeout: Duration,
    /// Which addresses push channels entered in the web UI may reach (SSRF guard).
    pub push_guard: zhengce_push::Guard,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            secure_cookies: false,
            session_idle_ms: 30 * 60 * 1000,
            max_in_flight: 64,
            request_timeout: Duration::from_secs(30),
            push_guard: zhengce_push::Guard::default(),
        }
    }
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// The corpus being served; replaced as a whole on reload, never changed in place.
    pub corpus: Arc<ArcSwap<Corpus>>,
    /// The store, when one is open.
    pub store: Option<Store>,
    /// The one clock of the service (injected, so tests pin it).
    pub clock: Arc<dyn Clock>,
    /// Settings.
    pub config: Arc<Config>,
    /// Failed-login counts.
    pub logins: Arc<auth::LoginLimiter>,
    /// In-flight request permits (load shedding).
    pub permits: Arc<tokio::sync::Semaphore>,
    /// What `GET /api/v1/corpus` reports: the served version and the last refusal.
    pub corpus_status: Arc<reload::StatusCell>,
    /// The push scheduler's handle: wakes it after edits and reloads, and reports its status.
    pub push: Arc<schedule::PushScheduler>,
}

impl AppState {
    /// A state serving `corpus` with `store`, `clock` and `config`.
    pub fn new(corpus: Corpus, store: Option<Store>, clock: Arc<dyn Clock>, config: Config) -> AppState {
        let permits = Arc::new(tokio::sync::Semaphore::new(config.max_in_flight));
        let corpus_status = Arc::new(reload::StatusCell::default());
        corpus_status.set(reload::CorpusStatus {
            version: corpus.snapshot.version().to_string(),
            loaded_at: clock.now_ms(),
            source: "embedded".into(),
            policies: corpus.snapshot.policies().len(),
            last_refusal: None,
        });
        AppState {
            corpus_status,
            corpus: Arc::new(ArcSwap::from_pointee(corpus)),
            store,
            clock,
            config: Arc::new(config),
            logins: Arc::default(),
            permits,
            push: Arc::default(),
        }
    }

    /// The corpus as of now (hold it for the whole request: a reload does not change it under you).
    pub fn corpus(&self) -> Arc<Corpus> {
        self.corpus.load_full()
    }
}

/// The largest request body accepted (a profile is a few KB).
pub const MAX_BODY: usize = 256 * 1024;

/// Every route of the API: (method, path). The OpenAPI test checks the document against it.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("POST", "/api/v1/match"),
    ("GET", "/api/v1/policies"),
    ("GET", "/api/v1/policies/{slug}"),
    ("GET", "/api/v1/policies/{slug}/enterprises"),
    ("GET", "/api/v1/enterprises"),
    ("GET", "/api/v1/enterprises/{code}"),
    ("PUT", "/api/v1/enterprises/{code}"),
    ("GET", "/api/v1/enterprises/{code}/matches"),
    ("POST", "/api/v1/login"),
    ("POST", "/api/v1/logout"),
    ("GET", "/api/v1/me"),
    ("POST", "/api/v1/tokens"),
    ("DELETE", "/api/v1/tokens/{label}"),
    ("GET", "/api/v1/corpus"),
    ("GET", "/api/v1/briefs"),
    ("GET", "/api/v1/requests"),
    ("POST", "/api/v1/requests"),
    ("GET", "/api/v1/requests/figures"),
    ("GET", "/api/v1/requests/{id}"),
    ("POST", "/api/v1/requests/{id}/actions"),
    ("GET", "/api/v1/openapi.json"),
    ("GET", "/api/docs"),
    ("GET", "/"),
    ("GET", "/check"),
    ("POST", "/check"),
    ("GET", "/policies"),
    ("GET", "/policies/{slug}"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/console"),
    ("GET", "/console/enterprises"),
    ("GET", "/console/enterprises/{code}"),
    ("GET", "/console/policies"),
    ("GET", "/console/policies/{slug}"),
    ("GET", "/console/policies/{slug}/export.xlsx"),
    ("GET", "/console/briefs"),
    ("GET", "/requests"),
    ("POST", "/requests"),
    ("GET", "/requests/{id}"),
    ("POST", "/requests/{id}"),
    ("POST", "/console/requests/visit"),
    ("GET", "/console/requests/figures"),
    ("GET", "/console/requests/figures.xlsx"),
    ("GET", "/static/htmx-2.0.11.min.js"),
    ("GET", "/static/zhengce.css"),
    ("GET", "/static/zhengce.js"),
];

/// Builds the router: the API (with its OpenAPI document and Swagger UI), then the shared layers.
pub fn router(state: AppState) -> Router {
    let (api, doc) = openapi::api();
    api.merge(utoipa_swagger_ui::SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", doc))
        .merge(web::routes())
        .fallback(handlers::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(state.clone(), shed::shed))
        .with_state(state)
}

/// The OpenAPI document of the API, as served at `/api/v1/openapi.json`.
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    openapi::api().1
}

/// Serves the router on `listener` until `shutdown` completes, then finishes in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

/// Matches every stored enterprise whose results for the current corpus and date are missing (or
/// were computed for another date: policies expire) and stores them, so "which enterprises qualify
/// for this policy" can be answered from the store. What is fresh is read in one query; each page's
/// reports are computed in parallel (rayon, on the calling task: meant for start-up, before
/// serving) and written in one transaction.
pub async fn refresh_matches(
    store: &Store,
    snapshot: &Snapshot,
    as_of: Date,
    clock: &dyn Clock,
) -> Result<usize, zhengce_store::StoreError> {
    use rayon::prelude::*;
    let filter = zhengce_store::profiles::EnterpriseFilter::default();
    let fresh = store.match_run_marks(snapshot.version()).await?;
    let as_of_text = as_of.to_string();
    let mut offset = 0;
    let mut done = 0;
    loop {
        let page = store.list_enterprises(&filter, 500, offset).await?;
        if page.is_empty() {
            break;
        }
        offset += page.len() as i64;
        let stale: Vec<_> = page
            .into_iter()
            .filter(|e| fresh.get(&e.credit_code).is_none_or(|(at, version)| *at != as_of_text || *version != e.version))
            .collect();
        // CPU work on this task: `serve` calls this once at start-up, before it listens.
        let reports: Vec<(String, zhengce_model::verdict::MatchReport)> = stale
            .par_iter()
            .filter_map(|e| {
                let p = snapshot.parse_profile_json(&serde_json::Value::Object(e.profile.clone())).ok()?;
                Some((e.credit_code.clone(), snapshot.match_profile(&p, as_of)))
            })
            .collect();
        let refs: Vec<(&str, &zhengce_model::verdict::MatchReport)> = reports.iter().map(|(c, r)| (c.as_str(), r)).collect();
        store.save_match_reports(&refs, clock.now_ms()).await?;
        done += refs.len();
    }
    Ok(done)
}
