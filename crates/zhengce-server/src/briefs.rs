//! `GET /api/v1/briefs`: a visit brief for one enterprise or a group (town, park, chamber), in
//! the forms of the one `zhengce_brief` model: JSON (the model), Markdown, a printable HTML page
//! (A4), xlsx and PDF, each listing every enterprise's open requests (诉求). Staff only; every
//! export is audited with the actor.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use zhengce_brief::{Identity, Scope};
use zhengce_store::profiles::EnterpriseFilter;

use crate::AppState;
use crate::auth::{self, Caller};
use crate::error::ApiError;

/// The most enterprises one brief covers.
pub const MAX_ENTERPRISES: usize = 2000;

fn identity(code: &str, profile: &Map<String, Value>) -> Identity {
    let s = |k: &str| profile.get(k).and_then(Value::as_str).filter(|v| !v.is_empty()).map(str::to_string);
    Identity {
        credit_code: code.to_string(),
        name: s("name").unwrap_or_else(|| code.to_string()),
        town: s("town"),
        park: s("park"),
        chamber: s("chamber"),
        industry: s("industry_code"),
    }
}

/// `GET /api/v1/briefs?town=|park=|chamber=|enterprise=&at=&format=json|md|html|xlsx|pdf`.
#[utoipa::path(get, path = "/api/v1/briefs", tag = "走访简报", security(("token" = []), ("session" = [])),
    params(("town" = Option<String>, Query, description = "镇街"), ("park" = Option<String>, Query, description = "园区"),
        ("chamber" = Option<String>, Query, description = "商会"), ("enterprise" = Option<String>, Query, description = "统一社会信用代码"),
        ("at" = Option<String>, Query, description = "日期 YYYY-MM-DD，默认今天"),
        ("format" = Option<String>, Query, description = "json（默认）、md、html（A4 打印版）、xlsx、pdf")),
    responses((status = 200, description = "走访简报：每家企业可申报、可能符合、差一点的政策与金额、待问问题、应同行的部门，及合计", body = serde_json::Value),
        (status = 400, description = "参数有误", body = crate::openapi::ErrorBody), (status = 401, description = "未登录", body = crate::openapi::ErrorBody),
        (status = 403, description = "仅限工作人员", body = crate::openapi::ErrorBody), (status = 404, description = "范围内没有企业", body = crate::openapi::ErrorBody)))]
pub(crate) async fn briefs(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let p = auth::require_staff(&caller)?;
    let at = match params.get("at") {
        Some(s) => s.parse().map_err(|_| ApiError::bad_request(format!("at=`{s}` 不是有效日期，应为 YYYY-MM-DD")))?,
        None => state.clock.today(),
    };
    let scope = match (params.get("enterprise"), params.get("town"), params.get("park"), params.get("chamber")) {
        (Some(c), None, None, None) => Scope::Enterprise(c.clone()),
        (None, Some(t), None, None) => Scope::Town(t.clone()),
        (None, None, Some(k), None) => Scope::Park(k.clone()),
        (None, None, None, Some(c)) => Scope::Chamber(c.clone()),
        _ => return Err(ApiError::bad_request("请只给出一个范围：town、park、chamber 或 enterprise")),
    };
    let format = params.get("format").map_or("json", String::as_str);
    if !["json", "md", "html", "xlsx", "pdf"].contains(&format) {
        return Err(ApiError::bad_request(format!("format=`{format}` 无效，可选：json、md、html、xlsx、pdf")));
    }
    let store = state.store.as_ref().ok_or_else(|| ApiError::unavailable("企业库未打开"))?;
    let rows: Vec<(String, Map<String, Value>)> = match &scope {
        Scope::Enterprise(code) => store.enterprise(code).await?.into_iter().map(|e| (e.credit_code, e.profile)).collect(),
        other => {
            let mut filter = EnterpriseFilter::default();
            match other {
                Scope::Town(t) => filter.town = Some(t.clone()),
                Scope::Park(k) => filter.park = Some(k.clone()),
                Scope::Chamber(c) => filter.chamber = Some(c.clone()),
                Scope::Enterprise(_) => {}
            }
            let list = store.list_enterprises(&filter, MAX_ENTERPRISES as i64, 0).await?;
            list.into_iter().map(|e| (e.credit_code, e.profile)).collect()
        }
    };
    if rows.is_empty() {
        return Err(ApiError::not_found(format!("{}“{}”没有库中企业", scope.kind_label(), scope.name())));
    }
    let corpus = state.corpus();
    let snap = &corpus.snapshot;
    let mut matched = Vec::with_capacity(rows.len());
    for (code, profile) in &rows {
        // A stored profile that no longer validates (the schema changed) is left out, not guessed.
        if let Ok(parsed) = snap.parse_profile_json(&Value::Object(profile.clone())) {
            matched.push((identity(code, profile), snap.match_profile(&parsed, at)));
        }
    }
    let mut brief = zhengce_brief::build(snap, scope.clone(), at, &matched);
    // Each enterprise's open requests (诉求), so the visit can answer them too.
    let codes: std::collections::HashSet<&str> = matched.iter().map(|(i, _)| i.credit_code.as_str()).collect();
    let filter = zhengce_store::requests::RequestFilter { open_only: true, ..Default::default() };
    let (open, _) = store.requests(&filter, 20_000, 0).await?;
    let mut by_code: std::collections::BTreeMap<String, Vec<zhengce_brief::OpenRequest>> = Default::default();
    for r in open.into_iter().rev().filter(|r| codes.contains(r.credit_code.as_str())) {
        by_code.entry(r.credit_code.clone()).or_default().push(zhengce_brief::OpenRequest {
            id: r.id,
            category: r.category.label().to_string(),
            text: r.text.clone(),
            state: r.state.label().to_string(),
            department: r.department.clone(),
            due: r.due,
            overdue: r.overdue(state.clock.today()),
        });
    }
    brief.attach_requests(&mut by_code);
    let detail = json!({"scope": scope.kind_label(), "name": scope.name(), "format": format, "enterprises": matched.len()});
    store.append_audit(state.clock.now_ms(), &p.user.actor(), "brief_export", scope.name(), &detail).await?;
    let file = format!("走访简报-{}-{at}", scope.name());
    let attach = |ext: &str| format!("attachment; filename*=UTF-8''{}.{ext}", percent(&file));
    Ok(match format {
        "md" => ([(header::CONTENT_TYPE, "text/markdown; charset=utf-8".to_string())], zhengce_brief::markdown::render(&brief))
            .into_response(),
        "html" => ([(header::CONTENT_TYPE, "text/html; charset=utf-8".to_string())], zhengce_brief::html::render(&brief))
            .into_response(),
        "xlsx" => {
            let bytes = zhengce_brief::xlsx::render(&brief).map_err(ApiError::internal)?;
            let ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string();
            ([(header::CONTENT_TYPE, ct), (header::CONTENT_DISPOSITION, attach("xlsx"))], bytes).into_response()
        }
        "pdf" => {
            let font = zhengce_brief_pdf::CjkFont::load(None).map_err(|e| ApiError::unavailable(e.to_string()))?;
            let bytes = tokio::task::spawn_blocking(move || zhengce_brief_pdf::render(&brief, &font))
                .await
                .map_err(ApiError::internal)?
                .map_err(ApiError::internal)?;
            ([(header::CONTENT_TYPE, "application/pdf".to_string()), (header::CONTENT_DISPOSITION, attach("pdf"))], bytes)
                .into_response()
        }
        _ => (StatusCode::OK, axum::Json(json!(brief))).into_response(),
    })
}

/// Percent-encodes text for a URL query or `filename*=UTF-8''…`.
pub(crate) fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}
