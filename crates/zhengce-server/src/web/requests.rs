//! Enterprise requests (诉求) in the web UI: 企业点单、党委派单、部门办单、回访评单.
//!
//! - `/requests`: an enterprise's own requests and a form to submit one; for staff every request,
//!   filterable by town, chamber, department, category, state and age, a department's queue and
//!   the overdue requests escalated to dispatchers.
//! - `/requests/{id}`: one request, its history, and a form for each step the viewer may take
//!   (the model's state machine decides; refusals are shown in Chinese).
//! - `POST /console/requests/visit`: several requests of one enterprise from the visit brief.
//! - `/console/requests/figures`: the county's figures with server-rendered SVG plots, and the same
//!   as xlsx (`/console/requests/figures.xlsx`).
//!
//! Access is [`crate::requests::visible`] / [`crate::requests::scoped`]: an enterprise never sees
//! another's request (404), whatever number it types.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use zhengce_model::Date;
use zhengce_model::request::{self as rq, Action, Category, Rating, State as RqState};
use zhengce_store::requests::{RequestFilter, RequestRow};

use super::console::Staff;
use super::pages::Choice;
use super::{Nav, api_error_page, error_page, render, see_other, url};
use crate::AppState;
use crate::auth::{self, Caller, Principal};
use crate::error::ApiError;
use crate::requests::{self as core, Item, Linkage};

type Params = Query<HashMap<String, String>>;
type Pairs = Form<Vec<(String, String)>>;

fn field<'a>(pairs: &'a [(String, String)], k: &str) -> Option<&'a str> {
    pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

/// A request as lists show it.
pub(crate) struct Row {
    id: i64,
    code: String,
    name: String,
    town: String,
    category: &'static str,
    text: String,
    state: &'static str,
    state_key: &'static str,
    department: String,
    due: String,
    overdue: bool,
    created: String,
    age_days: i64,
    flagged: bool,
    demo: bool,
    source: &'static str,
}

fn row(r: &RequestRow, link: &Linkage, today: Date) -> Row {
    Row {
        id: r.id,
        code: r.credit_code.clone(),
        name: r.enterprise_name.clone().unwrap_or_else(|| r.credit_code.clone()),
        town: r.town.clone().unwrap_or_default(),
        category: r.category.label(),
        text: r.text.clone(),
        state: r.state.label(),
        state_key: r.state.as_str(),
        department: r.department.clone().unwrap_or_default(),
        due: r.due.map(|d| d.to_string()).unwrap_or_default(),
        overdue: r.overdue(today),
        created: r.created_on.to_string(),
        age_days: today.days_since_epoch() - r.created_on.days_since_epoch(),
        flagged: link.eligible(r),
        demo: r.demo,
        source: r.source.label(),
    }
}

fn choices(all: &[(&str, &str)], chosen: &str) -> Vec<Choice> {
    let mut v = vec![Choice { value: String::new(), label: "全部".into(), selected: chosen.is_empty() }];
    v.extend(all.iter().map(|(k, l)| Choice { value: (*k).into(), label: (*l).into(), selected: *k == chosen }));
    v
}

fn category_choices(chosen: &str) -> Vec<Choice> {
    let all: Vec<(&str, &str)> = Category::ALL.iter().map(|c| (c.as_str(), c.label())).collect();
    choices(&all, chosen)
}

/// The departments a dispatcher may choose (every category's default, plus those of the corpus).
fn departments(state: &AppState) -> Vec<String> {
    let corpus = state.corpus();
    let mut v: Vec<String> = Category::ALL.iter().filter_map(|c| c.department().map(str::to_string)).collect();
    v.extend(corpus.snapshot.policies().iter().map(|p| p.meta.department.clone()));
    v.push("县委两新工委".into());
    v.sort();
    v.dedup();
    v
}

#[derive(Template)]
#[template(path = "web/requests/list.html")]
struct ListPage {
    nav: Nav,
    staff: bool,
    title: String,
    rows: Vec<Row>,
    total: i64,
    // Filters (staff).
    towns: Vec<Choice>,
    chambers: Vec<Choice>,
    depts: Vec<Choice>,
    categories: Vec<Choice>,
    states: Vec<Choice>,
    min_age: String,
    overdue: bool,
    open_only: bool,
    my_department: String,
    escalations: Vec<zhengce_store::requests::Escalation>,
    // The new-request form (enterprise).
    new_categories: Vec<Choice>,
    policies: Vec<Choice>,
    message: String,
    error: String,
}

async fn list_page(state: &AppState, p: &Principal, params: &HashMap<String, String>, error: String) -> Response {
    let nav = Nav::for_principal(p, "requests");
    let today = state.clock.today();
    let filter = match core::filter_from(params, today) {
        Ok(f) => core::scoped(p, f),
        Err(e) => return api_error_page(nav, e),
    };
    let Ok(store) = core::store(state) else { return error_page(nav, StatusCode::SERVICE_UNAVAILABLE, "企业库未打开") };
    let (rows, total) = match store.requests(&filter, 200, 0).await {
        Ok(x) => x,
        Err(e) => return api_error_page(nav, e.into()),
    };
    let corpus = state.corpus();
    let link = match Linkage::of(state, &corpus.snapshot, &rows, today).await {
        Ok(l) => l,
        Err(e) => return api_error_page(nav, e),
    };
    let staff = p.user.role.is_staff();
    let get = |k: &str| params.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    let (mut towns, mut chambers) = (Vec::new(), Vec::new());
    let mut escalations = Vec::new();
    if staff {
        let (all, _) = match store.requests(&RequestFilter::default(), 20_000, 0).await {
            Ok(x) => x,
            Err(e) => return api_error_page(nav, e.into()),
        };
        let mut t: Vec<String> = all.iter().filter_map(|r| r.town.clone()).collect();
        t.sort();
        t.dedup();
        let mut c: Vec<String> = all.iter().filter_map(|r| r.chamber.clone()).filter(|c| !c.is_empty()).collect();
        c.sort();
        c.dedup();
        fn as_pairs(v: &[String]) -> Vec<(&str, &str)> {
            v.iter().map(|s| (s.as_str(), s.as_str())).collect()
        }
        towns = choices(&as_pairs(&t), &get("town"));
        chambers = choices(&as_pairs(&c), &get("chamber"));
        if p.user.dispatches() {
            escalations = match store.escalations(20).await {
                Ok(x) => x,
                Err(e) => return api_error_page(nav, e.into()),
            };
        }
    }
    let depts = departments(state);
    let dept_pairs: Vec<(&str, &str)> = depts.iter().map(|s| (s.as_str(), s.as_str())).collect();
    let state_pairs: Vec<(&str, &str)> = RqState::ALL.iter().map(|s| (s.as_str(), s.label())).collect();
    let mut policies = vec![Choice { value: String::new(), label: "（不涉及具体政策）".into(), selected: true }];
    policies.extend(corpus.snapshot.policies().iter().map(|pol| Choice {
        value: pol.meta.slug.clone(),
        label: pol.meta.title.clone(),
        selected: false,
    }));
    let page = ListPage {
        title: if staff { "企业诉求".into() } else { "我的诉求".into() },
        staff,
        rows: rows.iter().map(|r| row(r, &link, today)).collect(),
        total,
        towns,
        chambers,
        depts: choices(&dept_pairs, &get("department")),
        categories: category_choices(&get("category")),
        states: choices(&state_pairs, &get("state")),
        min_age: get("min_age_days"),
        overdue: get("overdue") == "1",
        open_only: get("open") == "1",
        my_department: p.user.department.clone().unwrap_or_default(),
        escalations,
        new_categories: Category::ALL
            .iter()
            .map(|c| Choice { value: c.as_str().into(), label: c.label().into(), selected: false })
            .collect(),
        policies,
        message: if get("added").is_empty() {
            String::new()
        } else {
            format!("已提交 {} 条诉求，将由县里派单给相关部门办理。", get("added"))
        },
        error,
        nav,
    };
    render(StatusCode::OK, &page)
}

fn login_redirect(path: &str) -> Response {
    see_other(&url("/login", &[("next", path)]))
}

/// `GET /requests`.
pub(crate) async fn list(State(state): State<AppState>, caller: Caller, Query(params): Params) -> Response {
    let Some(p) = caller.0.as_ref() else { return login_redirect("/requests") };
    list_page(&state, p, &params, String::new()).await
}

/// `POST /requests`: an enterprise submits a request (staff may name the enterprise).
pub(crate) async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    method: Method,
    headers: HeaderMap,
    Form(pairs): Pairs,
) -> Response {
    let Some(p) = caller.0.as_ref() else { return login_redirect("/requests") };
    let nav = Nav::for_principal(p, "requests");
    if let Err(e) = auth::check_csrf(p, &method, &headers, field(&pairs, "_csrf")) {
        return api_error_page(nav, e);
    }
    let code = if p.user.role.is_staff() {
        field(&pairs, "credit_code").unwrap_or_default().to_string()
    } else {
        p.user.enterprise.clone().unwrap_or_default()
    };
    let item = Item {
        credit_code: code,
        category: field(&pairs, "category").unwrap_or_default().into(),
        text: field(&pairs, "text").unwrap_or_default().into(),
        policy: field(&pairs, "policy").unwrap_or_default().into(),
        source: field(&pairs, "source").unwrap_or_default().into(),
    };
    match core::create(&state, p, vec![item]).await {
        Ok(ids) => see_other(&format!("/requests?added={}", ids.len())),
        Err(e) if e.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            let mut resp = list_page(&state, p, &HashMap::new(), e.message().to_string()).await;
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            resp
        }
        Err(e) => api_error_page(nav, e),
    }
}

/// One step in a request's history, as shown.
struct EventView {
    on: String,
    actor: String,
    what: String,
}

fn event_view(e: &zhengce_store::requests::RequestEvent) -> EventView {
    let d = |k: &str| e.detail.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
    let what = match e.action.as_str() {
        "submit" => "提出诉求".to_string(),
        "dispatch" => format!("派单给{}，{} 前办结", d("department"), d("due")),
        "start" => "开始办理".into(),
        "handle" => {
            let amount =
                e.detail.get("amount_fen").and_then(|v| v.as_i64()).map(|f| format!("（涉及金额 {}）", core::yuan_text(f)));
            format!("办结：{}{}", d("note"), amount.unwrap_or_default())
        }
        "rate" => {
            let r = Rating::parse(&d("rating")).map_or("", Rating::label);
            let c = d("comment");
            if c.is_empty() { format!("评价：{r}") } else { format!("评价：{r}，{c}") }
        }
        other => other.to_string(),
    };
    let reopened = if e.to == RqState::Reopened { "；不满意，退回派单人重新派单" } else { "" };
    EventView { on: e.on.clone(), actor: e.actor.clone(), what: format!("{what}{reopened}") }
}

#[derive(Template)]
#[template(path = "web/requests/detail.html")]
struct DetailPage {
    nav: Nav,
    r: Row,
    staff: bool,
    policy_title: String,
    policy_slug: String,
    eligible_related: Vec<(String, String)>,
    handled_note: String,
    amount: String,
    rating: String,
    rating_comment: String,
    reopened: bool,
    events: Vec<EventView>,
    can_dispatch: bool,
    can_start: bool,
    can_handle: bool,
    can_rate: bool,
    depts: Vec<Choice>,
    default_due: String,
    today: String,
    error: String,
    done: String,
}

/// Whether `p` may take a step of kind `probe` now (a refusal for input only still counts).
fn may(p: &Principal, r: &RequestRow, probe: &Action, today: Date) -> bool {
    !matches!(rq::apply(r.standing(), core::actor_of(p, r), probe, today), Err(rq::Refusal::Role(_) | rq::Refusal::State(_)))
}

async fn detail_page(state: &AppState, p: &Principal, id: i64, error: String, done: String) -> Response {
    let nav = Nav::for_principal(p, "requests");
    let r = match core::visible(state, p, id).await {
        Ok(r) => r,
        Err(e) => return api_error_page(nav, e),
    };
    let today = state.clock.today();
    let corpus = state.corpus();
    let snap = &corpus.snapshot;
    let link = match Linkage::of(state, snap, std::slice::from_ref(&r), today).await {
        Ok(l) => l,
        Err(e) => return api_error_page(nav, e),
    };
    let events = match core::store(state) {
        Ok(s) => match s.request_events(id).await {
            Ok(ev) => ev,
            Err(e) => return api_error_page(nav, e.into()),
        },
        Err(e) => return api_error_page(nav, e),
    };
    let title = |slug: &str| snap.policy(slug).map_or_else(|| slug.to_string(), |p| p.meta.title.clone());
    let default_dept = r.department.clone().or_else(|| r.category.department().map(str::to_string)).unwrap_or_default();
    let depts =
        departments(state).into_iter().map(|d| Choice { selected: d == default_dept, label: d.clone(), value: d }).collect();
    let probe_dispatch = Action::Dispatch { department: "x".into(), due: today };
    let probe_handle = Action::Handle { note: "x".into(), amount_fen: None };
    let probe_rate = Action::Rate { rating: Rating::Satisfied, comment: String::new() };
    let page = DetailPage {
        staff: p.user.role.is_staff(),
        policy_title: r.policy.as_deref().map(title).unwrap_or_default(),
        policy_slug: r.policy.clone().unwrap_or_default(),
        eligible_related: link.eligible_in_category(&r).into_iter().map(|s| (title(&s), s)).collect(),
        handled_note: r.handled_note.clone().unwrap_or_default(),
        amount: r.amount_fen.map(core::yuan_text).unwrap_or_default(),
        rating: r.rating.map(Rating::label).unwrap_or_default().into(),
        rating_comment: r.rating_comment.clone().unwrap_or_default(),
        reopened: r.reopened > 0,
        events: events.iter().map(event_view).collect(),
        can_dispatch: may(p, &r, &probe_dispatch, today),
        can_start: may(p, &r, &Action::Start, today),
        can_handle: may(p, &r, &probe_handle, today),
        can_rate: may(p, &r, &probe_rate, today),
        depts,
        default_due: Date::from_days_since_epoch(today.days_since_epoch() + 15).unwrap_or(today).to_string(),
        today: today.to_string(),
        r: row(&r, &link, today),
        error,
        done,
        nav,
    };
    render(StatusCode::OK, &page)
}

/// `GET /requests/{id}`.
pub(crate) async fn detail(State(state): State<AppState>, caller: Caller, Path(id): Path<i64>) -> Response {
    let Some(p) = caller.0.as_ref() else { return login_redirect(&format!("/requests/{id}")) };
    detail_page(&state, p, id, String::new(), String::new()).await
}

/// `POST /requests/{id}`: one step of the loop from its form.
pub(crate) async fn act(
    State(state): State<AppState>,
    caller: Caller,
    method: Method,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(pairs): Pairs,
) -> Response {
    let Some(p) = caller.0.as_ref() else { return login_redirect(&format!("/requests/{id}")) };
    let nav = Nav::for_principal(p, "requests");
    if let Err(e) = auth::check_csrf(p, &method, &headers, field(&pairs, "_csrf")) {
        return api_error_page(nav, e);
    }
    let r = match core::visible(&state, p, id).await {
        Ok(r) => r,
        Err(e) => return api_error_page(nav, e),
    };
    let today = state.clock.today();
    let outcome = match core::parse_action(&|k| field(&pairs, k).map(str::to_string), today) {
        Ok(action) => match core::store(&state) {
            Ok(store) => store
                .act_on_request(id, core::actor_of(p, &r), &p.user.actor(), &action, today, state.clock.now_ms())
                .await
                .map_err(core::refused),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match outcome {
        Ok((row, _)) => {
            let done = format!("已完成：诉求现为“{}”。", row.state.label());
            detail_page(&state, p, id, String::new(), done).await
        }
        Err(e) if e.status() == StatusCode::NOT_FOUND || e.status().is_server_error() => api_error_page(nav, e),
        Err(e) => {
            let status = e.status();
            let mut resp = detail_page(&state, p, id, e.message().to_string(), String::new()).await;
            *resp.status_mut() = status;
            resp
        }
    }
}

/// How many request rows the visit form of the brief offers per enterprise.
pub(crate) const VISIT_ROWS: usize = 3;

/// `POST /console/requests/visit`: the requests an officer collected on a visit to one enterprise
/// (from the visit brief): every filled row at once, as `visit`, then back to the brief.
pub(crate) async fn visit(
    State(state): State<AppState>,
    staff: Staff,
    method: Method,
    headers: HeaderMap,
    Form(pairs): Pairs,
) -> Response {
    let p = &staff.principal;
    if let Err(e) = auth::check_csrf(p, &method, &headers, field(&pairs, "_csrf")) {
        return api_error_page(staff.nav, e);
    }
    let code = field(&pairs, "credit_code").unwrap_or_default().to_string();
    let items: Vec<Item> = (1..=VISIT_ROWS)
        .filter_map(|i| {
            let text = field(&pairs, &format!("text_{i}")).unwrap_or_default().trim().to_string();
            (!text.is_empty()).then(|| Item {
                credit_code: code.clone(),
                category: field(&pairs, &format!("category_{i}")).unwrap_or_default().into(),
                text,
                policy: String::new(),
                source: "visit".into(),
            })
        })
        .collect();
    let back = field(&pairs, "next").filter(|n| n.starts_with("/console/")).unwrap_or("/console/briefs").to_string();
    match core::create(&state, p, items).await {
        Ok(ids) => {
            let sep = if back.contains('?') { '&' } else { '?' };
            see_other(&format!("{back}{sep}recorded={}#firm-{code}", ids.len()))
        }
        Err(e) => api_error_page(staff.nav, e),
    }
}

/// One bar of a plot.
pub(crate) struct Bar {
    label: String,
    value: String,
    x: i64,
    y: i64,
    w: i64,
    h: i64,
    class: &'static str,
}

/// A bar chart drawn as inline SVG by the template.
pub(crate) struct Plot {
    title: String,
    width: i64,
    height: i64,
    base: i64,
    bars: Vec<Bar>,
    legend: Vec<(&'static str, &'static str)>,
}

const PLOT_H: i64 = 160;
const PLOT_TOP: i64 = 24;

/// Groups of bars (`series` per group) scaled to the largest value.
fn plot(
    title: &str,
    groups: &[(String, Vec<f64>)],
    classes: &[&'static str],
    legend: Vec<(&'static str, &'static str)>,
    pct: bool,
) -> Plot {
    let n = classes.len().max(1) as i64;
    let bar_w = 24;
    let group_w = (n * bar_w + 16).max(64);
    let max = groups.iter().flat_map(|(_, v)| v.iter().copied()).fold(0.0_f64, f64::max).max(if pct { 100.0 } else { 1.0 });
    let mut bars = Vec::new();
    for (gi, (label, vals)) in groups.iter().enumerate() {
        for (si, v) in vals.iter().enumerate() {
            let h = ((v / max) * PLOT_H as f64).round() as i64;
            let value = if pct { format!("{v:.0}%") } else { format!("{v:.0}") };
            bars.push(Bar {
                label: if si == 0 { label.clone() } else { String::new() },
                value,
                x: 30 + gi as i64 * group_w + si as i64 * bar_w,
                y: PLOT_TOP + PLOT_H - h,
                w: bar_w - 2,
                h,
                class: classes.get(si).copied().unwrap_or("s0"),
            });
        }
    }
    Plot {
        title: title.to_string(),
        width: 40 + groups.len() as i64 * group_w,
        height: PLOT_TOP + PLOT_H + 44,
        base: PLOT_TOP + PLOT_H,
        bars,
        legend,
    }
}

struct DeptMonth {
    department: String,
    month: String,
    f: rq::MonthFigures,
    on_time_pct: String,
    satisfaction_pct: String,
    median: String,
}

fn pct(v: Option<f64>) -> String {
    v.map(|p| format!("{p:.0}%")).unwrap_or_else(|| "—".into())
}

#[derive(Template)]
#[template(path = "web/requests/figures.html")]
struct FiguresPage {
    nav: Nav,
    at: String,
    total: u32,
    waiting: u32,
    overdue: u32,
    demo: u32,
    plots: Vec<Plot>,
    rows: Vec<DeptMonth>,
    categories: Vec<(String, u32)>,
    towns: Vec<(String, Vec<(String, u32, u32)>, Vec<(String, u32, u32)>)>,
}

/// `GET /console/requests/figures`.
pub(crate) async fn figures(State(state): State<AppState>, staff: Staff) -> Response {
    let nav = staff.nav;
    let today = state.clock.today();
    let corpus = state.corpus();
    let snap = &corpus.snapshot;
    let rep = match core::report(&state, snap, today).await {
        Ok(r) => r,
        Err(e) => return api_error_page(nav, e),
    };
    let f = &rep.figures;
    let months: Vec<(String, Vec<f64>)> = f
        .by_month
        .iter()
        .map(|(m, x)| (m.clone(), vec![f64::from(x.received), f64::from(x.on_time), f64::from(x.reopened)]))
        .collect();
    let mut dept_totals: Vec<(String, rq::MonthFigures)> = Vec::new();
    for (d, ms) in &f.by_department {
        let mut t = rq::MonthFigures::default();
        for m in ms.values() {
            t.received += m.received;
            t.on_time += m.on_time;
            t.handled += m.handled;
            t.rated += m.rated;
            t.satisfied += m.satisfied;
            t.reopened += m.reopened;
        }
        dept_totals.push((d.clone(), t));
    }
    let short = |d: &str| {
        match d {
            "人力资源和社会保障局" => "人社局",
            "地方金融监督管理局" => "金融局",
            "工业和信息化局" => "工信局",
            "发展和改革局" => "发改局",
            "科学技术局" => "科技局",
            "县委两新工委" => "两新工委",
            "中国人民银行" => "人民银行",
            "残疾人联合会" => "残联",
            other => other,
        }
        .chars()
        .take(5)
        .collect::<String>()
    };
    let sat: Vec<(String, Vec<f64>)> = dept_totals
        .iter()
        .map(|(d, t)| (short(d), vec![t.on_time_pct().unwrap_or(0.0), t.satisfaction_pct().unwrap_or(0.0)]))
        .collect();
    let cats: Vec<(String, Vec<f64>)> = Category::ALL
        .iter()
        .map(|c| (c.label().to_string(), vec![f64::from(f.by_category.get(c).copied().unwrap_or(0))]))
        .collect();
    let plots = vec![
        plot(
            "每月受理、按时办结与重开（件）",
            &months,
            &["s0", "s1", "s2"],
            vec![("s0", "受理"), ("s1", "按时办结"), ("s2", "重开")],
            false,
        ),
        plot("各部门按时办结率与满意率", &sat, &["s1", "s3"], vec![("s1", "按时办结率"), ("s3", "满意率")], true),
        plot("企业诉求类别（件）", &cats, &["s0"], vec![("s0", "诉求数")], false),
    ];
    let mut rows = Vec::new();
    for (d, ms) in &f.by_department {
        for (m, x) in ms {
            rows.push(DeptMonth {
                department: d.clone(),
                month: m.clone(),
                on_time_pct: pct(x.on_time_pct()),
                satisfaction_pct: pct(x.satisfaction_pct()),
                median: x.median_days.map(|d| format!("{d:.1} 天")).unwrap_or_else(|| "—".into()),
                f: x.clone(),
            });
        }
    }
    let mut categories: Vec<(String, u32)> = f.by_category.iter().map(|(c, n)| (c.label().to_string(), *n)).collect();
    categories.sort_by(|a, b| b.1.cmp(&a.1));
    let title = |slug: &str| snap.policy(slug).map_or_else(|| slug.to_string(), |p| p.meta.title.clone());
    let towns = rep
        .town_categories
        .iter()
        .map(|(t, cs)| {
            let cs: Vec<(String, u32, u32)> = cs.iter().take(3).map(|(c, n, u)| (c.label().to_string(), *n, *u)).collect();
            let ps: Vec<(String, u32, u32)> = rep
                .town_policies
                .get(t)
                .map(|v| v.iter().take(3).map(|(p, n, u)| (title(p), *n, *u)).collect())
                .unwrap_or_default();
            (t.clone(), cs, ps)
        })
        .collect();
    let page = FiguresPage {
        nav,
        at: today.to_string(),
        total: f.total,
        waiting: f.waiting,
        overdue: rep.overdue,
        demo: rep.demo,
        plots,
        rows,
        categories,
        towns,
    };
    render(StatusCode::OK, &page)
}

/// `GET /console/requests/figures.xlsx`: the same figures as a workbook (audited).
pub(crate) async fn figures_xlsx(State(state): State<AppState>, staff: Staff) -> Response {
    let today = state.clock.today();
    let corpus = state.corpus();
    let rep = match core::report(&state, &corpus.snapshot, today).await {
        Ok(r) => r,
        Err(e) => return api_error_page(staff.nav, e),
    };
    let bytes = match figures_workbook(&rep, today) {
        Ok(b) => b,
        Err(e) => return api_error_page(staff.nav, ApiError::internal(e)),
    };
    if let Some(store) = state.store.as_ref()
        && let Err(e) = store
            .append_audit(
                state.clock.now_ms(),
                &staff.principal.user.actor(),
                "export",
                "requests_figures",
                &serde_json::json!({}),
            )
            .await
    {
        return api_error_page(staff.nav, e.into());
    }
    let name = format!("attachment; filename*=UTF-8''{}.xlsx", crate::briefs::percent(&format!("企业诉求统计-{today}")));
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
    if let Ok(v) = HeaderValue::from_str(&name) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

fn figures_workbook(rep: &core::Report, today: Date) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name("部门月度")?;
    let heads = [
        "部门",
        "月份",
        "受理",
        "按时办结",
        "按时办结率(%)",
        "已办结",
        "办理天数中位数",
        "已评价",
        "满意及基本满意",
        "满意率(%)",
        "重开",
    ];
    for (c, h) in heads.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
        ws.set_column_width(c as u16, if c == 0 { 22.0 } else { 12.0 })?;
    }
    ws.set_freeze_panes(1, 0)?;
    let mut r = 1;
    for (d, ms) in &rep.figures.by_department {
        for (m, x) in ms {
            ws.write_string(r, 0, d)?;
            ws.write_string(r, 1, m)?;
            ws.write_number(r, 2, f64::from(x.received))?;
            ws.write_number(r, 3, f64::from(x.on_time))?;
            if let Some(p) = x.on_time_pct() {
                ws.write_number(r, 4, (p * 10.0).round() / 10.0)?;
            }
            ws.write_number(r, 5, f64::from(x.handled))?;
            if let Some(md) = x.median_days {
                ws.write_number(r, 6, md)?;
            }
            ws.write_number(r, 7, f64::from(x.rated))?;
            ws.write_number(r, 8, f64::from(x.satisfied))?;
            if let Some(p) = x.satisfaction_pct() {
                ws.write_number(r, 9, (p * 10.0).round() / 10.0)?;
            }
            ws.write_number(r, 10, f64::from(x.reopened))?;
            r += 1;
        }
    }
    let ws = wb.add_worksheet();
    ws.set_name("诉求类别")?;
    ws.write_string_with_format(0, 0, "类别", &bold)?;
    ws.write_string_with_format(0, 1, "诉求数", &bold)?;
    for (i, c) in Category::ALL.iter().enumerate() {
        ws.write_string(i as u32 + 1, 0, c.label())?;
        ws.write_number(i as u32 + 1, 1, f64::from(rep.figures.by_category.get(c).copied().unwrap_or(0)))?;
    }
    let ws = wb.add_worksheet();
    ws.set_name("镇街无政策对应")?;
    for (c, h) in ["镇街", "类别", "诉求数", "无政策对应"].iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
        ws.set_column_width(c as u16, 14.0)?;
    }
    let mut r = 1;
    for (t, cs) in &rep.town_categories {
        for (c, n, u) in cs {
            ws.write_string(r, 0, t)?;
            ws.write_string(r, 1, c.label())?;
            ws.write_number(r, 2, f64::from(*n))?;
            ws.write_number(r, 3, f64::from(*u))?;
            r += 1;
        }
    }
    let ws = wb.add_worksheet();
    ws.set_name("说明")?;
    ws.write_string(
        0,
        0,
        format!("统计日期 {today}；共 {} 件诉求，其中演示数据 {} 件，今日超期 {} 件。", rep.figures.total, rep.demo, rep.overdue),
    )?;
    ws.write_string(1, 0, "月份按派单月份计；按时办结＝首次办结日不晚于办理时限；满意率＝（满意＋基本满意）÷ 已评价。")?;
    wb.save_to_buffer()
}
