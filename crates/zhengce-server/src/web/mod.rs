//! The Chinese web UI: server-rendered askama pages, progressively enhanced with htmx.
//!
//! Every page works as plain HTML forms (GET for searches, POST for the self-check, login and
//! logout); htmx, when it runs, swaps only the part of the page that changed (`hx-select` picks it
//! out of the same full page, so there is one template per page and no separate partial routes).
//!
//! - [`pages`]: landing page, policy search and policy pages (anyone).
//! - [`check`]: the enterprise self-check (anyone; an enterprise account also saves its profile).
//! - [`login`]: login and logout forms.
//! - [`console`]: the officer console (staff only, guarded by the [`console::Staff`] extractor).
//! - [`push`]: the push desk and who-was-told pages (staff), and an enterprise's own notices.
//! - [`requests`]: enterprise requests (诉求): lists, a request's steps, the visit form of the
//!   brief, and the figures page with SVG plots and xlsx.
//!
//! Security: every response of these routes carries a CSP without inline script or style and
//! `frame-ancestors 'none'`; state-changing forms carry a CSRF token (the session's, or the
//! anonymous double-submit cookie for login). Static files are compiled into the binary.

mod check;
mod console;
mod form;
mod login;
mod markdown;
mod pages;
mod push;
mod requests;
mod view;

use askama::Template;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::AppState;
use crate::auth::{Caller, Principal};
use crate::error::ApiError;

/// The htmx build served at [`HTMX_PATH`] (htmx 2.0.11, 0BSD licence, see the file's first line).
const HTMX_JS: &[u8] = include_bytes!("../../static/htmx-2.0.11.min.js");
/// The stylesheet served at [`CSS_PATH`].
const CSS: &[u8] = include_bytes!("../../static/zhengce.css");
/// The small script served at [`JS_PATH`] (print buttons; nothing depends on it).
const APP_JS: &[u8] = include_bytes!("../../static/zhengce.js");

/// Where htmx is served (versioned, so it can be cached for long).
pub const HTMX_PATH: &str = "/static/htmx-2.0.11.min.js";
/// Where the stylesheet is served.
pub const CSS_PATH: &str = "/static/zhengce.css";
/// Where the page script is served.
pub const JS_PATH: &str = "/static/zhengce.js";

/// The Content-Security-Policy of every page: no inline script or style, no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The web UI's routes (merged into the main router by [`crate::router`]).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::index))
        .route("/check", get(check::show).post(check::submit))
        .route("/policies", get(pages::search))
        .route("/policies/{slug}", get(pages::policy))
        .route("/login", get(login::show).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/console", get(console::home))
        .route("/console/enterprises", get(console::enterprises))
        .route("/console/enterprises/{code}", get(console::enterprise))
        .route("/console/policies", get(console::policies))
        .route("/console/policies/{slug}", get(console::policy))
        .route("/console/policies/{slug}/export.xlsx", get(console::policy_export))
        .route("/console/briefs", get(console::briefs))
        .route("/console/push", get(push::desk))
        .route("/console/push/run", post(push::run_now))
        .route("/console/push/replay", post(push::replay))
        .route("/console/push/channels", post(push::add_channel))
        .route("/console/push/channels/toggle", post(push::toggle_channel))
        .route("/console/push/policies/{slug}", get(push::policy))
        .route("/console/push/policies/{slug}/uptake", post(push::record_uptake))
        .route("/my/notices", get(push::my_notices))
        .route("/my/notices/subscription", post(push::my_subscription))
        .route("/my/notices/channels", post(push::my_channel))
        .route("/my/notices/uptake", post(push::my_uptake))
        .route("/requests", get(requests::list).post(requests::submit))
        .route("/requests/{id}", get(requests::detail).post(requests::act))
        .route("/console/requests/visit", post(requests::visit))
        .route("/console/requests/figures", get(requests::figures))
        .route("/console/requests/figures.xlsx", get(requests::figures_xlsx))
        .route(HTMX_PATH, get(|| async { asset(HTMX_JS, "text/javascript; charset=utf-8") }))
        .route(CSS_PATH, get(|| async { asset(CSS, "text/css; charset=utf-8") }))
        .route(JS_PATH, get(|| async { asset(APP_JS, "text/javascript; charset=utf-8") }))
        .layer(axum::middleware::map_response(security_headers))
}

async fn security_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    resp
}

fn asset(bytes: &'static [u8], content_type: &'static str) -> Response {
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    resp
}

/// The signed-in user as the page header shows them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Nav {
    /// Login name, when signed in.
    pub user: Option<String>,
    /// Role label (管理员, 工作人员, 企业).
    pub role: &'static str,
    /// Officer or admin.
    pub staff: bool,
    /// The session's CSRF token for the logout form (empty for API-token callers).
    pub csrf: String,
    /// Which top-level section is active (`check`, `policies`, `console`, `login`, ``).
    pub active: &'static str,
}

impl Nav {
    /// The header for `caller`, with `active` highlighted.
    pub fn of(caller: &Caller, active: &'static str) -> Nav {
        match &caller.0 {
            Some(p) => Nav::for_principal(p, active),
            None => Nav { active, ..Nav::default() },
        }
    }

    /// The header for a signed-in principal.
    pub fn for_principal(p: &Principal, active: &'static str) -> Nav {
        Nav {
            user: Some(p.user.name.clone()),
            role: p.user.role.label(),
            staff: p.user.role.is_staff(),
            csrf: p.csrf().unwrap_or_default().to_string(),
            active,
        }
    }
}

/// Renders a template into an HTML response with `status`.
pub(crate) fn render<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!("rendering a page: {e}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html(
                    "<!doctype html><meta charset=utf-8><title>服务器内部错误</title><p>服务器内部错误，请稍后重试。".to_string(),
                ),
            )
                .into_response()
        }
    }
}

/// The full-page error.
#[derive(Template)]
#[template(path = "web/error.html")]
pub(crate) struct ErrorPage {
    pub nav: Nav,
    pub title: String,
    pub status: u16,
    pub message: String,
}

/// An error page for `status` with a Chinese `message`.
pub(crate) fn error_page(nav: Nav, status: StatusCode, message: impl Into<String>) -> Response {
    let title = match status {
        StatusCode::NOT_FOUND => "页面不存在",
        StatusCode::FORBIDDEN => "无权访问",
        StatusCode::UNAUTHORIZED => "请先登录",
        StatusCode::TOO_MANY_REQUESTS => "尝试次数过多",
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => "请求有误",
        StatusCode::SERVICE_UNAVAILABLE => "服务暂不可用",
        _ => "出错了",
    };
    render(status, &ErrorPage { nav, title: title.to_string(), status: status.as_u16(), message: message.into() })
}

/// An [`ApiError`] (store failures, bad parameters, …) shown as an HTML page.
pub(crate) fn api_error_page(nav: Nav, e: ApiError) -> Response {
    let mut resp = error_page(nav, e.status(), e.message());
    if e.status() == StatusCode::TOO_MANY_REQUESTS || e.status() == StatusCode::SERVICE_UNAVAILABLE {
        resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    }
    resp
}

/// A 303 redirect (after a POST, or to the login page).
pub(crate) fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Percent-encodes a query-string value (UTF-8; unreserved characters kept).
pub(crate) fn qs(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Builds `path?k=v&…` from the non-empty pairs.
pub(crate) fn url(path: &str, pairs: &[(&str, &str)]) -> String {
    let q: Vec<String> = pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", qs(v))).collect();
    if q.is_empty() { path.to_string() } else { format!("{path}?{}", q.join("&")) }
}
