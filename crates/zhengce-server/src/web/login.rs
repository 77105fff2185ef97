//! Login and logout forms. The login form is protected by the anonymous double-submit cookie
//! (`zc_csrf` must equal the form's `_csrf`); logout by the session's own CSRF token. Logins go
//! through [`crate::handlers::do_login`], so the rate limit (429) and the audit are the API's.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;
use zhengce_store::accounts::random_secret;

use super::{Nav, api_error_page, render, see_other};
use crate::AppState;
use crate::auth::{self, Caller, Via};
use crate::handlers::{client_key, do_login};

#[derive(Template)]
#[template(path = "web/login.html")]
struct LoginPage {
    nav: Nav,
    csrf: String,
    name: String,
    next: String,
    error: String,
}

/// Where to go after logging in: a local path only (never another site).
fn safe_next(next: &str) -> Option<&str> {
    (next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') && !next.starts_with("/login")).then_some(next)
}

/// The login page, setting a fresh anonymous CSRF cookie when there is none.
fn login_page(state: &AppState, headers: &HeaderMap, status: StatusCode, name: &str, next: &str, error: &str) -> Response {
    let existing = auth::cookie(headers, auth::CSRF_COOKIE).filter(|c| c.len() >= 32).map(str::to_string);
    let (token, fresh) = match existing {
        Some(t) => (t, false),
        None => match random_secret() {
            Ok(t) => (t, true),
            Err(e) => return api_error_page(Nav::default(), crate::error::ApiError::internal(e)),
        },
    };
    let page = LoginPage {
        nav: Nav { active: "login", ..Nav::default() },
        csrf: token.clone(),
        name: name.to_string(),
        next: safe_next(next).unwrap_or_default().to_string(),
        error: error.to_string(),
    };
    let mut resp = render(status, &page);
    if fresh {
        resp.headers_mut().append(header::SET_COOKIE, auth::set_cookie(state, auth::CSRF_COOKIE, &token, 2 * 60 * 60));
    }
    resp
}

/// The query of `GET /login`.
#[derive(Deserialize)]
pub(crate) struct LoginQuery {
    #[serde(default)]
    next: String,
}

/// `GET /login`.
pub(crate) async fn show(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<LoginQuery>) -> Response {
    login_page(&state, &headers, StatusCode::OK, "", &q.next, "")
}

/// The login form.
#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    next: String,
}

/// `POST /login`: checks the double-submit token, logs in, sets the session cookie and goes on to
/// `next` (or the page for the role).
pub(crate) async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    peer: auth::Peer,
    Form(f): Form<LoginForm>,
) -> Response {
    let name = f.name.trim();
    if let Err(e) = auth::check_anonymous_csrf(&headers, Some(&f.csrf)) {
        return login_page(&state, &headers, e.status(), name, &f.next, e.message());
    }
    if name.is_empty() || f.password.is_empty() {
        return login_page(&state, &headers, StatusCode::UNPROCESSABLE_ENTITY, name, &f.next, "请填写用户名和密码。");
    }
    let client = client_key(&headers, peer.0);
    match do_login(&state, name, &f.password, &client).await {
        Ok((secret, session)) => {
            let to = safe_next(&f.next)
                .map(str::to_string)
                .unwrap_or_else(|| if session.user.role.is_staff() { "/console/enterprises".into() } else { "/check".into() });
            let mut resp = see_other(&to);
            let cookie = auth::set_cookie(&state, auth::SESSION_COOKIE, &secret, state.config.session_idle_ms / 1000);
            resp.headers_mut().append(header::SET_COOKIE, cookie);
            resp
        }
        Err(e) => {
            let mut resp = login_page(&state, &headers, e.status(), name, &f.next, e.message());
            if e.status() == StatusCode::TOO_MANY_REQUESTS {
                resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
            }
            resp
        }
    }
}

/// The logout form.
#[derive(Deserialize)]
pub(crate) struct LogoutForm {
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

/// `POST /logout`: ends the session (CSRF-checked) and goes home.
pub(crate) async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    method: Method,
    headers: HeaderMap,
    Form(f): Form<LogoutForm>,
) -> Response {
    let Some(p) = caller.0.as_ref() else { return see_other("/") };
    if let Err(e) = auth::check_csrf(p, &method, &headers, Some(&f.csrf)) {
        return api_error_page(Nav::for_principal(p, ""), e);
    }
    if let (Via::Session { secret, .. }, Some(store)) = (&p.via, state.store.as_ref())
        && let Err(e) = store.logout(secret).await
    {
        return api_error_page(Nav::for_principal(p, ""), e.into());
    }
    let mut resp = see_other("/");
    resp.headers_mut().append(header::SET_COOKIE, auth::set_cookie(&state, auth::SESSION_COOKIE, "", 0));
    resp
}
