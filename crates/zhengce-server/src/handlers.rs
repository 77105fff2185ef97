//! Request handlers.

use std::collections::HashMap;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
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
use crate::auth::{self, Caller, Via};
use crate::error::ApiError;

type Params = Query<HashMap<String, String>>;

fn as_of(state: &AppState, params: &HashMap<String, String>) -> Result<Date, ApiError> {
    match params.get("at") {
        Some(s) => s.parse().map_err(|_| ApiError::bad_request(format!("at=`{s}` 不是有效日期，应为 YYYY-MM-DD"))),
        None => Ok(state.clock.today()),
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
#[utoipa::path(get, path = "/healthz", tag = "运维", responses((status = 200, description = "进程存活", body = serde_json::Value)))]
pub(crate) async fn healthz(State(state): State<AppState>) -> Json<Value> {
    let corpus = state.corpus();
    let snap = &corpus.snapshot;
    Json(json!(Health { status: "ok", rules_version: snap.version(), policies: snap.policies().len() }))
}

/// Unknown routes.
pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found("没有这个接口")
}

/// `POST /api/v1/match?at=`: a profile in, the match report out.
#[utoipa::path(post, path = "/api/v1/match", tag = "匹配", params(("at" = Option<String>, Query, description = "匹配日期 YYYY-MM-DD，默认今天")), request_body(content = serde_json::Value, description = "企业画像（profile-fields.md 字段）"), responses((status = 200, description = "每项在有效期内政策的结论，最优在前（contracts.md）", body = serde_json::Value), (status = 400, description = "请求有误", body = crate::openapi::ErrorBody), (status = 413, description = "请求体过大", body = crate::openapi::ErrorBody), (status = 422, description = "企业画像字段有误，逐字段说明", body = crate::openapi::ErrorBody)))]
pub(crate) async fn match_profile(
    State(state): State<AppState>,
    Query(params): Params,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    let at = as_of(&state, &params)?;
    let value = json_body(body)?;
    let corpus = state.corpus();
    let gzip = accepts_gzip(&headers);
    // Matching, serialising and compressing are about 0.1 ms of CPU, done right here on the async
    // worker (handing each request to the blocking pool cost a fifth of the throughput: a thread
    // wake-up and a cold cache per request). Yielding once first lets the worker poll the other
    // requests that are ready, so they reach the load-shedding layer and take their in-flight
    // permits; under overload the excess is then answered 503 at once instead of queueing unseen
    // in front of the workers. The report is written straight to bytes (no intermediate tree).
    tokio::task::yield_now().await;
    let body = (move || {
        let snap = &corpus.snapshot;
        let profile = snap.parse_profile_json(&value).map_err(|e| field_errors(&e))?;
        let report = snap.match_profile(&profile, at);
        let mut out = Vec::with_capacity(64 * 1024);
        serde_json::to_writer(&mut out, &report).map_err(ApiError::internal)?;
        if gzip {
            // Compressed in one call: the serialiser's many small writes straight into the
            // encoder cost more than the copy.
            let mut z = flate2::write::GzEncoder::new(Vec::with_capacity(out.len() / 3), flate2::Compression::new(GZIP_LEVEL));
            std::io::Write::write_all(&mut z, &out).map_err(ApiError::internal)?;
            out = z.finish().map_err(ApiError::internal)?;
        }
        Ok::<_, ApiError>(out)
    })()?;
    let mut resp =
        ([(header::CONTENT_TYPE, "application/json"), (header::VARY, "accept-encoding")], axum::body::Body::from(body))
            .into_response();
    if gzip {
        resp.headers_mut().insert(header::CONTENT_ENCODING, axum::http::HeaderValue::from_static("gzip"));
    }
    Ok(resp)
}

/// gzip level of match reports: 1 (fastest) shrinks the 78 KB report of the SME fixture to about
/// 25 KB; higher levels cost several times the CPU for a few KB more (measured in BENCHMARKS.md).
const GZIP_LEVEL: u32 = 1;

/// Whether the client accepts gzip (`Accept-Encoding: gzip`, not refused with `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|item| {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim();
        let refused = parts.any(|p| {
            let p = p.trim();
            p.strip_prefix("q=").is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
        });
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
    })
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
#[utoipa::path(get, path = "/api/v1/policies", tag = "政策", params(("q" = Option<String>, Query, description = "日常用语查询"), ("level" = Option<String>, Query, description = "national,province,city,county"), ("dimension" = Option<String>, Query, description = "employment,financing,technology,digital,tax"), ("limit" = Option<usize>, Query, description = "1–100"), ("at" = Option<String>, Query, description = "匹配日期 YYYY-MM-DD，默认今天")), responses((status = 200, description = "检索结果", body = serde_json::Value), (status = 400, description = "请求有误", body = crate::openapi::ErrorBody)))]
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
    let results = state.corpus().search.search(q, &opts).map_err(ApiError::internal)?;
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
#[utoipa::path(get, path = "/api/v1/policies/{slug}", tag = "政策", params(("slug" = String, Path, description = "政策标识")), responses((status = 200, description = "政策全文、条件与来源", body = serde_json::Value), (status = 404, description = "不存在（或无权查看）", body = crate::openapi::ErrorBody)))]
pub(crate) async fn policy(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Json<Value>, ApiError> {
    let corpus = state.corpus();
    let snap = &corpus.snapshot;
    let p = snap.policy(&slug).ok_or_else(|| ApiError::not_found(format!("没有政策 `{slug}`")))?;
    let detail = PolicyDetail { policy: p, criteria: snap.criteria(&slug), badge: p.meta.marking.badge() };
    serde_json::to_value(detail).map(Json).map_err(ApiError::internal)
}

/// `GET /api/v1/policies/{slug}/enterprises?status=eligible,near_miss` (officers).
#[utoipa::path(get, path = "/api/v1/policies/{slug}/enterprises", tag = "政策找企业", security(("token" = []), ("session" = [])), params(("slug" = String, Path, description = "政策标识"), ("status" = Option<String>, Query, description = "eligible,possible,near_miss,ineligible")), responses((status = 200, description = "符合、可能符合或差一点的企业", body = serde_json::Value), (status = 401, description = "未登录", body = crate::openapi::ErrorBody), (status = 403, description = "无权访问或 CSRF 校验失败", body = crate::openapi::ErrorBody), (status = 404, description = "不存在（或无权查看）", body = crate::openapi::ErrorBody)))]
pub(crate) async fn policy_enterprises(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    Query(params): Params,
) -> Result<Json<Value>, ApiError> {
    auth::require_staff(&caller)?;
    let corpus = state.corpus();
    let snap = &corpus.snapshot;
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

/// `GET /api/v1/enterprises/{code}` (staff, or the enterprise itself).
#[utoipa::path(get, path = "/api/v1/enterprises/{code}", tag = "企业", security(("token" = []), ("session" = [])), params(("code" = String, Path, description = "统一社会信用代码")), responses((status = 200, description = "当前企业画像", body = serde_json::Value), (status = 401, description = "未登录", body = crate::openapi::ErrorBody), (status = 404, description = "不存在（或无权查看）", body = crate::openapi::ErrorBody)))]
pub(crate) async fn get_enterprise(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    auth::require_enterprise_access(&caller, &code)?;
    let e = store(&state)?.enterprise(&code).await?.ok_or_else(|| ApiError::not_found(format!("没有企业 `{code}`")))?;
    let answer =
        EnterpriseAnswer { credit_code: &e.credit_code, version: e.version, profile: &e.profile, updated_at: e.updated_at };
    serde_json::to_value(answer).map(Json).map_err(ApiError::internal)
}

/// `PUT /api/v1/enterprises/{code}` (staff, or the enterprise itself): a new profile version,
/// validated against the schema, audited with the actor.
#[utoipa::path(put, path = "/api/v1/enterprises/{code}", tag = "企业", security(("token" = []), ("session" = [])), params(("code" = String, Path, description = "统一社会信用代码")), request_body(content = serde_json::Value, description = "企业画像"), responses((status = 200, description = "created / updated / unchanged 及版本号", body = serde_json::Value), (status = 400, description = "请求有误", body = crate::openapi::ErrorBody), (status = 401, description = "未登录", body = crate::openapi::ErrorBody), (status = 403, description = "无权访问或 CSRF 校验失败", body = crate::openapi::ErrorBody), (status = 404, description = "不存在（或无权查看）", body = crate::openapi::ErrorBody), (status = 422, description = "企业画像字段有误，逐字段说明", body = crate::openapi::ErrorBody)))]
pub(crate) async fn put_enterprise(
    State(state): State<AppState>,
    caller: Caller,
    method: Method,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let p = auth::require_enterprise_access(&caller, &code)?;
    auth::check_csrf(p, &method, &headers, None)?;
    let mut value = json_body(body)?;
    if let Some(obj) = value.as_object_mut() {
        obj.entry("credit_code").or_insert_with(|| Value::String(code.clone()));
    }
    let corpus = state.corpus();
    let snap = &corpus.snapshot;
    let profile = snap.parse_profile_json(&value).map_err(|e| field_errors(&e))?;
    let Value::Object(obj) = serde_json::to_value(&profile).map_err(ApiError::internal)? else {
        return Err(ApiError::internal("profile did not serialise to an object"));
    };
    let actor = p.user.actor();
    let change = Change { by: &actor, at_ms: state.clock.now_ms(), source: "api" };
    let outcome = store(&state)?.put_profile(&code, &obj, &change).await?;
    let report = snap.match_profile(&profile, state.clock.today());
    store(&state)?.save_match_report(&code, &report, state.clock.now_ms()).await?;
    if !matches!(outcome, PutOutcome::Unchanged { .. }) {
        state.push.wake("企业信息变更");
    }
    let (outcome, version) = match outcome {
        PutOutcome::Created => ("created", 1),
        PutOutcome::Updated { version } => ("updated", version),
        PutOutcome::Unchanged { version } => ("unchanged", version),
    };
    serde_json::to_value(PutAnswer { credit_code: &code, outcome, version }).map(Json).map_err(ApiError::internal)
}

/// `GET /api/v1/enterprises/{code}/matches?at=` (staff, or the enterprise itself): the stored
/// profile matched now.
#[utoipa::path(get, path = "/api/v1/enterprises/{code}/matches", tag = "企业", security(("token" = []), ("session" = [])), params(("code" = String, Path, description = "统一社会信用代码"), ("at" = Option<String>, Query, description = "匹配日期 YYYY-MM-DD，默认今天")), responses((status = 200, description = "该企业的匹配结果", body = serde_json::Value), (status = 401, description = "未登录", body = crate::openapi::ErrorBody), (status = 404, description = "不存在（或无权查看）", body = crate::openapi::ErrorBody)))]
pub(crate) async fn enterprise_matches(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    Query(params): Params,
) -> Result<Json<Value>, ApiError> {
    auth::require_enterprise_access(&caller, &code)?;
    let at = as_of(&state, &params)?;
    let e = store(&state)?.enterprise(&code).await?.ok_or_else(|| ApiError::not_found(format!("没有企业 `{code}`")))?;
    let corpus = state.corpus();
    let snap = &corpus.snapshot;
    let profile = snap.parse_profile_json(&Value::Object(e.profile)).map_err(|e| field_errors(&e))?;
    let report = snap.match_profile(&profile, at);
    serde_json::to_value(report).map(Json).map_err(ApiError::internal)
}

/// The answer of `GET /readyz`.
#[derive(Serialize)]
pub struct Ready<'a> {
    /// `ready` when the corpus is loaded and the store answers.
    pub status: &'static str,
    /// The corpus being served.
    pub rules_version: &'a str,
    /// Whether the store answered.
    pub store: bool,
}

/// `GET /readyz`: the corpus is loaded and the store answers (503 otherwise).
#[utoipa::path(get, path = "/readyz", tag = "运维", responses((status = 200, description = "规则库已加载、企业库可用", body = serde_json::Value), (status = 503, description = "尚未就绪", body = serde_json::Value)))]
pub(crate) async fn readyz(State(state): State<AppState>) -> Response {
    let corpus = state.corpus();
    let store_ok = match &state.store {
        Some(s) => s.user_count().await.is_ok(),
        None => false,
    };
    let ready = store_ok && corpus.snapshot.schema().is_some();
    let body = Json(json!(Ready {
        status: if ready { "ready" } else { "not_ready" },
        rules_version: corpus.snapshot.version(),
        store: store_ok
    }));
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, body).into_response()
}

/// One enterprise in a list.
#[derive(Serialize)]
pub struct EnterpriseListItem<'a> {
    /// Credit code.
    pub credit_code: &'a str,
    /// Name, when known.
    pub name: Option<&'a str>,
    /// Town.
    pub town: Option<&'a str>,
    /// Industrial park.
    pub park: Option<&'a str>,
    /// Chamber of commerce.
    pub chamber: Option<&'a str>,
    /// Current profile version.
    pub version: i64,
}

/// The answer of `GET /api/v1/enterprises`.
#[derive(Serialize)]
pub struct EnterpriseList<'a> {
    /// The page of enterprises, by credit code.
    pub enterprises: Vec<EnterpriseListItem<'a>>,
    /// The offset of this page.
    pub offset: i64,
    /// The page size asked for.
    pub limit: i64,
}

/// `GET /api/v1/enterprises?town=&park=&chamber=&limit=&offset=` (staff): enterprises, filtered.
#[utoipa::path(get, path = "/api/v1/enterprises", tag = "企业", security(("token" = []), ("session" = [])), params(("town" = Option<String>, Query, description = "镇街"), ("park" = Option<String>, Query, description = "园区"), ("chamber" = Option<String>, Query, description = "商会"), ("limit" = Option<i64>, Query, description = "1–1000"), ("offset" = Option<i64>, Query, description = "偏移")), responses((status = 200, description = "企业列表", body = serde_json::Value), (status = 401, description = "未登录", body = crate::openapi::ErrorBody), (status = 403, description = "无权访问或 CSRF 校验失败", body = crate::openapi::ErrorBody)))]
pub(crate) async fn list_enterprises(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Params,
) -> Result<Json<Value>, ApiError> {
    auth::require_staff(&caller)?;
    let filter = zhengce_store::profiles::EnterpriseFilter {
        town: params.get("town").cloned(),
        park: params.get("park").cloned(),
        chamber: params.get("chamber").cloned(),
    };
    let number = |k: &str, d: i64| -> Result<i64, ApiError> {
        params.get(k).map_or(Ok(d), |v| v.parse::<i64>().map_err(|_| ApiError::bad_request(format!("{k} 应为非负整数"))))
    };
    let limit = number("limit", 100)?.clamp(1, 1000);
    let offset = number("offset", 0)?.max(0);
    let rows = store(&state)?.list_enterprises(&filter, limit, offset).await?;
    let text = |e: &zhengce_store::profiles::Enterprise, k: &str| e.profile.get(k).and_then(Value::as_str).map(str::to_owned);
    let owned: Vec<(String, Option<String>, Option<String>, Option<String>, Option<String>, i64)> = rows
        .iter()
        .map(|e| (e.credit_code.clone(), text(e, "name"), text(e, "town"), text(e, "park"), text(e, "chamber"), e.version))
        .collect();
    let enterprises = owned
        .iter()
        .map(|(c, n, t, p, ch, v)| EnterpriseListItem {
            credit_code: c,
            name: n.as_deref(),
            town: t.as_deref(),
            park: p.as_deref(),
            chamber: ch.as_deref(),
            version: *v,
        })
        .collect();
    serde_json::to_value(EnterpriseList { enterprises, offset, limit }).map(Json).map_err(ApiError::internal)
}

/// The body of `POST /api/v1/login`.
#[derive(serde::Deserialize)]
pub struct LoginBody {
    /// User name.
    pub name: String,
    /// Password.
    pub password: String,
}

/// Who is logged in, and the CSRF token their cookie writes must carry.
#[derive(Serialize)]
pub struct Me<'a> {
    /// The user.
    pub user: &'a zhengce_store::accounts::User,
    /// For cookie sessions: send it as `x-csrf-token` on writes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf: Option<&'a str>,
}

/// Logs in with a name and password; on success the session cookie is set. Shared by the API
/// and the login form. Rate-limited per name and per client.
pub(crate) async fn do_login(
    state: &AppState,
    name: &str,
    password: &str,
    client: &str,
) -> Result<(String, zhengce_store::accounts::Session), ApiError> {
    let now = state.clock.now_ms();
    let keys = [
        (format!("name:{}", name.to_lowercase()), auth::MAX_LOGIN_FAILURES),
        (format!("client:{client}"), auth::MAX_CLIENT_FAILURES),
    ];
    if let Some(secs) = state.logins.blocked(&keys, now) {
        return Err(ApiError::too_many(secs));
    }
    match store(state)?.login(name, password, now).await? {
        Some(ok) => {
            state.logins.succeed(&keys[0].0);
            Ok(ok)
        }
        None => {
            state.logins.fail(&keys, now);
            Err(ApiError::with_status(StatusCode::UNAUTHORIZED, "bad_credentials", "用户名或密码不正确"))
        }
    }
}

/// The client's address for rate limiting: the socket peer when known.
pub(crate) fn client_key(headers: &HeaderMap, peer: Option<std::net::SocketAddr>) -> String {
    let _ = headers;
    peer.map_or_else(|| "local".to_string(), |p| p.ip().to_string())
}

/// `POST /api/v1/login` `{"name", "password"}`: sets the session cookie; answers who and the CSRF token.
#[utoipa::path(post, path = "/api/v1/login", tag = "账号", request_body(content = serde_json::Value, description = "{\"name\", \"password\"}"), responses((status = 200, description = "已登录：设置会话 Cookie，返回用户与 CSRF 令牌", body = serde_json::Value), (status = 401, description = "用户名或密码不正确", body = crate::openapi::ErrorBody), (status = 429, description = "尝试次数过多（带 Retry-After）", body = crate::openapi::ErrorBody)))]
pub(crate) async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    peer: auth::Peer,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    let v = json_body(body)?;
    let body: LoginBody =
        serde_json::from_value(v).map_err(|e| ApiError::bad_request(format!("请求体应为 {{\"name\", \"password\"}}：{e}")))?;
    let client = client_key(&headers, peer.0);
    let (secret, session) = do_login(&state, &body.name, &body.password, &client).await?;
    let cookie = auth::set_cookie(&state, auth::SESSION_COOKIE, &secret, state.config.session_idle_ms / 1000);
    let me = Me { user: &session.user, csrf: Some(&session.csrf) };
    let mut resp = Json(json!(me)).into_response();
    resp.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(resp)
}

/// `POST /api/v1/logout`: ends the cookie session.
#[utoipa::path(post, path = "/api/v1/logout", tag = "账号", security(("session" = [])), responses((status = 200, description = "已退出", body = serde_json::Value), (status = 401, description = "未登录", body = crate::openapi::ErrorBody), (status = 403, description = "无权访问或 CSRF 校验失败", body = crate::openapi::ErrorBody)))]
pub(crate) async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let p = auth::require_user(&caller)?;
    auth::check_csrf(p, &method, &headers, None)?;
    if let Via::Session { secret, .. } = &p.via {
        store(&state)?.logout(secret).await?;
    }
    let mut resp = Json(json!({"status": "logged_out"})).into_response();
    resp.headers_mut().insert(header::SET_COOKIE, auth::set_cookie(&state, auth::SESSION_COOKIE, "", 0));
    Ok(resp)
}

/// `GET /api/v1/me`.
#[utoipa::path(get, path = "/api/v1/me", tag = "账号", security(("token" = []), ("session" = [])), responses((status = 200, description = "当前用户", body = serde_json::Value), (status = 401, description = "未登录", body = crate::openapi::ErrorBody)))]
pub(crate) async fn me(caller: Caller) -> Result<Json<Value>, ApiError> {
    let p = auth::require_user(&caller)?;
    Ok(Json(json!(Me { user: &p.user, csrf: p.csrf() })))
}

/// The body of `POST /api/v1/tokens`.
#[derive(serde::Deserialize)]
pub struct TokenBody {
    /// A label to tell tokens apart (and revoke by).
    pub label: String,
}

/// The answer of `POST /api/v1/tokens`: the token in clear, shown once.
#[derive(Serialize)]
pub struct IssuedToken<'a> {
    /// The label.
    pub label: &'a str,
    /// The token; only its hash is stored.
    pub token: &'a str,
}

/// `POST /api/v1/tokens` `{"label"}`: a new API token for the caller.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "账号", security(("token" = []), ("session" = [])), request_body(content = serde_json::Value, description = "{\"label\"}"), responses((status = 200, description = "新令牌（只显示一次）", body = serde_json::Value), (status = 401, description = "未登录", body = crate::openapi::ErrorBody), (status = 403, description = "无权访问或 CSRF 校验失败", body = crate::openapi::ErrorBody), (status = 422, description = "企业画像字段有误，逐字段说明", body = crate::openapi::ErrorBody)))]
pub(crate) async fn issue_token(
    State(state): State<AppState>,
    caller: Caller,
    method: Method,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let p = auth::require_user(&caller)?;
    auth::check_csrf(p, &method, &headers, None)?;
    let body: TokenBody =
        serde_json::from_value(json_body(body)?).map_err(|e| ApiError::bad_request(format!("请求体应为 {{\"label\"}}：{e}")))?;
    let label = body.label.trim();
    if label.is_empty() || label.chars().count() > 64 {
        return Err(ApiError::invalid(
            "令牌名称不能为空，且不超过64个字符",
            json!([{"field": "label", "message": "长度应为1–64个字符"}]),
        ));
    }
    let token = store(&state)?.issue_token(&p.user, label, state.clock.now_ms()).await?;
    Ok(Json(json!(IssuedToken { label, token: &token })))
}

/// `DELETE /api/v1/tokens/{label}`: revokes the caller's tokens with that label.
#[utoipa::path(delete, path = "/api/v1/tokens/{label}", tag = "账号", security(("token" = []), ("session" = [])), params(("label" = String, Path, description = "令牌名称")), responses((status = 200, description = "已吊销", body = serde_json::Value), (status = 401, description = "未登录", body = crate::openapi::ErrorBody), (status = 404, description = "不存在（或无权查看）", body = crate::openapi::ErrorBody)))]
pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    method: Method,
    headers: HeaderMap,
    Path(label): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let p = auth::require_user(&caller)?;
    auth::check_csrf(p, &method, &headers, None)?;
    let n = store(&state)?.revoke_tokens(&p.user, &label, &p.user.actor(), state.clock.now_ms()).await?;
    if n == 0 {
        return Err(ApiError::not_found(format!("没有名为 `{label}` 的有效令牌")));
    }
    Ok(Json(json!({"label": label, "revoked": n})))
}

/// `GET /api/v1/corpus`: the corpus version being served, when it was loaded, and the last refused
/// corpus with its diagnostics.
#[utoipa::path(get, path = "/api/v1/corpus", tag = "运维", responses((status = 200, description = "当前规则库版本、加载时间、最近一次被拒绝的规则库及其问题", body = serde_json::Value)))]
pub(crate) async fn corpus_status(State(state): State<AppState>) -> Json<Value> {
    Json(json!(state.corpus_status.get()))
}
