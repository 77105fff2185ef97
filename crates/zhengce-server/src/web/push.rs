//! Push in the web UI: the officers' push desk (`/console/push`: scheduler, outbox, runs, impact
//! preview, channels, dead letters with replay), who was told of a policy and its uptake
//! (`/console/push/policies/{slug}`), and an enterprise's own notices (`/my/notices`: what it was
//! told, its channels, unsubscribe, marking 已申报).
//!
//! Every POST checks the session's CSRF token and redirects (303) back with a message, so a reload
//! never repeats an action. Channel URLs go through the push crate's SSRF guard; only an admin may
//! allow private addresses, register JSONL files or channels for everyone.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use zhengce_push::{ChangeKind, ChannelRequest, Guard, RunOptions};
use zhengce_store::accounts::Role;
use zhengce_store::push::{Channel, OutboxCounts};

use super::console::Staff;
use super::view;
use super::{Nav, api_error_page, error_page, render, see_other, url};
use crate::AppState;
use crate::auth::{self, Caller, Principal};
use crate::error::ApiError;

type Pairs = Form<Vec<(String, String)>>;
type Params = Query<HashMap<String, String>>;

fn field<'a>(pairs: &'a [(String, String)], k: &str) -> &'a str {
    pairs.iter().find(|(n, _)| n == k).map_or("", |(_, v)| v.trim())
}

fn change_label(kind: &str) -> &'static str {
    ChangeKind::ALL.iter().find(|k| k.as_str() == kind).map_or("其他变化", |k| k.label())
}

fn state_label(state: &str) -> &'static str {
    match state {
        "pending" => "待发送",
        "sent" => "已送达",
        "dead" => "发送失败（死信）",
        _ => "未知",
    }
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "wecom" => "企业微信群机器人",
        "dingtalk" => "钉钉群机器人",
        "webhook" => "Webhook（HMAC 签名）",
        "email" => "电子邮件",
        "jsonl" => "JSONL 文件",
        _ => "其他",
    }
}

fn owner_label(c: &Channel) -> String {
    match c.owner_kind.as_str() {
        "all" => "全部企业".into(),
        "town" if c.owner == "*" => "各镇街汇总".into(),
        "town" => format!("镇街：{}", c.owner),
        _ => format!("企业：{}", c.owner),
    }
}

/// A channel's target as pages show it: webhook URLs carry their key in the query, so only the
/// scheme and host are shown.
fn masked_target(c: &Channel) -> String {
    match c.kind.as_str() {
        "wecom" | "dingtalk" | "webhook" => {
            let rest = c.target.split_once("://").map_or(c.target.as_str(), |(_, r)| r);
            let host = rest.split(['/', '?']).next().unwrap_or("");
            let scheme = c.target.split_once("://").map_or("", |(s, _)| s);
            format!("{scheme}://{host}/…")
        }
        _ => c.target.clone(),
    }
}

fn changes_text(changes: &BTreeMap<String, u64>) -> String {
    let parts: Vec<String> = changes.iter().filter(|(_, n)| **n > 0).map(|(k, n)| format!("{} {n}", change_label(k))).collect();
    if parts.is_empty() { "无变化".into() } else { parts.join("，") }
}

/// The result of a POST, shown once after the redirect (`?msg=` / `?err=`).
fn back(path: &str, ok: Result<String, String>) -> Response {
    match ok {
        Ok(m) => see_other(&url(path, &[("msg", &m)])),
        Err(e) => see_other(&url(path, &[("err", &e)])),
    }
}

fn flash(params: &HashMap<String, String>) -> (String, String) {
    let g = |k: &str| params.get(k).map(|s| s.chars().take(300).collect::<String>()).unwrap_or_default();
    (g("msg"), g("err"))
}

/// What every POST here checks first: the session's CSRF token, then that a store is open.
fn checked<'a>(
    state: &'a AppState,
    p: &Principal,
    method: &Method,
    headers: &HeaderMap,
    pairs: &[(String, String)],
) -> Result<&'a zhengce_store::Store, String> {
    auth::check_csrf(p, method, headers, Some(field(pairs, "_csrf"))).map_err(|e| e.message().to_string())?;
    store_of(state).map_err(|e| e.message().to_string())
}

// ---------------------------------------------------------------------------------------------
// The push desk (staff)

struct SchedView {
    running: bool,
    busy: bool,
    next: String,
    last: String,
    error: String,
    runs: u64,
}

struct RunView {
    id: i64,
    as_of: String,
    when: String,
    enterprises: String,
    changes: String,
    queued: String,
}

struct ChannelView {
    name: String,
    kind: &'static str,
    target: String,
    owner: String,
    per_minute: String,
    enabled: bool,
    private: bool,
}

impl ChannelView {
    fn of(c: &Channel) -> ChannelView {
        ChannelView {
            name: c.name.clone(),
            kind: kind_label(&c.kind),
            target: masked_target(c),
            owner: owner_label(c),
            per_minute: if c.per_minute > 0 { format!("{}/分钟", c.per_minute) } else { "不限".into() },
            enabled: c.enabled,
            private: c.allow_private,
        }
    }
}

struct MessageView {
    id: String,
    channel: String,
    recipient: String,
    attempts: i64,
    notifications: i64,
    error: String,
}

struct PreviewRow {
    slug: String,
    title: String,
    changes: String,
    sample: String,
}

struct PreviewView {
    as_of: String,
    enterprises: u64,
    changed: u64,
    planned: u64,
    changes: String,
    rows: Vec<PreviewRow>,
}

#[derive(Template)]
#[template(path = "web/console/push.html")]
struct PushPage {
    nav: Nav,
    at: String,
    admin: bool,
    msg: String,
    err: String,
    sched: SchedView,
    counts: OutboxCounts,
    runs: Vec<RunView>,
    channels: Vec<ChannelView>,
    dead: Vec<MessageView>,
    pending: Vec<MessageView>,
    preview: Option<PreviewView>,
}

fn store_of(state: &AppState) -> Result<&zhengce_store::Store, ApiError> {
    state.store.as_ref().ok_or_else(|| ApiError::unavailable("企业库未打开"))
}

fn message_views(ms: Vec<zhengce_store::push::MessageInfo>) -> Vec<MessageView> {
    ms.into_iter()
        .map(|m| MessageView {
            id: m.id,
            channel: m.channel,
            recipient: m.recipient,
            attempts: m.attempts,
            notifications: m.notifications,
            error: m.last_error.unwrap_or_default(),
        })
        .collect()
}

/// `GET /console/push`: the push desk. `?preview=1` adds the impact preview of a dry run as of
/// `at` (nothing is written or sent).
pub(crate) async fn desk(State(state): State<AppState>, staff: Staff, Query(params): Params) -> Response {
    let nav = staff.nav;
    let store = match store_of(&state) {
        Ok(s) => s,
        Err(e) => return api_error_page(nav, e),
    };
    let at = match params.get("at").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        Some(s) => match s.parse::<zhengce_model::Date>() {
            Ok(d) => d,
            Err(_) => return api_error_page(nav, ApiError::bad_request(format!("日期“{s}”无效，应为 YYYY-MM-DD"))),
        },
        None => state.clock.today(),
    };
    let now = state.clock.now_ms();
    let loaded = async {
        Ok::<_, zhengce_store::StoreError>((
            store.outbox_counts(now).await?,
            store.recent_push_runs(10).await?,
            store.push_channels().await?,
            store.messages("dead", 100).await?,
            store.messages("pending", 20).await?,
        ))
    }
    .await;
    let (counts, runs, channels, dead, pending) = match loaded {
        Ok(x) => x,
        Err(e) => return api_error_page(nav, e.into()),
    };
    let preview = if params.get("preview").is_some_and(|v| v == "1") {
        let corpus = state.corpus();
        let mut opts = RunOptions::new(at);
        opts.dry_run = true;
        match zhengce_push::detect_changes(store, &corpus.snapshot, &opts, now, &mut |_| {}).await {
            Ok(s) => {
                let mut rows: Vec<PreviewRow> = s
                    .policies
                    .iter()
                    .filter(|(_, p)| p.changes.values().any(|n| *n > 0))
                    .map(|(slug, p)| PreviewRow {
                        slug: slug.clone(),
                        title: p.title.clone(),
                        changes: changes_text(&p.changes),
                        sample: p.sample.iter().take(3).map(|(_, name, _)| name.clone()).collect::<Vec<_>>().join("、"),
                    })
                    .collect();
                rows.sort_by(|a, b| a.title.cmp(&b.title));
                Some(PreviewView {
                    as_of: s.as_of.clone(),
                    enterprises: s.enterprises,
                    changed: s.enterprises_changed,
                    planned: s.notifications_planned,
                    changes: changes_text(&s.changes),
                    rows,
                })
            }
            Err(e) => return api_error_page(nav, ApiError::internal(e)),
        }
    } else {
        None
    };
    let st = state.push.status();
    let sched = SchedView {
        running: st.running,
        busy: st.busy,
        next: st.next_daily_ms.map(view::china_time).unwrap_or_default(),
        last: st.last.as_ref().map_or_else(String::new, |l| {
            let what = match (&l.summary, &l.delivery) {
                (Some(s), d) => format!(
                    "检查企业 {} 家，{}；新排队通知 {} 条，发送消息 {} 条",
                    s.enterprises,
                    changes_text(&s.changes),
                    s.notifications_queued,
                    d.map_or(0, |d| d.sent)
                ),
                (None, _) => "未完成".into(),
            };
            format!("{}（{}）：{what}", view::china_time(l.started_ms), l.trigger)
        }),
        error: st.last.as_ref().and_then(|l| l.error.clone()).unwrap_or_default(),
        runs: st.runs,
    };
    let runs = runs
        .into_iter()
        .map(|r| {
            let s = &r.summary;
            let n = |k: &str| s.get(k).and_then(serde_json::Value::as_u64).map_or_else(|| "—".into(), |v| v.to_string());
            let changes: BTreeMap<String, u64> = s
                .get("changes")
                .and_then(|c| c.as_object())
                .map(|o| o.iter().filter_map(|(k, v)| v.as_u64().map(|n| (k.clone(), n))).collect())
                .unwrap_or_default();
            RunView {
                id: r.id,
                as_of: r.as_of,
                when: view::china_time(r.started_at),
                enterprises: n("enterprises"),
                changes: changes_text(&changes),
                queued: n("notifications_queued"),
            }
        })
        .collect();
    let channels = channels.iter().map(ChannelView::of).collect();
    let (msg, err) = flash(&params);
    let page = PushPage {
        admin: staff.principal.user.role == Role::Admin,
        nav,
        at: at.to_string(),
        msg,
        err,
        sched,
        counts,
        runs,
        channels,
        dead: message_views(dead),
        pending: message_views(pending),
        preview,
    };
    render(StatusCode::OK, &page)
}

/// `POST /console/push/run`: wake the scheduler now (it runs after its short debounce).
pub(crate) async fn run_now(
    State(state): State<AppState>,
    staff: Staff,
    method: Method,
    headers: HeaderMap,
    Form(pairs): Pairs,
) -> Response {
    let r = checked(&state, &staff.principal, &method, &headers, &pairs).and_then(|_| {
        if state.push.status().running {
            state.push.wake("手动");
            Ok("已请求立即运行，几秒后刷新本页查看结果。".to_string())
        } else {
            Err("本服务未启用推送调度（启动时加了 --no-push），请用命令 zhengce push 运行。".to_string())
        }
    });
    back("/console/push", r)
}

/// `POST /console/push/replay`: dead letters back into the queue (`id` = one, empty = all).
pub(crate) async fn replay(
    State(state): State<AppState>,
    staff: Staff,
    method: Method,
    headers: HeaderMap,
    Form(pairs): Pairs,
) -> Response {
    let r = async {
        let store = checked(&state, &staff.principal, &method, &headers, &pairs)?;
        let id = field(&pairs, "id");
        let ids: Vec<String> = if id.is_empty() { Vec::new() } else { vec![id.to_string()] };
        let n = store.replay_dead(&ids, state.clock.now_ms(), &staff.principal.user.actor()).await.map_err(|e| e.to_string())?;
        state.push.wake("重发死信");
        Ok(format!("已将 {n} 条死信重新排队。"))
    }
    .await;
    back("/console/push", r)
}

/// The fields of the channel form, validated by `zhengce_push::add_channel`.
fn channel_request(pairs: &[(String, String)], owner_kind: &str, owner: &str) -> Result<ChannelRequest, String> {
    let per_minute = match field(pairs, "per_minute") {
        "" => None,
        s => Some(s.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| format!("每分钟上限“{s}”应为非负整数"))?),
    };
    Ok(ChannelRequest {
        name: field(pairs, "name").to_string(),
        kind: field(pairs, "kind").to_string(),
        target: field(pairs, "target").to_string(),
        secret: field(pairs, "secret").to_string(),
        owner_kind: owner_kind.to_string(),
        owner: owner.to_string(),
        per_minute,
    })
}

fn guard(state: &AppState) -> Guard {
    state.config.push_guard.clone()
}

/// `POST /console/push/channels`: add (or update) a channel. Officers add town or enterprise
/// channels; admins also channels for everyone, JSONL files, and may allow private addresses.
pub(crate) async fn add_channel(
    State(state): State<AppState>,
    staff: Staff,
    method: Method,
    headers: HeaderMap,
    Form(pairs): Pairs,
) -> Response {
    let r = async {
        let store = checked(&state, &staff.principal, &method, &headers, &pairs)?;
        let admin = staff.principal.user.role == Role::Admin;
        let owner_kind = field(&pairs, "owner_kind");
        let owner = match (owner_kind, field(&pairs, "owner")) {
            ("all", _) => "*",
            ("town", "") => "*",
            ("enterprise", "") => return Err("请填写接收企业的统一社会信用代码".to_string()),
            (_, o) => o,
        };
        let req = channel_request(&pairs, owner_kind, owner)?;
        let allow_private = field(&pairs, "allow_private") == "1";
        let c = zhengce_push::add_channel(store, &req, &guard(&state), admin, allow_private, state.clock.now_ms())
            .await
            .map_err(|e| e.to_string())?;
        Ok(format!("已保存推送渠道“{}”（{}）。", c.name, kind_label(&c.kind)))
    }
    .await;
    back("/console/push", r)
}

/// `POST /console/push/channels/toggle`: subscribe or unsubscribe a channel by name.
pub(crate) async fn toggle_channel(
    State(state): State<AppState>,
    staff: Staff,
    method: Method,
    headers: HeaderMap,
    Form(pairs): Pairs,
) -> Response {
    let r = async {
        let store = checked(&state, &staff.principal, &method, &headers, &pairs)?;
        let name = field(&pairs, "name");
        let enable = field(&pairs, "enabled") == "1";
        if store.set_push_channel_enabled(name, enable).await.map_err(|e| e.to_string())? {
            Ok(format!("渠道“{name}”已{}。", if enable { "启用" } else { "停用" }))
        } else {
            Err(format!("没有名为“{name}”的渠道"))
        }
    }
    .await;
    back("/console/push", r)
}

// ---------------------------------------------------------------------------------------------
// Who was told of a policy, and uptake (staff)

struct NoticeView {
    code: String,
    name: String,
    kind: &'static str,
    channel: String,
    queued: String,
    state: &'static str,
    sent: String,
}

struct UptakeView {
    code: String,
    name: String,
    state: &'static str,
    amount: String,
    when: String,
    actor: String,
}

#[derive(Template)]
#[template(path = "web/console/push_policy.html")]
struct PolicyPushPage {
    nav: Nav,
    at: String,
    slug: String,
    title: String,
    msg: String,
    err: String,
    notices: Vec<NoticeView>,
    uptake: Vec<UptakeView>,
    applied: usize,
    granted: usize,
    granted_total: String,
}

fn uptake_label(s: &str) -> &'static str {
    match s {
        "applied" => "已申报",
        "granted" => "已兑现",
        _ => "未知",
    }
}

/// `GET /console/push/policies/{slug}`: who was notified of the policy (when, through which
/// channel, delivered or not) and the recorded uptake, with a form to record more.
pub(crate) async fn policy(
    State(state): State<AppState>,
    staff: Staff,
    Path(slug): Path<String>,
    Query(params): Params,
) -> Response {
    let nav = staff.nav;
    let store = match store_of(&state) {
        Ok(s) => s,
        Err(e) => return api_error_page(nav, e),
    };
    let corpus = state.corpus();
    let Some(p) = corpus.snapshot.policy(&slug) else {
        return error_page(nav, StatusCode::NOT_FOUND, format!("没有政策“{slug}”。"));
    };
    let loaded = async {
        Ok::<_, zhengce_store::StoreError>((
            store.notifications_for_policy(&slug, 1000).await?,
            store.uptake(Some(&slug)).await?,
            store.enterprise_names().await?,
        ))
    }
    .await;
    let (notices, uptake, names) = match loaded {
        Ok(x) => x,
        Err(e) => return api_error_page(nav, e.into()),
    };
    let name = |c: &str| names.get(c).cloned().unwrap_or_default();
    let notices = notices
        .into_iter()
        .map(|n| NoticeView {
            name: name(&n.notification.credit_code),
            code: n.notification.credit_code,
            kind: change_label(&n.notification.kind),
            channel: n.notification.channel,
            queued: view::china_time(n.notification.created_at),
            state: state_label(&n.state),
            sent: n.sent_at.map(view::china_time).unwrap_or_default(),
        })
        .collect();
    let applied = uptake.iter().filter(|u| u.state == "applied").count();
    let granted = uptake.iter().filter(|u| u.state == "granted").count();
    let total: f64 = uptake.iter().filter(|u| u.state == "granted").filter_map(|u| u.amount_wan).sum();
    let uptake = uptake
        .into_iter()
        .map(|u| UptakeView {
            name: name(&u.credit_code),
            code: u.credit_code,
            state: uptake_label(&u.state),
            amount: u.amount_wan.map(|a| format!("{a} 万元")).unwrap_or_default(),
            when: view::china_time(u.at_ms),
            actor: u.actor,
        })
        .collect();
    let (msg, err) = flash(&params);
    let page = PolicyPushPage {
        nav,
        at: state.clock.today().to_string(),
        title: p.meta.title.clone(),
        slug,
        msg,
        err,
        notices,
        uptake,
        applied,
        granted,
        granted_total: if total > 0.0 { view::wan(total) } else { String::new() },
    };
    render(StatusCode::OK, &page)
}

fn parse_amount(s: &str) -> Result<Option<f64>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    s.parse::<f64>().ok().filter(|a| a.is_finite() && *a >= 0.0).map(Some).ok_or_else(|| format!("金额“{s}”应为非负数（万元）"))
}

/// `POST /console/push/policies/{slug}/uptake`: record 已申报 / 已兑现 (with amount) for a firm.
pub(crate) async fn record_uptake(
    State(state): State<AppState>,
    staff: Staff,
    Path(slug): Path<String>,
    method: Method,
    headers: HeaderMap,
    Form(pairs): Pairs,
) -> Response {
    let path = format!("/console/push/policies/{slug}");
    let r = async {
        let store = checked(&state, &staff.principal, &method, &headers, &pairs)?;
        if state.corpus().snapshot.policy(&slug).is_none() {
            return Err(format!("没有政策“{slug}”"));
        }
        let code = field(&pairs, "credit_code");
        if code.is_empty() {
            return Err("请填写企业的统一社会信用代码".into());
        }
        let st = field(&pairs, "state");
        let amount = parse_amount(field(&pairs, "amount"))?;
        store
            .record_uptake(code, &slug, st, amount, state.clock.now_ms(), &staff.principal.user.actor())
            .await
            .map_err(|e| e.to_string())?;
        Ok(format!("已记录：{code} {}。", uptake_label(st)))
    }
    .await;
    back(&path, r)
}

// ---------------------------------------------------------------------------------------------
// The enterprise's own notices

struct MyNotice {
    title: String,
    slug: String,
    kind: &'static str,
    text: String,
    queued: String,
    channel: String,
    state: &'static str,
}

struct MyPolicy {
    slug: String,
    title: String,
    uptake: &'static str,
}

#[derive(Template)]
#[template(path = "web/notices.html")]
struct NoticesPage {
    nav: Nav,
    name: String,
    code: String,
    msg: String,
    err: String,
    unsubscribed: bool,
    notices: Vec<MyNotice>,
    channels: Vec<ChannelView>,
    eligible: Vec<MyPolicy>,
}

/// The signed-in enterprise account and its credit code, or the page to show instead.
fn enterprise_of(caller: &Caller) -> Result<(&Principal, String), Response> {
    match &caller.0 {
        None => Err(see_other(&url("/login", &[("next", "/my/notices")]))),
        Some(p) => match (&p.user.role, &p.user.enterprise) {
            (Role::Enterprise, Some(code)) => Ok((p, code.clone())),
            _ => Err(error_page(
                Nav::for_principal(p, "notices"),
                StatusCode::FORBIDDEN,
                "“我的通知”是企业账号的页面。工作人员请在工作台的“推送”中查看推送情况。",
            )),
        },
    }
}

/// `GET /my/notices`: what this enterprise was told, through which channel and whether it
/// arrived; its channels; unsubscribe; the policies it qualifies for, to mark 已申报.
pub(crate) async fn my_notices(State(state): State<AppState>, caller: Caller, Query(params): Params) -> Response {
    let (p, code) = match enterprise_of(&caller) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let nav = Nav::for_principal(p, "notices");
    let store = match store_of(&state) {
        Ok(s) => s,
        Err(e) => return api_error_page(nav, e),
    };
    let loaded = async {
        Ok::<_, zhengce_store::StoreError>((
            store.notifications_for_enterprise(&code, 200).await?,
            store.is_unsubscribed(&code).await?,
            store.push_channels().await?,
            store.standings_of(&code).await?,
            store.uptake(None).await?,
            store.enterprise_names().await?,
        ))
    }
    .await;
    let (notices, unsubscribed, channels, standings, uptake, names) = match loaded {
        Ok(x) => x,
        Err(e) => return api_error_page(nav, e.into()),
    };
    let corpus = state.corpus();
    let title = |slug: &str| corpus.snapshot.policy(slug).map_or_else(|| slug.to_string(), |p| p.meta.title.clone());
    let notices = notices
        .into_iter()
        .map(|n| MyNotice {
            title: title(&n.notification.policy),
            slug: n.notification.policy,
            kind: change_label(&n.notification.kind),
            text: n.notification.text,
            queued: view::china_time(n.notification.created_at),
            channel: n.notification.channel,
            state: state_label(&n.state),
        })
        .collect();
    let channels = channels.iter().filter(|c| c.owner_kind == "enterprise" && c.owner == code).map(ChannelView::of).collect();
    let eligible = standings
        .iter()
        .filter(|s| s.status == "eligible")
        .map(|s| MyPolicy {
            title: title(&s.policy),
            uptake: uptake.iter().find(|u| u.credit_code == code && u.policy == s.policy).map_or("", |u| uptake_label(&u.state)),
            slug: s.policy.clone(),
        })
        .collect();
    let (msg, err) = flash(&params);
    let page = NoticesPage {
        nav,
        name: names.get(&code).cloned().unwrap_or_default(),
        code,
        msg,
        err,
        unsubscribed,
        notices,
        channels,
        eligible,
    };
    render(StatusCode::OK, &page)
}

/// `POST /my/notices/subscription`: unsubscribe (`unsubscribe=1`) or resubscribe; audited.
pub(crate) async fn my_subscription(
    State(state): State<AppState>,
    caller: Caller,
    method: Method,
    headers: HeaderMap,
    Form(pairs): Pairs,
) -> Response {
    let (p, code) = match enterprise_of(&caller) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let r = async {
        let store = checked(&state, p, &method, &headers, &pairs)?;
        let off = field(&pairs, "unsubscribe") == "1";
        store.set_unsubscribed(&code, off, state.clock.now_ms(), &p.user.actor()).await.map_err(|e| e.to_string())?;
        Ok(if off {
            "已退订：今后不再向本企业推送政策通知。".to_string()
        } else {
            "已恢复接收政策通知。".to_string()
        })
    }
    .await;
    back("/my/notices", r)
}

/// `POST /my/notices/channels`: the enterprise adds a channel of its own (e-mail, WeCom,
/// DingTalk or a webhook; URLs checked against SSRF, private addresses never allowed here).
pub(crate) async fn my_channel(
    State(state): State<AppState>,
    caller: Caller,
    method: Method,
    headers: HeaderMap,
    Form(pairs): Pairs,
) -> Response {
    let (p, code) = match enterprise_of(&caller) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let r = async {
        let store = checked(&state, p, &method, &headers, &pairs)?;
        let mut req = channel_request(&pairs, "enterprise", &code)?;
        req.per_minute = None;
        // Names are global: an enterprise's channel names carry its code, so two firms never clash.
        req.name = format!("{code}:{}", req.name.trim());
        let c = zhengce_push::add_channel(store, &req, &guard(&state), false, false, state.clock.now_ms())
            .await
            .map_err(|e| e.to_string())?;
        Ok(format!("已添加接收方式：{}。", kind_label(&c.kind)))
    }
    .await;
    back("/my/notices", r)
}

/// `POST /my/notices/uptake`: the enterprise marks 已申报 for a policy it qualifies for.
pub(crate) async fn my_uptake(
    State(state): State<AppState>,
    caller: Caller,
    method: Method,
    headers: HeaderMap,
    Form(pairs): Pairs,
) -> Response {
    let (p, code) = match enterprise_of(&caller) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let r = async {
        let store = checked(&state, p, &method, &headers, &pairs)?;
        let slug = field(&pairs, "policy");
        if state.corpus().snapshot.policy(slug).is_none() {
            return Err(format!("没有政策“{slug}”"));
        }
        // An enterprise can say it applied; only officers record money received (已兑现).
        store
            .record_uptake(&code, slug, "applied", None, state.clock.now_ms(), &p.user.actor())
            .await
            .map_err(|e| e.to_string())?;
        Ok("已标记为已申报，工作人员会跟进兑现情况。".to_string())
    }
    .await;
    back("/my/notices", r)
}
