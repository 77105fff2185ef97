//! Request handlers.

use std::collections::HashMap;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use zhengce_model::Date;
use zhengce_model::policy::{Dimension, Level};
use zhengce_model::verdict::Status;
use zhengce_search::SearchOptions;
use zhengce_store::Change;

use crate::AppState;
use crate::error::ApiError;

type Params = Query<HashMap<String, String>>;

fn as_of(state: &AppState, params: &HashMap<String, String>) -> Result<Date, ApiError> {
    match params.get("at") {
        Some(s) => s.parse().map_err(|_| ApiError::bad_request(format!("at=`{s}` 不是有效日期，应为 YYYY-MM-DD"))),
        None => Ok((state.today)()),
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

fn field_errors(errs: &[zhengce_rules::FieldError]) -> ApiError {
    let detail: Vec<Value> = errs.iter().map(|e| json!({"field": e.field, "message": e.message})).collect();
    let first = errs.first().map(|e| e.message.clone()).unwrap_or_default();
    ApiError::invalid(format!("企业画像有 {} 处错误：{first}", errs.len()), Value::Array(detail))
}

/// `GET /healthz`.
pub(crate) async fn healthz(State(state): State<AppState>) -> Json<Value> {
    Json(
        json!({"status": "ok", "rules_version": state.corpus.snapshot.version(), "policies": state.corpus.snapshot.policies().len()}),
    )
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
    Ok(Json(json!({"query": q, "hits": results.hits, "total": results.total, "facets": results.facets})))
}

/// `GET /api/v1/policies/{slug}`: one policy with its text and criteria.
pub(crate) async fn policy(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Json<Value>, ApiError> {
    let snap = &state.corpus.snapshot;
    let p = snap.policy(&slug).ok_or_else(|| ApiError::not_found(format!("没有政策 `{slug}`")))?;
    let mut v = serde_json::to_value(p).map_err(ApiError::internal)?;
    if let Some(rule) = snap.rule(&slug) {
        let params: Vec<Value> = rule.params.iter().map(|(name, values)| json!({"name": name, "values": values})).collect();
        v["criteria"] = json!({"file": rule.file, "parameters": params, "near_miss_margin": rule.margin});
    }
    v["badge"] = json!(p.meta.marking.badge());
    Ok(Json(v))
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
    let items: Vec<Value> = rows
        .iter()
        .map(|m| json!({"enterprise": m.credit_code, "status": m.status, "amount_wan": m.amount_wan, "result": m.result}))
        .collect();
    Ok(Json(json!({"policy": slug, "rules_version": snap.version(), "enterprises": items})))
}

/// `GET /api/v1/enterprises/{code}` (officers).
pub(crate) async fn get_enterprise(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    officer(&state, &headers)?;
    let e = store(&state)?.enterprise(&code).await?.ok_or_else(|| ApiError::not_found(format!("没有企业 `{code}`")))?;
    Ok(Json(json!({"credit_code": e.credit_code, "version": e.version, "profile": e.profile, "updated_at": e.updated_at})))
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
    let change = Change { by: "officer", at_ms: zhengce_store::now_ms(), source: "api" };
    let outcome = store(&state)?.put_profile(&code, &obj, &change).await?;
    let report = snap.match_profile(&profile, (state.today)());
    store(&state)?.save_match_report(&code, &report, zhengce_store::now_ms()).await?;
    Ok(Json(json!({"credit_code": code, "outcome": format!("{outcome:?}")})))
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
