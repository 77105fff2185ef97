//! The enterprise self-check (`/check`): a form generated from the schema and the ranked results.
//!
//! Anonymous callers match what they typed and nothing is stored. An enterprise account sees its
//! stored profile prefilled and its version history; "保存" writes a new profile version (CSRF
//! checked, audited with the user as actor) and stores the new results. Answering a question in
//! the results submits the same form with that one fact added, so the page re-matches.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value};
use zhengce_engine::Snapshot;
use zhengce_engine::format::{num, pct};
use zhengce_model::Date;
use zhengce_model::schema::FieldType;
use zhengce_model::verdict::{MatchReport, Status};
use zhengce_store::Change;
use zhengce_store::profiles::PutOutcome;

use super::form::{self, Errors, Group, Values};
use super::view::{self, Card, Tally};
use super::{Nav, api_error_page, error_page, render};
use crate::AppState;
use crate::auth::{self, Caller};
use crate::error::ApiError;

/// The results part of the page.
pub(crate) struct Results {
    /// Whether anything was filled in (otherwise an invitation is shown).
    pub has_input: bool,
    pub tally: Tally,
    /// The total of the eligible amounts (a local document implementing another counted once).
    pub eligible_total: String,
    pub eligible: Vec<Card>,
    pub possible: Vec<Card>,
    pub near_miss: Vec<Card>,
    pub ineligible: Vec<Card>,
    /// (label, message) of each bad field.
    pub errors: Vec<(String, String)>,
    /// (label, value) of the derived facts (size class, layoff rate, …).
    pub derived: Vec<(String, String)>,
    pub as_of: String,
}

/// One stored profile version.
pub(crate) struct VersionView {
    pub version: i64,
    pub when: String,
    pub by: String,
    pub source: String,
    pub changed: String,
}

#[derive(Template)]
#[template(path = "web/check.html")]
struct CheckPage {
    nav: Nav,
    groups: Vec<Group>,
    csrf: String,
    can_save: bool,
    code: String,
    name: String,
    saved: String,
    results: Results,
    history: Vec<VersionView>,
    answerable: bool,
}

/// The derived facts as (label, value text).
pub(crate) fn derived_lines(snap: &Snapshot, report: &MatchReport) -> Vec<(String, String)> {
    let Some(schema) = snap.schema() else { return Vec::new() };
    report
        .derived
        .iter()
        .filter_map(|(name, v)| {
            let (label, unit, ty) = schema.describe(name)?;
            let text = match (v, ty) {
                (Value::Number(n), FieldType::Ratio) => pct(n.as_f64()?),
                (Value::Number(n), _) => format!("{}{unit}", num(n.as_f64()?)),
                (Value::Bool(b), _) => (if *b { "是" } else { "否" }).to_string(),
                (Value::String(s), FieldType::Enum(_)) => ty.enum_label(s).unwrap_or(s).to_string(),
                (Value::String(s), _) if name == "size_class" => view::size_label(s).to_string(),
                (Value::String(s), _) => s.clone(),
                _ => return None,
            };
            Some((label.to_string(), text))
        })
        .collect()
}

/// The results of `report` as cards grouped by status (the report's order: status, then amount).
pub(crate) fn results(snap: &Snapshot, report: Option<&MatchReport>, errors: &Errors, as_of: Date, has_input: bool) -> Results {
    let mut out = Results {
        has_input,
        tally: Tally::default(),
        eligible_total: String::new(),
        eligible: Vec::new(),
        possible: Vec::new(),
        near_miss: Vec::new(),
        ineligible: Vec::new(),
        errors: Vec::new(),
        derived: Vec::new(),
        as_of: as_of.to_string(),
    };
    let schema = snap.schema();
    out.errors = errors
        .iter()
        .map(|(f, m)| (schema.and_then(|s| s.field(f)).map_or_else(|| f.clone(), |d| d.label.clone()), m.clone()))
        .collect();
    let Some(report) = report else { return out };
    out.tally = Tally::of(report.results.iter().map(|r| r.status));
    let total = view::total_wan(&report.results, &[Status::Eligible]);
    if total > 0.0 {
        out.eligible_total = view::wan(total);
    }
    out.derived = derived_lines(snap, report);
    for r in &report.results {
        let c = view::card(snap, r);
        match r.status {
            Status::Eligible => out.eligible.push(c),
            Status::Possible => out.possible.push(c),
            Status::NearMiss => out.near_miss.push(c),
            Status::Ineligible => out.ineligible.push(c),
        }
    }
    out
}

async fn history(state: &AppState, snap: &Snapshot, code: &str) -> Result<Vec<VersionView>, ApiError> {
    let Some(store) = state.store.as_ref() else { return Ok(Vec::new()) };
    let versions = store.profile_history(code).await?;
    Ok(versions.iter().rev().map(|v| version_view(snap, v)).collect())
}

/// A profile version's row: who, when, from where, and which fields changed (by label).
pub(crate) fn version_view(snap: &Snapshot, v: &zhengce_store::profiles::ProfileVersion) -> VersionView {
    let label = |f: &String| snap.schema().and_then(|s| s.field(f)).map_or_else(|| f.clone(), |d| d.label.clone());
    let changed = if v.version == 1 {
        format!("首次建档（{} 项）", v.changed_fields.len())
    } else {
        let names: Vec<String> = v.changed_fields.iter().take(8).map(label).collect();
        let more = v.changed_fields.len().saturating_sub(8);
        if more > 0 { format!("{} 等 {} 项", names.join("、"), v.changed_fields.len()) } else { names.join("、") }
    };
    VersionView {
        version: v.version,
        when: view::china_time(v.changed_at),
        by: v.changed_by.clone(),
        source: source_label(&v.source),
        changed,
    }
}

fn source_label(s: &str) -> String {
    match s {
        "web" => "网页".into(),
        "api" => "接口".into(),
        "demo" => "演示数据".into(),
        s if s.starts_with("import") => format!("导入（{}）", s.trim_start_matches("import:")),
        s => s.into(),
    }
}

struct Input {
    values: Values,
    errors: Errors,
    profile: Option<zhengce_model::fact::Profile>,
    object: Map<String, Value>,
}

fn evaluate(snap: &Snapshot, values: Values) -> Input {
    let (object, errors) = form::to_profile(snap, &values);
    let profile = snap.parse_profile_json(&Value::Object(object.clone())).ok();
    Input { values, errors, profile, object }
}

fn page(
    nav: Nav,
    snap: &Snapshot,
    input: &Input,
    as_of: Date,
    own: Option<(&str, &str)>,
    saved: String,
    history: Vec<VersionView>,
) -> CheckPage {
    let report = input.profile.as_ref().map(|p| snap.match_profile(p, as_of));
    let locked: &[&str] = if own.is_some() { &["credit_code"] } else { &[] };
    let groups = snap.schema().map(|s| form::groups(s, &input.values, &input.errors, locked)).unwrap_or_default();
    let has_input = input.values.keys().any(|k| k != "credit_code");
    CheckPage {
        csrf: nav.csrf.clone(),
        can_save: own.is_some() && !nav.csrf.is_empty(),
        code: own.map(|(c, _)| c.to_string()).unwrap_or_default(),
        name: own.map(|(_, n)| n.to_string()).unwrap_or_default(),
        nav,
        groups,
        saved,
        results: results(snap, report.as_ref(), &input.errors, as_of, has_input),
        history,
        answerable: true,
    }
}

/// `GET /check`: the empty form, or an enterprise account's stored profile with its results.
pub(crate) async fn show(State(state): State<AppState>, caller: Caller) -> Response {
    let nav = Nav::of(&caller, "check");
    let corpus = state.corpus();
    let snap = &corpus.snapshot;
    let today = state.clock.today();
    let own = match super::pages::own_profile(&state, &caller).await {
        Ok(o) => o,
        Err(e) => return api_error_page(nav, e),
    };
    let code = caller.0.as_ref().and_then(|p| p.user.enterprise.clone());
    let mut values = match (&own, snap.schema()) {
        (Some((_, obj)), Some(schema)) => form::from_profile(schema, obj),
        _ => Values::new(),
    };
    let mut hist = Vec::new();
    if let Some(c) = &code {
        values.insert("credit_code".into(), c.clone());
        hist = match history(&state, snap, c).await {
            Ok(h) => h,
            Err(e) => return api_error_page(nav, e),
        };
    }
    let name = values.get("name").cloned().unwrap_or_default();
    let input = evaluate(snap, values);
    let own_ref = code.as_deref().map(|c| (c, name.as_str()));
    render(StatusCode::OK, &page(nav, snap, &input, today, own_ref, String::new(), hist))
}

/// `POST /check`: match the submitted form; with `_action=save`, an enterprise account also saves
/// it as a new profile version.
pub(crate) async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    method: Method,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let nav = Nav::of(&caller, "check");
    let corpus = state.corpus();
    let snap = &corpus.snapshot;
    let today = state.clock.today();
    let field = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let save = field("_action") == Some("save");
    let Some(schema) = snap.schema() else {
        return error_page(nav, StatusCode::SERVICE_UNAVAILABLE, "规则库的字段定义无法加载");
    };
    let mut values = form::from_pairs(schema, &pairs);
    let code = caller.0.as_ref().and_then(|p| p.user.enterprise.clone());
    if let Some(c) = &code {
        values.insert("credit_code".into(), c.clone());
    }
    let input = evaluate(snap, values);
    let mut saved = String::new();
    let mut status = if input.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    if save {
        let (Some(p), Some(c)) = (caller.0.as_ref(), &code) else {
            return error_page(nav, StatusCode::FORBIDDEN, "只有企业账号登录后才能保存档案；未登录时体检结果不会被保存。");
        };
        if let Err(e) = auth::check_csrf(p, &method, &headers, field("_csrf")) {
            return api_error_page(nav, e);
        }
        if !input.errors.is_empty() {
            saved = "有填写错误，未保存。请按提示修改后再保存。".into();
        } else if let (Some(store), Some(profile)) = (state.store.as_ref(), input.profile.as_ref()) {
            let actor = p.user.actor();
            let change = Change { by: &actor, at_ms: state.clock.now_ms(), source: "web" };
            let outcome = match store.put_profile(c, &input.object, &change).await {
                Ok(o) => o,
                Err(e) => return api_error_page(nav, e.into()),
            };
            let report = snap.match_profile(profile, today);
            if let Err(e) = store.save_match_report(c, &report, state.clock.now_ms()).await {
                return api_error_page(nav, e.into());
            }
            if !matches!(outcome, PutOutcome::Unchanged { .. }) {
                state.push.wake("企业信息变更");
            }
            saved = match outcome {
                PutOutcome::Created => "已保存，建立第 1 版档案。".into(),
                PutOutcome::Updated { version } => format!("已保存为第 {version} 版档案。"),
                PutOutcome::Unchanged { version } => format!("内容与第 {version} 版相同，未生成新版本。"),
            };
        } else {
            status = StatusCode::SERVICE_UNAVAILABLE;
            saved = "企业库未打开，无法保存。".into();
        }
    }
    let mut hist = Vec::new();
    if let Some(c) = &code {
        hist = match history(&state, snap, c).await {
            Ok(h) => h,
            Err(e) => return api_error_page(nav, e),
        };
    }
    let name = input.values.get("name").cloned().unwrap_or_default();
    let own_ref = code.as_deref().map(|c| (c, name.as_str()));
    render(status, &page(nav, snap, &input, today, own_ref, saved, hist))
}
