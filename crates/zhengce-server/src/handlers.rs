//! Request handlers.

use std::collections::HashMap;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;
use serde_json::{Value, json};
use zhengce_engine::{Criteria, FieldError};
use zhengce_model::Date;
use zhengce_model::policy::{Dimension, Level, Policy};
use zhengce_model::verdict::Status;
use zhengce_search::{Facets, Hit, SearchOptions};
use zhengce_store::Change;
use zhengce_store::profiles::PutOutcome;

use crate::AppState;
use crate::error::ApiError;

type Params = Query<HashMap<String, String>>;

fn as_of(state: &AppState, params: &HashMap<String, String>) -> Result<Date, ApiError> {
    match params.get("at") {
        Some(s) => s.parse().map_err(|_| ApiError::bad_request(format!("at=`{s}` 不是有效日期，应为 YYYY-MM-DD"))),
        None => Ok(state.clock.today()),
    }
}

fn officer(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let given = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    match given {
        Some(t) if crate::token_hash(t.trim()) == state.officer_token_sha256 => Ok(()),
        _ => Err(ApiError::unauthorized()),
    }
}

fn store(state: &AppState) -> Result<&zhengce_store::Store, ApiError> {
    state.store.as_ref().ok_or_else(|| ApiError::unavailable("企业库未打开"))
}

fn json_body(body: Result<Json<Value>, JsonRejection>) -> Result<Value, ApiError> {
    match body {
        Ok(Json(v)) => Ok(v),
        Err(JsonRejection::BytesRejection(_)) => {
            Err(ApiError::with_status(StatusCode::PAYLOAD_TOO_LARGE, "too_large", format!("请求体超过 {} 字节", crate::MAX_BODY)))
        }
        Err(e) => Err(ApiError::bad_request(format!("请求体不是有效的 JSON：{}", e.body_text()))),
    }
}

fn field_errors(errs: &[FieldError]) -> ApiError {
    let detail: Vec<Value> = errs.iter().map(|e| json!({"field": e.field, "message": e.message})).collect();
    let first = errs.first().map(|e| e.message.clone()).unwrap_or_default();
    ApiError::invalid(format!("企业画像有 {} 处错误：{first}", errs.len()), Value::Array(detail))
}

/// The answer of `GET /healthz`.
#[derive(Serialize)]
pub struct Health<'a> {
    /// Always `ok` when the process answers.
    pub status: &'static str,
    /// The corpus being served.
    pub rules_version: &'a str,
    /// How many policies it holds.
    pub policies: usize,
}

/// `GET /healthz`.
pub(crate) async fn healthz(State(state): State<AppState>) -> Json<Value> {
    let snap = &state.corpus.snapshot;
    Json(json!(Health { status: "ok", rules_version: snap.version(), policies: snap.policies().len() }))
}

/// Unknown routes.
pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found("没有这个接口")
}

/// `POST /api/v1/match?at=`: a profile in, the match report out.
pub(crate) async fn match_profile(
    State(state): State<AppState>,
    Query(params): Params,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let at = as_of(&state, &params)?;
    let value = json_body(body)?;
    let snap = &state.corpus.snapshot;
    let profile = snap.parse_profile_json(&value).map_err(|e| field_errors(&e))?;
    let report = snap.match_profile(&profile, at);
    serde_json::to_value(report).map(Json).map_err(ApiError::internal)
}

fn parse_list<T>(params: &HashMap<String, String>, key: &str, all: &[T], name: fn(&T) -> &'static str) -> Result<Vec<T>, ApiError>
where
    T: Copy,
{
    let Some(raw) = params.get(key) else { return Ok(Vec::new()) };
    raw.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            all.iter().copied().find(|x| name(x) == s).ok_or_else(|| {
                let allowed: Vec<&str> = all.iter().map(name).collect();
                ApiError::bad_request(format!("{key}=`{s}` 无效，可选：{}", allowed.join("、")))
            })
        })
        .collect()
}

/// `GET /api/v1/policies?q=&level=&dimension=&limit=`: search (or list, without `q`).
pub(crate) async fn search_policies(State(state): State<AppState>, Query(params): Params) -> Result<Json<Value>, ApiError> {
    let at = as_of(&state, &params)?;
    let mut opts = SearchOptions::new(at);
    opts.levels = parse_list(&params, "level", &Level::ALL, |l| l.as_str())?;
    opts.dimensions = parse_list(&params, "dimension", &Dimension::ALL, |d| d.as_str())?;
    if let Some(l) = params.get("limit") {
        opts.limit = l.parse::<usize>().map_err(|_| ApiError::bad_request("limit 应为正整数"))?.clamp(1, 100);
    }
    let q = params.get("q").map(String::as_str).unwrap_or_default();
    if q.chars().count() > 256 {
        return Err(ApiError::bad_request("查询过长（最多 256 个字符）"));
    }
    let results = state.corpus.search.search(q, &opts).map_err(ApiError::internal)?;
    let answer = SearchAnswer { query: q, hits: &results.hits, total: results.total, facets: &results.facets };
    serde_json::to_value(answer).map(Json).map_err(ApiError::internal)
}

/// The answer of `GET /api/v1/policies` (the `search --format json` shape plus total and facets).
#[derive(Serialize)]
pub struct SearchAnswer<'a> {
    /// The query as given.
    pub query: &'a str,
    /// Hits, best first.
    pub hits: &'a [Hit],
    /// How many policies matched in all.
    pub total: usize,
    /// Counts by level, dimension, ….
    pub facets: &'a Facets,
}

/// The answer of `GET /api/v1/policies/{slug}`: the policy as stored, its criteria and badge.
#[derive(Serialize)]
pub struct PolicyDetail<'a> {
    /// The policy (front matter and text).
    #[serde(flatten)]
    pub policy: &'a Policy,
    /// The rule's file, parameters and near-miss margin, when the policy has a rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub criteria: Option<Criteria<'a>>,
    /// The marking badge to show (草案/待核实, 示例, 历史政策), if any.
    pub badge: Option<&'static str>,
}

/// `GET /api/v1/policies/{slug}`: one policy with its text and criteria.
pub(crate) async fn policy(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Json<Value>, ApiError> {
    let snap = &state.corpus.snapshot;
    let p = snap.policy(&slug).ok_or_else(|| ApiError::not_found(format!("没有政策 `{slug}`")))?;
    let detail = PolicyDetail { policy: p, criteria: snap.criteria(&slug), badge: p.meta.marking.badge() };
    serde_json::to_value(detail).map(Json).map_err(ApiError::internal)
}

/// `GET /api/v1/policies/{slug}/enterprises?status=eligible,near_miss` (officers).
pub(crate) async fn policy_enterprises(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Query(params): Params,
) -> Result<Json<Value>, ApiError> {
    officer(&state, &headers)?;
    let snap = &state.corpus.snapshot;
    if snap.policy(&slug).is_none() {
        return Err(ApiError::not_found(format!("没有政策 `{slug}`")));
    }
    let statuses =
        parse_list(&params, "status", &[Status::Eligible, Status::Possible, Status::NearMiss, Status::Ineligible], |s| {
            s.as_str()
        })?;
    let rows = store(&state)?.matches_for_policy(&slug, snap.version(), &statuses).await?;
    let enterprises = rows
        .iter()
        .map(|m| EnterpriseStanding { enterprise: &m.credit_code, status: m.status, amount_wan: m.amount_wan, result: &m.result })
        .collect();
    let answer = PolicyEnterprises { policy: &slug, rules_version: snap.version(), enterprises };
    serde_json::to_value(answer).map(Json).map_err(ApiError::internal)
}

/// The answer of `GET /api/v1/policies/{slug}/enterprises` (政策找企业).
#[derive(Serialize)]
pub struct PolicyEnterprises<'a> {
    /// The policy slug.
    pub policy: &'a str,
    /// The corpus the stored results come from.
    pub rules_version: &'a str,
    /// The enterprises with one of the asked statuses, best first.
    pub enterprises: Vec<EnterpriseStanding<'a>>,
}

/// One enterprise's standing for one policy.
#[derive(Serialize)]
pub struct EnterpriseStanding<'a> {
    /// Credit code.
    pub enterprise: &'a str,
    /// The verdict.
    pub status: Status,
    /// Estimated amount in 万元, when computable.
    pub amount_wan: Option<f64>,
    /// The full policy result (`contracts.md` shape).
    pub result: &'a Value,
}

/// The answer of `GET /api/v1/enterprises/{code}`.
#[derive(Serialize)]
pub struct EnterpriseAnswer<'a> {
    /// Credit code.
    pub credit_code: &'a str,
    /// Current profile version.
    pub version: i64,
    /// The stored profile.
    pub profile: &'a serde_json::Map<String, Value>,
    /// When the current version was written (Unix ms).
    pub updated_at: i64,
}

/// The answer of `PUT /api/v1/enterprises/{code}`.
#[derive(Serialize)]
pub struct PutAnswer<'a> {
    /// Credit code.
    pub credit_code: &'a str,
    /// `created`, `updated` or `unchanged`.
    pub outcome: &'static str,
    /// The profile version now current.
    pub version: i64,
}

/// `GET /api/v1/enterprises/{code}` (officers).
pub(crate) async fn get_enterprise(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    officer(&state, &headers)?;
    let e = store(&state)?.enterprise(&code).await?.ok_or_else(|| ApiError::not_found(format!("没有企业 `{code}`")))?;
    let answer =
        EnterpriseAnswer { credit_code: &e.credit_code, version: e.version, profile: &e.profile, updated_at: e.updated_at };
    serde_json::to_value(answer).map(Json).map_err(ApiError::internal)
}

/// `PUT /api/v1/enterprises/{code}` (officers): a new profile version, validated against the schema.
pub(crate) async fn put_enterprise(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    officer(&state, &headers)?;
    let mut value = json_body(body)?;
    if let Some(obj) = value.as_object_mut() {
        obj.entry("credit_code").or_insert_with(|| Value::String(code.clone()));
    }
    let snap = &state.corpus.snapshot;
    let profile = snap.parse_profile_json(&value).map_err(|e| field_errors(&e))?;
    let Value::Object(obj) = serde_json::to_value(&profile).map_err(ApiError::internal)? else {
        return Err(ApiError::internal("profile did not serialise to an object"));
    };
    let change = Change { by: "officer", at_ms: state.clock.now_ms(), source: "api" };
    let outcome = store(&state)?.put_profile(&code, &obj, &change).await?;
    let report = snap.match_profile(&profile, state.clock.today());
    store(&state)?.save_match_report(&code, &report, state.clock.now_ms()).await?;
    let (outcome, version) = match outcome {
        PutOutcome::Created => ("created", 1),
        PutOutcome::Updated { version } => ("updated", version),
        PutOutcome::Unchanged { version } => ("unchanged", version),
    };
    serde_json::to_value(PutAnswer { credit_code: &code, outcome, version }).map(Json).map_err(ApiError::internal)
}

/// `GET /api/v1/enterprises/{code}/matches?at=` (officers): the stored profile matched now.
pub(crate) async fn enterprise_matches(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
    Query(params): Params,
) -> Result<Json<Value>, ApiError> {
    officer(&state, &headers)?;
    let at = as_of(&state, &params)?;
    let e = store(&state)?.enterprise(&code).await?.ok_or_else(|| ApiError::not_found(format!("没有企业 `{code}`")))?;
    let snap = &state.corpus.snapshot;
    let profile = snap.parse_profile_json(&Value::Object(e.profile)).map_err(|e| field_errors(&e))?;
    let report = snap.match_profile(&profile, at);
    serde_json::to_value(report).map(Json).map_err(ApiError::internal)
}
