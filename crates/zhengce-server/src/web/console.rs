//! The officer console (staff only): enterprises with filters, policy seeks enterprise (政策找企业)
//! with an xlsx export, an enterprise's profile versions and match history, and visit briefs for a
//! town, park or chamber. Every page takes `at` (YYYY-MM-DD) to look at the corpus as of that day.
//!
//! Results are computed live from the stored profiles for the chosen day, so any `at` is answered
//! the same way (a county's roster is matched in well under a second in release builds).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use askama::Template;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use zhengce_engine::Snapshot;
use zhengce_engine::format::num;
use zhengce_model::Date;
use zhengce_model::fact::Profile;
use zhengce_model::schema::FieldType;
use zhengce_model::verdict::{PolicyResult, Status};
use zhengce_store::profiles::{Enterprise, EnterpriseFilter};

use super::check::{self, Results, VersionView};
use super::pages::Choice;
use super::view::{self, Tally};
use super::{Nav, api_error_page, error_page, render, see_other, url};
use crate::AppState;
use crate::auth::{Caller, Principal};
use crate::error::ApiError;

/// The most enterprises a console page reads (a county has about a thousand).
const MAX_ENTERPRISES: i64 = 20_000;
/// Rows per page of the enterprise list.
const PAGE: usize = 50;

/// A staff member (extractor): anonymous callers are sent to the login page, enterprise accounts
/// get a 403 page. Every console handler takes it, so no console page can forget the check.
pub(crate) struct Staff {
    pub principal: Principal,
    pub nav: Nav,
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Staff, Response> {
        let caller = Caller::from_request_parts(parts, state).await.map_err(|e| api_error_page(Nav::default(), e))?;
        match caller.0 {
            None => {
                let next = parts.uri.path_and_query().map_or("/console", |pq| pq.as_str());
                Err(see_other(&url("/login", &[("next", next)])))
            }
            Some(p) if p.user.role.is_staff() => Ok(Staff { nav: Nav::for_principal(&p, "console"), principal: p }),
            Some(p) => Err(error_page(
                Nav::for_principal(&p, "console"),
                StatusCode::FORBIDDEN,
                "工作台仅限工作人员（红领专家）使用。企业账号请使用“自助体检”查看本企业的政策匹配结果。",
            )),
        }
    }
}

type Params = Query<HashMap<String, String>>;

fn param(params: &HashMap<String, String>, k: &str) -> String {
    params.get(k).map(|s| s.trim().to_string()).unwrap_or_default()
}

/// The `at` date of a console page (today when absent).
fn as_of(state: &AppState, params: &HashMap<String, String>) -> Result<Date, ApiError> {
    match params.get("at").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        Some(s) => s.parse().map_err(|_| ApiError::bad_request(format!("日期“{s}”无效，应为 YYYY-MM-DD"))),
        None => Ok(state.clock.today()),
    }
}

/// An enterprise as the console lists it.
struct Firm {
    code: String,
    name: String,
    town: String,
    park: String,
    chamber: String,
    industry: String,
    profile: Profile,
}

fn text(e: &Enterprise, k: &str) -> String {
    e.profile.get(k).and_then(Value::as_str).unwrap_or_default().to_string()
}

/// Every stored enterprise (up to [`MAX_ENTERPRISES`]) with a valid profile.
async fn firms(state: &AppState, snap: &Snapshot) -> Result<Vec<Firm>, ApiError> {
    let store = state.store.as_ref().ok_or_else(|| ApiError::unavailable("企业库未打开"))?;
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let page = store.list_enterprises(&EnterpriseFilter::default(), 1000, offset).await?;
        if page.is_empty() || offset >= MAX_ENTERPRISES {
            break;
        }
        offset += page.len() as i64;
        for e in page {
            let Ok(profile) = snap.parse_profile_json(&Value::Object(e.profile.clone())) else {
                tracing::warn!("stored profile of {} does not validate; left out of the console", e.credit_code);
                continue;
            };
            out.push(Firm {
                name: text(&e, "name"),
                town: text(&e, "town"),
                park: text(&e, "park"),
                chamber: text(&e, "chamber"),
                industry: text(&e, "industry_code"),
                code: e.credit_code,
                profile,
            });
        }
    }
    Ok(out)
}

/// The town, park and chamber filters and their choices.
struct Scope {
    town: String,
    park: String,
    chamber: String,
    towns: Vec<Choice>,
    parks: Vec<Choice>,
    chambers: Vec<Choice>,
}

impl Scope {
    fn new(params: &HashMap<String, String>, firms: &[Firm]) -> Scope {
        let (town, park, chamber) = (param(params, "town"), param(params, "park"), param(params, "chamber"));
        let opts = |get: fn(&Firm) -> &str, chosen: &str| -> Vec<Choice> {
            let set: BTreeSet<&str> = firms.iter().map(get).filter(|s| !s.is_empty()).collect();
            let mut v = vec![Choice { value: String::new(), label: "全部".into(), selected: chosen.is_empty() }];
            v.extend(set.into_iter().map(|s| Choice { value: s.into(), label: s.into(), selected: s == chosen }));
            v
        };
        Scope {
            towns: opts(|f| &f.town, &town),
            parks: opts(|f| &f.park, &park),
            chambers: opts(|f| &f.chamber, &chamber),
            town,
            park,
            chamber,
        }
    }

    fn admits(&self, f: &Firm) -> bool {
        (self.town.is_empty() || f.town == self.town)
            && (self.park.is_empty() || f.park == self.park)
            && (self.chamber.is_empty() || f.chamber == self.chamber)
    }

    fn is_any(&self) -> bool {
        !(self.town.is_empty() && self.park.is_empty() && self.chamber.is_empty())
    }

    fn label(&self) -> String {
        [("镇街", &self.town), ("园区", &self.park), ("商会", &self.chamber)]
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}：{v}"))
            .collect::<Vec<_>>()
            .join("，")
    }
}

/// `GET /console`: the console's first page.
pub(crate) async fn home(_staff: Staff) -> Response {
    see_other("/console/enterprises")
}

struct FirmRow {
    code: String,
    name: String,
    town: String,
    park: String,
    chamber: String,
    industry: String,
    size: &'static str,
    tally: Tally,
}

#[derive(Template)]
#[template(path = "web/console/enterprises.html")]
struct EnterprisesPage {
    nav: Nav,
    at: String,
    scope: Scope,
    industry: String,
    sizes: Vec<Choice>,
    statuses: Vec<Choice>,
    rows: Vec<FirmRow>,
    total: usize,
    page: usize,
    pages: usize,
    prev: String,
    next: String,
}

fn size_class(snap: &Snapshot, profile: &Profile, at: Date) -> String {
    snap.derived_facts(profile, at).get("size_class").and_then(Value::as_str).unwrap_or_default().to_string()
}

/// `GET /console/enterprises?town=&park=&chamber=&industry=&size=&status=&at=&page=`.
pub(crate) async fn enterprises(State(state): State<AppState>, staff: Staff, Query(params): Params) -> Response {
    let nav = staff.nav;
    let at = match as_of(&state, &params) {
        Ok(d) => d,
        Err(e) => return api_error_page(nav, e),
    };
    let corpus = state.corpus();
    let snap = &corpus.snapshot;
    let all = match firms(&state, snap).await {
        Ok(f) => f,
        Err(e) => return api_error_page(nav, e),
    };
    let scope = Scope::new(&params, &all);
    let industry: String = param(&params, "industry").chars().filter(char::is_ascii_digit).take(4).collect();
    let size = param(&params, "size");
    let status = param(&params, "status");
    let mut rows = Vec::new();
    for f in all.iter().filter(|f| scope.admits(f) && f.industry.starts_with(&industry)) {
        let sc = size_class(snap, &f.profile, at);
        if !size.is_empty() && sc != size {
            continue;
        }
        let tally = Tally::of(snap.statuses(&f.profile, at).into_iter().map(|(_, s)| s));
        let keep = match status.as_str() {
            "eligible" => tally.eligible > 0,
            "possible" => tally.possible > 0,
            "near_miss" => tally.near_miss > 0,
            _ => true,
        };
        if keep {
            rows.push(FirmRow {
                code: f.code.clone(),
                name: f.name.clone(),
                town: f.town.clone(),
                park: f.park.clone(),
                chamber: f.chamber.clone(),
                industry: f.industry.clone(),
                size: view::size_label(&sc),
                tally,
            });
        }
    }
    let total = rows.len();
    let pages = total.div_ceil(PAGE).max(1);
    let page = param(&params, "page").parse::<usize>().unwrap_or(1).clamp(1, pages);
    let rows: Vec<FirmRow> = rows.into_iter().skip((page - 1) * PAGE).take(PAGE).collect();
    let at_s = at.to_string();
    let link = |p: usize| {
        let p = p.to_string();
        url(
            "/console/enterprises",
            &[
                ("town", &scope.town),
                ("park", &scope.park),
                ("chamber", &scope.chamber),
                ("industry", &industry),
                ("size", &size),
                ("status", &status),
                ("at", &at_s),
                ("page", &p),
            ],
        )
    };
    let prev = if page > 1 { link(page - 1) } else { String::new() };
    let next = if page < pages { link(page + 1) } else { String::new() };
    let choice = |v: &str, l: &str, chosen: &str| Choice { value: v.into(), label: l.into(), selected: v == chosen };
    let sizes = [("", "全部"), ("large", "大型"), ("medium", "中型"), ("small", "小型"), ("micro", "微型")]
        .iter()
        .map(|(v, l)| choice(v, l, &size))
        .collect();
    let statuses =
        [("", "全部"), ("eligible", "有符合的政策"), ("possible", "有可能符合的政策"), ("near_miss", "有差一点的政策")]
            .iter()
            .map(|(v, l)| choice(v, l, &status))
            .collect();
    let page_view = EnterprisesPage { nav, at: at_s, scope, industry, sizes, statuses, rows, total, page, pages, prev, next };
    render(StatusCode::OK, &page_view)
}

struct PolicyRow {
    slug: String,
    title: String,
    level: &'static str,
    dimensions: String,
    department: String,
    badge: String,
    in_force: bool,
}

#[derive(Template)]
#[template(path = "web/console/policies.html")]
struct PoliciesPage {
    nav: Nav,
    at: String,
    rows: Vec<PolicyRow>,
}

/// `GET /console/policies?at=`: every policy, those in force on `at` first.
pub(crate) async fn policies(State(state): State<AppState>, staff: Staff, Query(params): Params) -> Response {
    let nav = staff.nav;
    let at = match as_of(&state, &params) {
        Ok(d) => d,
        Err(e) => return api_error_page(nav, e),
    };
    let corpus = state.corpus();
    let snap = &corpus.snapshot;
    let mut rows: Vec<PolicyRow> = snap
        .policies()
        .iter()
        .filter(|p| snap.rule(&p.meta.slug).is_some())
        .map(|p| PolicyRow {
            slug: p.meta.slug.clone(),
            title: p.meta.title.clone(),
            level: p.meta.level.label(),
            dimensions: view::dimensions(&p.meta.dimensions),
            department: p.meta.department.clone(),
            badge: p.meta.marking.badge().unwrap_or_default().to_string(),
            in_force: snap.matchable(p, at),
        })
        .collect();
    rows.sort_by_key(|r| !r.in_force);
    render(StatusCode::OK, &PoliciesPage { nav, at: at.to_string(), rows })
}

/// One enterprise's standing for one policy.
struct Standing {
    code: String,
    name: String,
    town: String,
    park: String,
    chamber: String,
    amount: Option<f64>,
    amount_text: String,
    /// Questions (possible) or gaps (near miss).
    detail: Vec<String>,
    reasons: Vec<String>,
}

/// 政策找企业: every enterprise in scope matched against one policy on `at`, by status.
struct Seek {
    eligible: Vec<Standing>,
    possible: Vec<Standing>,
    near_miss: Vec<Standing>,
    ineligible: usize,
}

fn seek(snap: &Snapshot, slug: &str, firms: &[Firm], scope: &Scope, at: Date) -> Seek {
    let mut s = Seek { eligible: Vec::new(), possible: Vec::new(), near_miss: Vec::new(), ineligible: 0 };
    for f in firms.iter().filter(|f| scope.admits(f)) {
        let Some(r): Option<PolicyResult> = snap.match_policy(slug, &f.profile, at) else { continue };
        let detail = match r.status {
            Status::Possible => r.missing.iter().map(|m| m.question.clone()).collect(),
            Status::NearMiss => r.gaps.iter().map(|g| g.text.clone()).collect(),
            _ => Vec::new(),
        };
        let amount = r.benefit.as_ref().map(|b| b.amount_wan);
        let st = Standing {
            code: f.code.clone(),
            name: f.name.clone(),
            town: f.town.clone(),
            park: f.park.clone(),
            chamber: f.chamber.clone(),
            amount,
            amount_text: amount.map(view::wan).unwrap_or_default(),
            detail,
            reasons: r.reasons.iter().filter(|x| x.depth == 0).map(|x| x.text.clone()).collect(),
        };
        match r.status {
            Status::Eligible => s.eligible.push(st),
            Status::Possible => s.possible.push(st),
            Status::NearMiss => s.near_miss.push(st),
            Status::Ineligible => s.ineligible += 1,
        }
    }
    for v in [&mut s.eligible, &mut s.possible, &mut s.near_miss] {
        v.sort_by(|a, b| b.amount.unwrap_or(0.0).total_cmp(&a.amount.unwrap_or(0.0)).then_with(|| a.name.cmp(&b.name)));
    }
    s
}

#[derive(Template)]
#[template(path = "web/console/policy.html")]
struct PolicySeekPage {
    nav: Nav,
    at: String,
    slug: String,
    title: String,
    badges: Vec<view::Badge>,
    department: String,
    window: String,
    in_force: bool,
    scope: Scope,
    seek: Seek,
    eligible_total: String,
    export: String,
}

/// `GET /console/policies/{slug}?at=&town=&park=&chamber=`: 政策找企业.
pub(crate) async fn policy(
    State(state): State<AppState>,
    staff: Staff,
    Path(slug): Path<String>,
    Query(params): Params,
) -> Response {
    let nav = staff.nav;
    let at = match as_of(&state, &params) {
        Ok(d) => d,
        Err(e) => return api_error_page(nav, e),
    };
    let corpus = state.corpus();
    let snap = &corpus.snapshot;
    let Some(p) = snap.policy(&slug).filter(|p| snap.rule(&p.meta.slug).is_some()) else {
        return error_page(nav, StatusCode::NOT_FOUND, format!("没有可匹配的政策“{slug}”。"));
    };
    let all = match firms(&state, snap).await {
        Ok(f) => f,
        Err(e) => return api_error_page(nav, e),
    };
    let scope = Scope::new(&params, &all);
    let in_force = snap.matchable(p, at);
    let seek = if in_force {
        seek(snap, &slug, &all, &scope, at)
    } else {
        Seek { eligible: Vec::new(), possible: Vec::new(), near_miss: Vec::new(), ineligible: 0 }
    };
    let total: f64 = seek.eligible.iter().filter_map(|s| s.amount).sum();
    let at_s = at.to_string();
    let export = url(
        &format!("/console/policies/{slug}/export.xlsx"),
        &[("town", &scope.town), ("park", &scope.park), ("chamber", &scope.chamber), ("at", &at_s)],
    );
    let page = PolicySeekPage {
        nav,
        at: at_s,
        title: p.meta.title.clone(),
        badges: view::badges(&p.meta),
        department: p.meta.department.clone(),
        window: view::window(&p.meta, at).1,
        in_force,
        scope,
        seek,
        eligible_total: if total > 0.0 { view::wan(total) } else { String::new() },
        export,
        slug,
    };
    render(StatusCode::OK, &page)
}

/// `GET /console/policies/{slug}/export.xlsx`: the same list as a spreadsheet (audited).
pub(crate) async fn policy_export(
    State(state): State<AppState>,
    staff: Staff,
    Path(slug): Path<String>,
    Query(params): Params,
) -> Response {
    let nav = staff.nav.clone();
    let at = match as_of(&state, &params) {
        Ok(d) => d,
        Err(e) => return api_error_page(nav, e),
    };
    let corpus = state.corpus();
    let snap = &corpus.snapshot;
    let Some(p) = snap.policy(&slug).filter(|p| snap.rule(&p.meta.slug).is_some()) else {
        return error_page(nav, StatusCode::NOT_FOUND, format!("没有可匹配的政策“{slug}”。"));
    };
    let all = match firms(&state, snap).await {
        Ok(f) => f,
        Err(e) => return api_error_page(nav, e),
    };
    let scope = Scope::new(&params, &all);
    let seek = if snap.matchable(p, at) {
        seek(snap, &slug, &all, &scope, at)
    } else {
        Seek { eligible: Vec::new(), possible: Vec::new(), near_miss: Vec::new(), ineligible: 0 }
    };
    let bytes = match xlsx(&p.meta.title, at, &scope, &seek) {
        Ok(b) => b,
        Err(e) => return api_error_page(nav, ApiError::internal(e)),
    };
    let rows = seek.eligible.len() + seek.possible.len() + seek.near_miss.len();
    if let Some(store) = state.store.as_ref() {
        let detail = json!({
            "kind": "policy_enterprises", "at": at.to_string(), "rows": rows,
            "town": scope.town, "park": scope.park, "chamber": scope.chamber,
        });
        if let Err(e) = store.append_audit(state.clock.now_ms(), &staff.principal.user.actor(), "export", &slug, &detail).await {
            return api_error_page(nav, e.into());
        }
    }
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
    let disposition = format!("attachment; filename=\"{slug}-{at}.xlsx\"");
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

fn xlsx(title: &str, at: Date, scope: &Scope, seek: &Seek) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, FormatAlign, Workbook};
    let mut wb = Workbook::new();
    let sheet = wb.add_worksheet();
    sheet.set_name("政策找企业")?;
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let scope_text = if scope.is_any() { scope.label() } else { "全县".to_string() };
    sheet.write_string_with_format(0, 0, format!("{title}（{at}，{scope_text}）"), &bold)?;
    let headers = ["状态", "企业名称", "统一社会信用代码", "镇街", "园区", "商会", "预计金额（万元）", "需确认的问题 / 差距"];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(1, c as u16, *h, &bold)?;
    }
    let widths = [10.0, 36.0, 22.0, 12.0, 20.0, 18.0, 14.0, 60.0];
    for (c, w) in widths.iter().enumerate() {
        sheet.set_column_width(c as u16, *w)?;
    }
    sheet.set_freeze_panes(2, 0)?;
    let mut row = 2u32;
    for (status, list) in
        [(Status::Eligible, &seek.eligible), (Status::Possible, &seek.possible), (Status::NearMiss, &seek.near_miss)]
    {
        for s in list {
            sheet.write_string(row, 0, status.label())?;
            sheet.write_string(row, 1, &s.name)?;
            sheet.write_string(row, 2, &s.code)?;
            sheet.write_string(row, 3, &s.town)?;
            sheet.write_string(row, 4, &s.park)?;
            sheet.write_string(row, 5, &s.chamber)?;
            if let Some(a) = s.amount {
                sheet.write_number(row, 6, a)?;
            }
            sheet.write_string_with_format(row, 7, s.detail.join("；"), &wrap)?;
            row += 1;
        }
    }
    wb.save_to_buffer()
}

struct FactLine {
    label: String,
    value: String,
}

struct FactGroup {
    title: String,
    facts: Vec<FactLine>,
}

struct RunView {
    version: i64,
    when: String,
    tally: Tally,
    changes: Vec<String>,
}

#[derive(Template)]
#[template(path = "web/console/enterprise.html")]
struct EnterprisePage {
    nav: Nav,
    at: String,
    code: String,
    name: String,
    town: String,
    facts: Vec<FactGroup>,
    versions: Vec<(VersionView, Vec<String>)>,
    results: Results,
    runs: Vec<RunView>,
    stored: String,
    answerable: bool,
}

fn fact_text(ty: &FieldType, unit: &str, v: &Value) -> String {
    match (v, ty) {
        (Value::Bool(b), _) => (if *b { "是" } else { "否" }).into(),
        (Value::String(s), FieldType::Enum(_)) => ty.enum_label(s).unwrap_or(s).to_string(),
        (Value::String(s), _) => s.clone(),
        (Value::Number(n), FieldType::Ratio) => n.as_f64().map(zhengce_engine::format::pct).unwrap_or_default(),
        (Value::Number(n), _) => n.as_f64().map(|x| format!("{} {unit}", num(x))).unwrap_or_default().trim().to_string(),
        (Value::Null, _) => "不清楚".into(),
        (other, _) => other.to_string(),
    }
}

/// `GET /console/enterprises/{code}?at=`: profile, versions (what changed, who, when), results and
/// match history (each profile version matched on `at`, with what changed).
pub(crate) async fn enterprise(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Query(params): Params,
) -> Response {
    let nav = staff.nav;
    let at = match as_of(&state, &params) {
        Ok(d) => d,
        Err(e) => return api_error_page(nav, e),
    };
    let Some(store) = state.store.as_ref() else {
        return error_page(nav, StatusCode::SERVICE_UNAVAILABLE, "企业库未打开");
    };
    let corpus = state.corpus();
    let snap = &corpus.snapshot;
    let e = match store.enterprise(&code).await {
        Ok(Some(e)) => e,
        Ok(None) => return error_page(nav, StatusCode::NOT_FOUND, format!("没有统一社会信用代码为“{code}”的企业。")),
        Err(e) => return api_error_page(nav, e.into()),
    };
    let history = match store.profile_history(&code).await {
        Ok(h) => h,
        Err(e) => return api_error_page(nav, e.into()),
    };
    let stored = match store.match_run(&code, snap.version()).await {
        Ok(Some(run)) => format!(
            "已入库的匹配结果：按 {} 计算，档案第 {} 版，计算于 {}。",
            run.as_of,
            run.profile_version,
            view::china_time(run.computed_at)
        ),
        Ok(None) => "当前规则版本尚无入库的匹配结果（以下为按所选日期实时计算）。".into(),
        Err(e) => return api_error_page(nav, e.into()),
    };
    let Some(schema) = snap.schema() else {
        return error_page(nav, StatusCode::SERVICE_UNAVAILABLE, "规则库的字段定义无法加载");
    };
    let mut facts: Vec<FactGroup> = Vec::new();
    for def in &schema.fields {
        let Some(v) = e.profile.get(&def.name) else { continue };
        let title = super::form::group_title(&def.dimension);
        let line = FactLine { label: def.label.clone(), value: fact_text(&def.ty, &def.unit, v) };
        match facts.iter_mut().find(|g| g.title == title) {
            Some(g) => g.facts.push(line),
            None => facts.push(FactGroup { title, facts: vec![line] }),
        }
    }
    let label = |f: &str| schema.field(f).map_or_else(|| f.to_string(), |d| d.label.clone());
    let mut versions = Vec::new();
    let mut runs = Vec::new();
    let mut prev_profile: Option<&serde_json::Map<String, Value>> = None;
    let mut prev_status: BTreeMap<String, Status> = BTreeMap::new();
    for v in &history {
        let diffs: Vec<String> = match prev_profile {
            None => Vec::new(),
            Some(old) => v
                .changed_fields
                .iter()
                .map(|f| {
                    let ty_unit = schema.field(f).map(|d| (d.ty.clone(), d.unit.clone()));
                    let show = |x: Option<&Value>| match (x, &ty_unit) {
                        (Some(x), Some((ty, unit))) => fact_text(ty, unit, x),
                        (Some(x), None) => x.to_string(),
                        (None, _) => "（未填）".into(),
                    };
                    format!("{}：{} → {}", label(f), show(old.get(f)), show(v.profile.get(f)))
                })
                .collect(),
        };
        versions.push((check::version_view(snap, v), diffs));
        let statuses: BTreeMap<String, Status> = snap
            .parse_profile_json(&Value::Object(v.profile.clone()))
            .map(|p| snap.statuses(&p, at).into_iter().map(|(s, st)| (s.to_string(), st)).collect())
            .unwrap_or_default();
        let changes = if prev_profile.is_none() {
            Vec::new()
        } else {
            statuses
                .iter()
                .filter(|(slug, st)| prev_status.get(*slug) != Some(st))
                .map(|(slug, st)| {
                    let title = snap.policy(slug).map_or(slug.as_str(), |p| p.meta.title.as_str());
                    let before = prev_status.get(slug).map_or("—", |s| s.label());
                    format!("{title}：{before} → {}", st.label())
                })
                .collect()
        };
        runs.push(RunView {
            version: v.version,
            when: view::china_time(v.changed_at),
            tally: Tally::of(statuses.values().copied()),
            changes,
        });
        prev_status = statuses;
        prev_profile = Some(&v.profile);
    }
    versions.reverse();
    runs.reverse();
    let report = snap.parse_profile_json(&Value::Object(e.profile.clone())).ok().map(|p| snap.match_profile(&p, at));
    let results = check::results(snap, report.as_ref(), &BTreeMap::new(), at, true);
    let page = EnterprisePage {
        nav,
        at: at.to_string(),
        name: text(&e, "name"),
        town: text(&e, "town"),
        code,
        facts,
        versions,
        results,
        runs,
        stored,
        answerable: false,
    };
    render(StatusCode::OK, &page)
}

/// One enterprise in a visit brief.
struct BriefFirm {
    code: String,
    name: String,
    town: String,
    tally: Tally,
    total: String,
    eligible: Vec<String>,
    near_miss: Vec<String>,
    questions: Vec<String>,
    team: String,
    /// Open requests (诉求) of the enterprise, so the visiting team can answer them.
    requests: Vec<(i64, String)>,
}

#[derive(Template)]
#[template(path = "web/console/briefs.html")]
struct BriefsPage {
    nav: Nav,
    at: String,
    scope: Scope,
    title: String,
    firms: Vec<BriefFirm>,
    tally: Tally,
    total: String,
    team: String,
    truncated: bool,
    /// The scope as a query for the exports of `GET /api/v1/briefs` (one model, every form).
    export: String,
    /// This page's URL (the visit form comes back to it).
    here: String,
    /// Request categories for the visit form.
    categories: Vec<Choice>,
    /// Rows of the visit form.
    visit_rows: Vec<usize>,
    /// "N requests recorded" after the visit form.
    recorded: String,
}

/// The most enterprises one brief page lists.
const BRIEF_MAX: usize = 300;

/// `GET /console/briefs?town=|park=|chamber=&at=`: a visit brief for a group, to print on A4.
pub(crate) async fn briefs(State(state): State<AppState>, staff: Staff, Query(params): Params) -> Response {
    let nav = staff.nav;
    let at = match as_of(&state, &params) {
        Ok(d) => d,
        Err(e) => return api_error_page(nav, e),
    };
    let corpus = state.corpus();
    let snap = &corpus.snapshot;
    let all = match firms(&state, snap).await {
        Ok(f) => f,
        Err(e) => return api_error_page(nav, e),
    };
    let scope = Scope::new(&params, &all);
    let mut out = Vec::new();
    let mut tally = Tally::default();
    let mut total = 0.0;
    let mut team: BTreeSet<String> = BTreeSet::new();
    let members: Vec<&Firm> = if scope.is_any() { all.iter().filter(|f| scope.admits(f)).collect() } else { Vec::new() };
    let mut open: HashMap<String, Vec<(i64, String)>> = HashMap::new();
    if !members.is_empty()
        && let Some(store) = state.store.as_ref()
    {
        let filter = zhengce_store::requests::RequestFilter { open_only: true, ..Default::default() };
        let rows = match store.requests(&filter, 20_000, 0).await {
            Ok((rows, _)) => rows,
            Err(e) => return api_error_page(nav, e.into()),
        };
        for r in rows.into_iter().rev() {
            let due = r.due.map(|d| format!("，{d} 前")).unwrap_or_default();
            let dept = r.department.as_deref().map(|d| format!("，{d}")).unwrap_or_default();
            let line = format!("{}：{}（{}{dept}{due}）", r.category.label(), r.text, r.state.label());
            open.entry(r.credit_code).or_default().push((r.id, line));
        }
    }
    for f in members.iter().take(BRIEF_MAX) {
        let report = snap.match_profile(&f.profile, at);
        let t = Tally::of(report.results.iter().map(|r| r.status));
        let amount = view::total_wan(&report.results, &[Status::Eligible]);
        let mut depts: BTreeSet<String> = BTreeSet::new();
        let mut questions: Vec<String> = Vec::new();
        for r in report.results.iter().filter(|r| r.status != Status::Ineligible) {
            depts.insert(r.department.clone());
            for m in &r.missing {
                if !questions.contains(&m.question) {
                    questions.push(m.question.clone());
                }
            }
        }
        let eligible = report
            .results
            .iter()
            .filter(|r| r.status == Status::Eligible)
            .map(|r| match &r.benefit {
                // A zero estimate (e.g. a deduction with no taxable income this year) is not read
                // out as "约 0 万元": the title alone, the card's text explains.
                Some(b) if b.amount_wan > 0.0 => format!("{}（{}）", r.title, view::wan(b.amount_wan)),
                _ => r.title.clone(),
            })
            .collect();
        let near_miss = report
            .results
            .iter()
            .filter(|r| r.status == Status::NearMiss)
            .map(|r| format!("{}：{}", r.title, r.gaps.iter().map(|g| g.text.as_str()).collect::<Vec<_>>().join("；")))
            .collect();
        let n_questions = questions.len();
        questions.truncate(4);
        if n_questions > 4 {
            questions.push(format!("另有 {} 个问题，见企业页面", n_questions - 4));
        }
        tally.eligible += t.eligible;
        tally.possible += t.possible;
        tally.near_miss += t.near_miss;
        tally.ineligible += t.ineligible;
        total += amount;
        team.extend(depts.iter().cloned());
        out.push(BriefFirm {
            code: f.code.clone(),
            name: f.name.clone(),
            town: f.town.clone(),
            tally: t,
            total: if amount > 0.0 { view::wan(amount) } else { String::new() },
            eligible,
            near_miss,
            questions,
            team: depts.into_iter().collect::<Vec<_>>().join("、"),
            requests: open.remove(&f.code).unwrap_or_default(),
        });
    }
    let export = [("town", &scope.town), ("park", &scope.park), ("chamber", &scope.chamber)]
        .into_iter()
        .find(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", crate::briefs::percent(v)))
        .unwrap_or_default();
    let here = url(
        "/console/briefs",
        &[("town", &scope.town), ("park", &scope.park), ("chamber", &scope.chamber), ("at", &at.to_string())],
    );
    let recorded = param(&params, "recorded");
    let page = BriefsPage {
        here,
        categories: zhengce_model::request::Category::ALL
            .iter()
            .map(|c| Choice { value: c.as_str().into(), label: c.label().into(), selected: false })
            .collect(),
        visit_rows: (1..=super::requests::VISIT_ROWS).collect(),
        recorded: if recorded.is_empty() {
            String::new()
        } else {
            format!("已记录 {recorded} 条走访诉求，待派单。")
        },
        nav,
        at: at.to_string(),
        title: if scope.is_any() { format!("走访简报：{}", scope.label()) } else { "走访简报".into() },
        truncated: members.len() > BRIEF_MAX,
        export,
        scope,
        firms: out,
        tally,
        total: if total > 0.0 { view::wan(total) } else { String::new() },
        team: team.into_iter().collect::<Vec<_>>().join("、"),
    };
    render(StatusCode::OK, &page)
}
