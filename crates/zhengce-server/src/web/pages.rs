//! Pages anyone may open: the landing page, policy search in everyday Chinese and a policy's page.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value};
use zhengce_engine::format::num;
use zhengce_model::policy::{Dimension, Level};
use zhengce_model::verdict::Status;
use zhengce_search::{SearchOptions, Within};

use super::markdown::{self, Block};
use super::view::{self, Badge, Card, SourceLink};
use super::{Nav, api_error_page, error_page, render};
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;

/// The stored profile of the calling enterprise account, if it has one.
pub(crate) async fn own_profile(state: &AppState, caller: &Caller) -> Result<Option<(String, Map<String, Value>)>, ApiError> {
    let Some(code) = caller.0.as_ref().and_then(|p| p.user.enterprise.clone()) else { return Ok(None) };
    let Some(store) = state.store.as_ref() else { return Ok(None) };
    Ok(store.enterprise(&code).await?.map(|e| (code, e.profile)))
}

#[derive(Template)]
#[template(path = "web/index.html")]
struct IndexPage {
    nav: Nav,
    policies: usize,
    in_force: usize,
    examples: Vec<&'static str>,
}

/// `GET /`: the landing page.
pub(crate) async fn index(State(state): State<AppState>, caller: Caller) -> Response {
    let corpus = state.corpus();
    let snap = &corpus.snapshot;
    let today = state.clock.today();
    let in_force = snap.policies().iter().filter(|p| snap.matchable(p, today)).count();
    let page = IndexPage {
        nav: Nav::of(&caller, ""),
        policies: snap.policies().len(),
        in_force,
        examples: vec!["招大学生有补贴吗", "稳岗返还", "设备更新贷款贴息", "数字化改造奖补"],
    };
    render(StatusCode::OK, &page)
}

/// A select option.
pub(crate) struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

struct HitView {
    slug: String,
    title: String,
    level: &'static str,
    validity: &'static str,
    in_force: bool,
    badge: String,
    dimensions: String,
    department: String,
    snippet: String,
    annotation: String,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "web/policies.html")]
struct SearchPage {
    nav: Nav,
    q: String,
    levels: Vec<Choice>,
    dimensions: Vec<Choice>,
    mine: bool,
    profile_at_hand: bool,
    total: usize,
    hits: Vec<HitView>,
    terms: String,
    message: String,
}

fn choices<T: Copy>(all: &[T], chosen: &str, value: fn(&T) -> &'static str, label: fn(&T) -> &'static str) -> Vec<Choice> {
    let mut out = vec![Choice { value: String::new(), label: "全部".into(), selected: chosen.is_empty() }];
    out.extend(all.iter().map(|x| Choice { value: value(x).into(), label: label(x).into(), selected: value(x) == chosen }));
    out
}

/// `GET /policies?q=&level=&dimension=&mine=1`: search in everyday Chinese.
pub(crate) async fn search(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let nav = Nav::of(&caller, "policies");
    let get = |k: &str| params.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    let q: String = get("q").chars().take(256).collect();
    let level = get("level");
    let dimension = get("dimension");
    let mine = get("mine") == "1";
    let today = state.clock.today();
    let corpus = state.corpus();
    let snap = &corpus.snapshot;
    let mut opts = SearchOptions::new(today);
    opts.limit = 50;
    let mut message = String::new();
    if let Some(l) = Level::ALL.iter().find(|l| l.as_str() == level) {
        opts.levels = vec![*l];
    }
    if let Some(d) = Dimension::ALL.iter().find(|d| d.as_str() == dimension) {
        opts.dimensions = vec![*d];
    }
    let own = match own_profile(&state, &caller).await {
        Ok(p) => p,
        Err(e) => return api_error_page(nav, e),
    };
    let profile = own.as_ref().and_then(|(_, obj)| snap.parse_profile_json(&Value::Object(obj.clone())).ok());
    if mine {
        match &profile {
            Some(p) => {
                let report = snap.match_profile(p, today);
                opts.within = Some(Within::from_pairs(
                    report
                        .results
                        .iter()
                        .filter(|r| r.status != Status::Ineligible)
                        .map(|r| (r.policy.clone(), Some(r.status.as_str().to_string()))),
                ));
            }
            None => message = "“只看我可能符合的”需要企业档案：请登录企业账号，或先在自助体检中保存档案。".into(),
        }
    }
    let results = match corpus.search.search(&q, &opts) {
        Ok(r) => r,
        Err(e) => return api_error_page(nav, ApiError::internal(e)),
    };
    let hits = results
        .hits
        .iter()
        .map(|h| {
            let status = h.annotation.as_deref().and_then(zhengce_store::matches::parse_status);
            HitView {
                slug: h.policy.clone(),
                title: h.title.clone(),
                level: h.level.label(),
                validity: h.validity_label,
                in_force: h.in_force,
                badge: h.badge.unwrap_or_default().to_string(),
                dimensions: view::dimensions(&h.dimensions),
                department: h.department.clone(),
                snippet: h.snippet.clone(),
                annotation: status.map(|s| s.label()).unwrap_or_default().to_string(),
                status: status.map(|s| s.as_str()).unwrap_or_default(),
            }
        })
        .collect();
    let page = SearchPage {
        nav,
        levels: choices(&Level::ALL, &level, |l| l.as_str(), |l| l.label()),
        dimensions: choices(&Dimension::ALL, &dimension, |d| d.as_str(), |d| d.label()),
        mine: mine && profile.is_some(),
        profile_at_hand: profile.is_some(),
        total: results.total,
        hits,
        terms: results.terms.join(" "),
        q,
        message,
    };
    render(StatusCode::OK, &page)
}

struct ParamView {
    name: String,
    values: Vec<String>,
}

#[derive(Template)]
#[template(path = "web/policy.html")]
struct PolicyPage {
    nav: Nav,
    slug: String,
    title: String,
    badges: Vec<Badge>,
    doc: String,
    level: &'static str,
    issuers: String,
    department: String,
    dimensions: String,
    period: String,
    in_force: bool,
    window: String,
    benefit: String,
    materials: Vec<String>,
    channel: String,
    notes: Vec<String>,
    sources: Vec<SourceLink>,
    body: Vec<Block>,
    params: Vec<ParamView>,
    evaluable: bool,
    mine: Option<Card>,
}

/// `GET /policies/{slug}`: one policy with its text, criteria and sources.
pub(crate) async fn policy(State(state): State<AppState>, caller: Caller, Path(slug): Path<String>) -> Response {
    let nav = Nav::of(&caller, "policies");
    let corpus = state.corpus();
    let snap = &corpus.snapshot;
    let Some(p) = snap.policy(&slug) else {
        return error_page(nav, StatusCode::NOT_FOUND, format!("没有编号为“{slug}”的政策。"));
    };
    let today = state.clock.today();
    let m = &p.meta;
    let params = snap
        .criteria(&slug)
        .map(|c| {
            c.parameters
                .iter()
                .map(|prm| ParamView {
                    name: prm.name.to_string(),
                    values: prm
                        .values
                        .iter()
                        .map(|v| {
                            let value = v.value.map_or_else(|| "未公布".to_string(), num);
                            let to = v.to.map_or_else(|| "长期".to_string(), |d| d.to_string());
                            format!("{value}（{} 至 {to}）：{}", v.from, v.source)
                        })
                        .collect(),
                })
                .collect()
        })
        .unwrap_or_default();
    let own = match own_profile(&state, &caller).await {
        Ok(p) => p,
        Err(e) => return api_error_page(nav, e),
    };
    let mine = own
        .and_then(|(_, obj)| snap.parse_profile_json(&Value::Object(obj)).ok())
        .and_then(|profile| snap.match_policy(&slug, &profile, today))
        .map(|r| view::card(snap, &r));
    let page = PolicyPage {
        nav,
        slug: slug.clone(),
        title: m.title.clone(),
        badges: view::badges(m),
        doc: view::doc(m),
        level: m.level.label(),
        issuers: m.issuers.join("、"),
        department: m.department.clone(),
        dimensions: view::dimensions(&m.dimensions),
        period: format!("{} 至 {}", m.effective_from, m.effective_to.map_or_else(|| "长期".to_string(), |d| d.to_string())),
        in_force: p.in_force(today),
        window: view::window(m, today).1,
        benefit: m.benefit_summary.clone(),
        materials: m.materials.clone(),
        channel: m.channel.clone().unwrap_or_default(),
        notes: m.notes.clone(),
        sources: view::sources(m),
        body: markdown::blocks(&p.body),
        params,
        evaluable: m.evaluable,
        mine,
    };
    render(StatusCode::OK, &page)
}
