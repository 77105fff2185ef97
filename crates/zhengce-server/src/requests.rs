//! Enterprise requests (诉求) over HTTP: the JSON API under `/api/v1/requests` and what the web
//! pages share with it (who may see which request, parsing actions, policy linkage, figures).
//!
//! Access, in one place ([`visible`], [`scoped`]): an enterprise account sees and acts on its own
//! requests only (any other number answers 404, as for one that does not exist); staff see all.
//! Who may do which step is the model's state machine, run inside the store's transaction; its
//! refusals map to 403 (wrong role), 409 (wrong state: a step skipped) and 422 (a field named).

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use serde_json::{Value, json};
use zhengce_engine::Snapshot;
use zhengce_model::Date;
use zhengce_model::request::{self as rq, Action, Actor, Category, Rating, Refusal, Source};
use zhengce_model::verdict::Status;
use zhengce_store::StoreError;
use zhengce_store::requests::{NewRequest, RequestFilter, RequestRow};

use crate::AppState;
use crate::auth::{self, Caller, Principal};
use crate::error::ApiError;

/// The most requests recorded in one call (a visit collects a handful).
pub const MAX_BATCH: usize = 50;
/// The most requests one list answers.
pub const MAX_LIST: i64 = 500;

pub(crate) fn store(state: &AppState) -> Result<&zhengce_store::Store, ApiError> {
    state.store.as_ref().ok_or_else(|| ApiError::unavailable("企业库未打开"))
}

/// A 422 naming `field`.
pub(crate) fn field_error(field: &str, message: impl Into<String>) -> ApiError {
    let message = message.into();
    ApiError::invalid(message.clone(), json!([{"field": field, "message": message}])).with_code("invalid_request", message)
}

/// Maps a store error, turning the loop's refusals into 403 / 409 / 422.
pub(crate) fn refused(e: StoreError) -> ApiError {
    match e {
        StoreError::Refused(Refusal::Role(m)) => ApiError::forbidden(m),
        StoreError::Refused(Refusal::State(m)) => ApiError::with_status(StatusCode::CONFLICT, "conflict", m),
        StoreError::Refused(Refusal::Input { field, message }) => field_error(field, message),
        StoreError::UnknownEnterprise(c) => ApiError::not_found(format!("没有企业 `{c}`")),
        other => other.into(),
    }
}

/// How `p` acts on `req` in the loop.
pub(crate) fn actor_of<'a>(p: &'a Principal, req: &RequestRow) -> Actor<'a> {
    if p.user.role.is_staff() {
        Actor::Staff { dispatcher: p.user.dispatches(), department: p.user.department.as_deref() }
    } else if p.user.enterprise.as_deref() == Some(req.credit_code.as_str()) {
        Actor::OwnEnterprise
    } else {
        Actor::OtherEnterprise
    }
}

fn not_found(id: i64) -> ApiError {
    ApiError::not_found(format!("没有第 {id} 号诉求"))
}

/// Request `id` if `p` may see it; 404 otherwise (as for one that does not exist).
pub(crate) async fn visible(state: &AppState, p: &Principal, id: i64) -> Result<RequestRow, ApiError> {
    match store(state)?.request(id).await? {
        Some(r) if p.user.may_access(&r.credit_code) => Ok(r),
        _ => Err(not_found(id)),
    }
}

/// `filter` narrowed to what `p` may see (an enterprise: its own requests, whatever it asked).
pub(crate) fn scoped(p: &Principal, mut filter: RequestFilter) -> RequestFilter {
    if !p.user.role.is_staff() {
        filter.credit_code = Some(p.user.enterprise.clone().unwrap_or_default());
    }
    filter
}

/// The filter of a list from query parameters (town, chamber, department, category, state,
/// enterprise, open, min_age_days, overdue).
pub(crate) fn filter_from(params: &HashMap<String, String>, today: Date) -> Result<RequestFilter, ApiError> {
    let get = |k: &str| params.get(k).map(|s| s.trim()).filter(|s| !s.is_empty()).map(str::to_string);
    let category = match get("category") {
        Some(c) => Some(Category::parse(&c).ok_or_else(|| {
            ApiError::bad_request(format!("category=`{c}` 无效，可选：employment、finance、upgrade、digital、tax、other"))
        })?),
        None => None,
    };
    let state = match get("state") {
        Some(s) => Some(rq::State::parse(&s).ok_or_else(|| {
            ApiError::bad_request(format!("state=`{s}` 无效，可选：submitted、dispatched、in_progress、handled、rated、reopened"))
        })?),
        None => None,
    };
    let created_by_day = match get("min_age_days") {
        Some(a) => {
            let n: i64 = a
                .parse()
                .ok()
                .filter(|n| (0..=36_500).contains(n))
                .ok_or_else(|| ApiError::bad_request(format!("min_age_days=`{a}` 无效，应为 0 到 36500 之间的天数")))?;
            Date::from_days_since_epoch(today.days_since_epoch() - n)
        }
        None => None,
    };
    let flag = |k: &str| get(k).is_some_and(|v| v == "1" || v == "true");
    Ok(RequestFilter {
        credit_code: get("enterprise"),
        town: get("town"),
        chamber: get("chamber"),
        department: get("department"),
        category,
        state,
        open_only: flag("open"),
        created_by_day,
        overdue_on: flag("overdue").then_some(today),
    })
}

/// Parses an amount in 元 (up to two decimals) into fen; empty is `None`.
pub(crate) fn parse_yuan(s: &str) -> Result<Option<i64>, ApiError> {
    let s = s.trim().trim_end_matches('元').replace([',', '，'], "");
    if s.is_empty() {
        return Ok(None);
    }
    let bad = || field_error("amount", format!("涉及金额“{s}”无效，应为以元计的数字，如 50000 或 1234.5"));
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 2
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let yuan: i64 = whole.parse().map_err(|_| bad())?;
    let cents: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().map_err(|_| bad())? };
    yuan.checked_mul(100).and_then(|f| f.checked_add(cents)).filter(|f| *f <= 1_000_000_000_000).map(Some).ok_or_else(bad)
}

/// Fen as 元 text (`12,345.60 元` without grouping: `12345.6 元`).
pub(crate) fn yuan_text(fen: i64) -> String {
    if fen % 100 == 0 { format!("{} 元", fen / 100) } else { format!("{}.{:02} 元", fen / 100, fen % 100) }
}

/// An action from named fields (form or JSON): `action` = dispatch | start | handle | rate.
pub(crate) fn parse_action(get: &dyn Fn(&str) -> Option<String>, today: Date) -> Result<Action, ApiError> {
    let text = |k: &str| get(k).unwrap_or_default().trim().to_string();
    match text("action").as_str() {
        "dispatch" => {
            let department = text("department");
            if department.is_empty() {
                return Err(field_error("department", "请选择承办部门"));
            }
            let due_text = text("due");
            let due = if due_text.is_empty() {
                Date::from_days_since_epoch(today.days_since_epoch() + 15).unwrap_or(today)
            } else {
                due_text.parse().map_err(|_| field_error("due", format!("办理时限“{due_text}”无效，应为 YYYY-MM-DD")))?
            };
            Ok(Action::Dispatch { department, due })
        }
        "start" => Ok(Action::Start),
        "handle" => Ok(Action::Handle { note: text("note"), amount_fen: parse_yuan(&text("amount"))? }),
        "rate" => {
            let r = text("rating");
            let rating = Rating::parse(&r).ok_or_else(|| field_error("rating", "请选择评价：满意、基本满意或不满意"))?;
            Ok(Action::Rate { rating, comment: text("comment") })
        }
        "" => Err(field_error("action", "缺少 action：dispatch、start、handle 或 rate")),
        other => Err(field_error("action", format!("action=`{other}` 无效，可选：dispatch、start、handle、rate"))),
    }
}

/// One request to record, as submitted.
pub(crate) struct Item {
    pub credit_code: String,
    pub category: String,
    pub text: String,
    pub policy: String,
    pub source: String,
}

/// Records `items` for `p` on `today`: an enterprise only for itself (another code: 404) and
/// always as `web`; staff for any enterprise, as `visit` unless `chamber` or `import` is said.
pub(crate) async fn create(state: &AppState, p: &Principal, items: Vec<Item>) -> Result<Vec<i64>, ApiError> {
    if items.is_empty() {
        return Err(field_error("requests", "请至少填写一条诉求"));
    }
    if items.len() > MAX_BATCH {
        return Err(field_error("requests", format!("一次最多记录 {MAX_BATCH} 条诉求")));
    }
    let corpus = state.corpus();
    let mut new = Vec::with_capacity(items.len());
    for (i, it) in items.into_iter().enumerate() {
        let code = it.credit_code.trim().to_string();
        if code.is_empty() {
            return Err(field_error(&format!("requests[{i}].credit_code"), "请填写企业统一社会信用代码"));
        }
        if !p.user.may_access(&code) {
            return Err(ApiError::not_found(format!("没有企业 `{code}`")));
        }
        let category = Category::parse(&it.category).ok_or_else(|| {
            field_error(&format!("requests[{i}].category"), "请选择诉求类别：用工、融资、技改、数字化、税费或其他")
        })?;
        let source = if !p.user.role.is_staff() {
            Source::Web
        } else if it.source.trim().is_empty() {
            Source::Visit
        } else {
            Source::parse(&it.source)
                .ok_or_else(|| field_error(&format!("requests[{i}].source"), "来源无效，可选：web、chamber、visit、import"))?
        };
        let policy = Some(it.policy.trim().to_string()).filter(|s| !s.is_empty());
        if let Some(slug) = &policy
            && corpus.snapshot.policy(slug).is_none()
        {
            return Err(field_error(&format!("requests[{i}].policy"), format!("没有政策 `{slug}`")));
        }
        rq::check_text("text", "诉求内容", &it.text, true)
            .map_err(|r| field_error(&format!("requests[{i}].text"), r.message().to_string()))?;
        new.push(NewRequest { credit_code: code, category, text: it.text, policy, source });
    }
    store(state)?.add_requests(&new, &p.user.actor(), state.clock.today(), state.clock.now_ms()).await.map_err(refused)
}

/// Whether each enterprise is eligible for each policy, computed lazily per enterprise.
#[derive(Default)]
pub(crate) struct Linkage {
    statuses: HashMap<String, HashMap<String, (Status, Vec<zhengce_model::policy::Dimension>)>>,
}

impl Linkage {
    /// Matches the enterprises of `rows` (once each) on `today`.
    pub async fn of(state: &AppState, snap: &Snapshot, rows: &[RequestRow], today: Date) -> Result<Linkage, ApiError> {
        let mut out = Linkage::default();
        for r in rows {
            if out.statuses.contains_key(&r.credit_code) {
                continue;
            }
            let mut m = HashMap::new();
            if let Some(e) = store(state)?.enterprise(&r.credit_code).await?
                && let Ok(profile) = snap.parse_profile_json(&Value::Object(e.profile))
            {
                for res in snap.match_profile(&profile, today).results {
                    m.insert(res.policy, (res.status, res.dimensions));
                }
            }
            out.statuses.insert(r.credit_code.clone(), m);
        }
        Ok(out)
    }

    /// The request is about a policy the enterprise is eligible for.
    pub fn eligible(&self, r: &RequestRow) -> bool {
        r.policy.as_ref().is_some_and(|p| self.status(r, p) == Some(Status::Eligible))
    }

    fn status(&self, r: &RequestRow, policy: &str) -> Option<Status> {
        self.statuses.get(&r.credit_code).and_then(|m| m.get(policy)).map(|s| s.0)
    }

    /// Policies in the request's category the enterprise is eligible for (slugs).
    pub fn eligible_in_category(&self, r: &RequestRow) -> Vec<String> {
        let dims = r.category.dimensions();
        let mut v: Vec<String> = self
            .statuses
            .get(&r.credit_code)
            .map(|m| {
                m.iter()
                    .filter(|(_, (s, d))| *s == Status::Eligible && d.iter().any(|x| dims.contains(x)))
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    /// No policy answers the request: its linked policy is not eligible, or (unlinked) nothing in
    /// its category is eligible or possible for the enterprise.
    pub fn unmatched(&self, r: &RequestRow) -> bool {
        if let Some(p) = &r.policy {
            return self.status(r, p) != Some(Status::Eligible);
        }
        let dims = r.category.dimensions();
        !self.statuses.get(&r.credit_code).is_some_and(|m| {
            m.values().any(|(s, d)| matches!(s, Status::Eligible | Status::Possible) && d.iter().any(|x| dims.contains(x)))
        })
    }
}

/// A request as the API answers it.
pub(crate) fn to_json(r: &RequestRow, snap: &Snapshot, link: &Linkage, today: Date) -> Value {
    json!({
        "id": r.id,
        "credit_code": r.credit_code,
        "enterprise_name": r.enterprise_name,
        "town": r.town,
        "chamber": r.chamber,
        "category": r.category.as_str(),
        "category_label": r.category.label(),
        "text": r.text,
        "policy": r.policy,
        "policy_title": r.policy.as_deref().and_then(|p| snap.policy(p)).map(|p| p.meta.title.clone()),
        "policy_eligible": link.eligible(r),
        "source": r.source.as_str(),
        "state": r.state.as_str(),
        "state_label": r.state.label(),
        "department": r.department,
        "due": r.due.map(|d| d.to_string()),
        "overdue": r.overdue(today),
        "dispatcher": r.dispatcher,
        "handled_note": r.handled_note,
        "amount_fen": r.amount_fen,
        "rating": r.rating.map(Rating::as_str),
        "rating_comment": r.rating_comment,
        "reopened": r.reopened,
        "demo": r.demo,
        "created_on": r.created_on.to_string(),
        "dispatched_on": r.dispatched_on.map(|d| d.to_string()),
        "handled_on": r.handled_on.map(|d| d.to_string()),
        "rated_on": r.rated_on.map(|d| d.to_string()),
    })
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

fn str_of(v: &Value, k: &str) -> String {
    match v.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// `GET /api/v1/requests`: requests the caller may see, newest first.
#[utoipa::path(get, path = "/api/v1/requests", tag = "企业诉求", security(("token" = []), ("session" = [])),
    params(("town" = Option<String>, Query, description = "镇街"), ("chamber" = Option<String>, Query, description = "商会"),
        ("department" = Option<String>, Query, description = "承办部门"), ("category" = Option<String>, Query, description = "employment、finance、upgrade、digital、tax、other"),
        ("state" = Option<String>, Query, description = "submitted、dispatched、in_progress、handled、rated、reopened"),
        ("enterprise" = Option<String>, Query, description = "统一社会信用代码（企业账号只看到自己的）"),
        ("open" = Option<String>, Query, description = "1：只看未办结"), ("overdue" = Option<String>, Query, description = "1：只看超期"),
        ("min_age_days" = Option<i64>, Query, description = "至少提出了多少天"), ("limit" = Option<i64>, Query, description = "最多条数，默认 100")),
    responses((status = 200, description = "诉求列表（企业账号只含本企业）：{total, requests}", body = serde_json::Value),
        (status = 400, description = "参数有误", body = crate::openapi::ErrorBody), (status = 401, description = "未登录", body = crate::openapi::ErrorBody)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let p = auth::require_user(&caller)?;
    let today = state.clock.today();
    let filter = scoped(p, filter_from(&params, today)?);
    let limit = params.get("limit").and_then(|l| l.parse::<i64>().ok()).unwrap_or(100).clamp(1, MAX_LIST);
    let (rows, total) = store(&state)?.requests(&filter, limit, 0).await?;
    let corpus = state.corpus();
    let link = Linkage::of(&state, &corpus.snapshot, &rows, today).await?;
    let list: Vec<Value> = rows.iter().map(|r| to_json(r, &corpus.snapshot, &link, today)).collect();
    Ok(Json(json!({"total": total, "requests": list})))
}

/// `POST /api/v1/requests`: records one or several requests at once (all or none).
#[utoipa::path(post, path = "/api/v1/requests", tag = "企业诉求", security(("token" = []), ("session" = [])),
    request_body(content = serde_json::Value, description = "{\"requests\": [{\"credit_code\", \"category\", \"text\", \"policy\"?, \"source\"?}]}；企业账号只能为本企业提交，来源记为 web；工作人员默认来源 visit（走访）"),
    responses((status = 200, description = "{\"ids\": [诉求编号…]}", body = serde_json::Value),
        (status = 401, description = "未登录", body = crate::openapi::ErrorBody), (status = 403, description = "CSRF 校验失败", body = crate::openapi::ErrorBody),
        (status = 404, description = "没有这家企业", body = crate::openapi::ErrorBody), (status = 422, description = "字段有误（逐字段说明）", body = crate::openapi::ErrorBody)))]
pub(crate) async fn create_json(
    State(state): State<AppState>,
    caller: Caller,
    method: Method,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let p = auth::require_user(&caller)?;
    auth::check_csrf(p, &method, &headers, None)?;
    let v = json_body(body)?;
    let list =
        v.get("requests").and_then(Value::as_array).ok_or_else(|| field_error("requests", "请求体应为 {\"requests\": [...]}"))?;
    let items = list
        .iter()
        .map(|x| Item {
            credit_code: str_of(x, "credit_code"),
            category: str_of(x, "category"),
            text: str_of(x, "text"),
            policy: str_of(x, "policy"),
            source: str_of(x, "source"),
        })
        .collect();
    let ids = create(&state, p, items).await?;
    Ok(Json(json!({"ids": ids})))
}

/// `GET /api/v1/requests/{id}`: one request with its history.
#[utoipa::path(get, path = "/api/v1/requests/{id}", tag = "企业诉求", security(("token" = []), ("session" = [])),
    params(("id" = i64, Path, description = "诉求编号")),
    responses((status = 200, description = "诉求及其每一步（谁、何时、做了什么）", body = serde_json::Value),
        (status = 401, description = "未登录", body = crate::openapi::ErrorBody), (status = 404, description = "没有该诉求（或不属于本企业）", body = crate::openapi::ErrorBody)))]
pub(crate) async fn get_one(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    let p = auth::require_user(&caller)?;
    let r = visible(&state, p, id).await?;
    let today = state.clock.today();
    let corpus = state.corpus();
    let link = Linkage::of(&state, &corpus.snapshot, std::slice::from_ref(&r), today).await?;
    let mut v = to_json(&r, &corpus.snapshot, &link, today);
    let events = store(&state)?.request_events(id).await?;
    v["events"] = events
        .iter()
        .map(|e| {
            json!({"seq": e.seq, "on": e.on, "at_ms": e.at_ms, "actor": e.actor, "action": e.action,
            "from": e.from.map(|s| s.as_str()), "to": e.to.as_str(), "detail": e.detail})
        })
        .collect();
    Ok(Json(v))
}

/// `POST /api/v1/requests/{id}/actions`: one step of the loop.
#[utoipa::path(post, path = "/api/v1/requests/{id}/actions", tag = "企业诉求", security(("token" = []), ("session" = [])),
    params(("id" = i64, Path, description = "诉求编号")),
    request_body(content = serde_json::Value, description = "{\"action\": \"dispatch\", \"department\", \"due\"} | {\"action\": \"start\"} | {\"action\": \"handle\", \"note\", \"amount\"(元)?} | {\"action\": \"rate\", \"rating\": satisfied|partly|unsatisfied, \"comment\"}"),
    responses((status = 200, description = "变更后的诉求", body = serde_json::Value),
        (status = 401, description = "未登录", body = crate::openapi::ErrorBody), (status = 403, description = "角色不符（如非派单人派单、非承办部门办理、承办部门自评）或 CSRF 校验失败", body = crate::openapi::ErrorBody),
        (status = 404, description = "没有该诉求（或不属于本企业）", body = crate::openapi::ErrorBody),
        (status = 409, description = "状态不符（跳过了步骤或已办结）", body = crate::openapi::ErrorBody), (status = 422, description = "字段有误", body = crate::openapi::ErrorBody)))]
pub(crate) async fn act_json(
    State(state): State<AppState>,
    caller: Caller,
    method: Method,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let p = auth::require_user(&caller)?;
    auth::check_csrf(p, &method, &headers, None)?;
    let r = visible(&state, p, id).await?;
    let v = json_body(body)?;
    let today = state.clock.today();
    let action = parse_action(&|k| Some(str_of(&v, k)).filter(|s| !s.is_empty()), today)?;
    let (row, _) = store(&state)?
        .act_on_request(id, actor_of(p, &r), &p.user.actor(), &action, today, state.clock.now_ms())
        .await
        .map_err(refused)?;
    let corpus = state.corpus();
    let link = Linkage::of(&state, &corpus.snapshot, std::slice::from_ref(&row), today).await?;
    Ok(Json(to_json(&row, &corpus.snapshot, &link, today)))
}

/// Figures and policy linkage for officers.
pub(crate) struct Report {
    pub figures: rq::Figures,
    /// Per town: (category, requests, of which unmatched), most requested first.
    pub town_categories: BTreeMap<String, Vec<(Category, u32, u32)>>,
    /// Per town: (policy slug, requests, of which the firm is not eligible), most requested first.
    pub town_policies: BTreeMap<String, Vec<(String, u32, u32)>>,
    /// Requests overdue today.
    pub overdue: u32,
    /// Demo requests among them.
    pub demo: u32,
}

/// Reads every request (up to 20,000) and computes the county's figures and linkage.
pub(crate) async fn report(state: &AppState, snap: &Snapshot, today: Date) -> Result<Report, ApiError> {
    let (rows, _) = store(state)?.requests(&RequestFilter::default(), 20_000, 0).await?;
    let facts: Vec<rq::Facts> = rows.iter().map(RequestRow::facts).collect();
    let figures = rq::figures(&facts);
    let link = Linkage::of(state, snap, &rows, today).await?;
    let mut cats: BTreeMap<String, BTreeMap<Category, (u32, u32)>> = BTreeMap::new();
    let mut pols: BTreeMap<String, BTreeMap<String, (u32, u32)>> = BTreeMap::new();
    for r in &rows {
        let town = r.town.clone().unwrap_or_else(|| "（未填镇街）".into());
        let unmatched = u32::from(link.unmatched(r));
        let c = cats.entry(town.clone()).or_default().entry(r.category).or_default();
        c.0 += 1;
        c.1 += unmatched;
        if let Some(p) = &r.policy {
            let c = pols.entry(town).or_default().entry(p.clone()).or_default();
            c.0 += 1;
            c.1 += unmatched;
        }
    }
    fn sorted<K>(m: BTreeMap<K, (u32, u32)>) -> Vec<(K, u32, u32)> {
        let mut v: Vec<_> = m.into_iter().map(|(k, (n, u))| (k, n, u)).collect();
        v.sort_by(|a, b| b.2.cmp(&a.2).then(b.1.cmp(&a.1)));
        v
    }
    Ok(Report {
        figures,
        town_categories: cats.into_iter().map(|(t, m)| (t, sorted(m))).collect(),
        town_policies: pols.into_iter().map(|(t, m)| (t, sorted(m))).collect(),
        overdue: rows.iter().filter(|r| r.overdue(today)).count() as u32,
        demo: rows.iter().filter(|r| r.demo).count() as u32,
    })
}

/// `GET /api/v1/requests/figures`: per department and month, per category, and linkage per town.
#[utoipa::path(get, path = "/api/v1/requests/figures", tag = "企业诉求", security(("token" = []), ("session" = [])),
    responses((status = 200, description = "按部门和月份：受理、按时办结、办理天数中位数、满意率、重开；按类别的诉求数；各镇街诉求最多且无政策可对应的类别与政策", body = serde_json::Value),
        (status = 401, description = "未登录", body = crate::openapi::ErrorBody), (status = 403, description = "仅限工作人员", body = crate::openapi::ErrorBody)))]
pub(crate) async fn figures_json(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    auth::require_staff(&caller)?;
    let corpus = state.corpus();
    let r = report(&state, &corpus.snapshot, state.clock.today()).await?;
    let cats: BTreeMap<&String, Vec<Value>> = r
        .town_categories
        .iter()
        .map(|(t, v)| (t, v.iter().map(|(c, n, u)| json!({"category": c.as_str(), "requests": n, "unmatched": u})).collect()))
        .collect();
    let pols: BTreeMap<&String, Vec<Value>> = r
        .town_policies
        .iter()
        .map(|(t, v)| (t, v.iter().map(|(p, n, u)| json!({"policy": p, "requests": n, "not_eligible": u})).collect()))
        .collect();
    Ok(Json(json!({"figures": r.figures, "overdue": r.overdue, "demo": r.demo, "town_categories": cats, "town_policies": pols})))
}
