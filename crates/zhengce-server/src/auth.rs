//! Who is asking: API tokens (`Authorization: Bearer …`) and cookie sessions, CSRF checks for
//! cookie-authenticated writes, and the login rate limit.
//!
//! Access rules, in one place: staff routes need an officer or admin ([`require_staff`]); an
//! enterprise route answers an enterprise account only for its own credit code and says 404 for
//! every other ([`require_enterprise_access`]), so an account cannot even learn which codes exist.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use zhengce_store::accounts::{Session, User};

use crate::AppState;
use crate::error::ApiError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "zc_session";
/// The anonymous CSRF cookie (double-submit) used by forms before login.
pub const CSRF_COOKIE: &str = "zc_csrf";
/// The header carrying the CSRF token on cookie-authenticated API writes.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How a request was authenticated.
#[derive(Clone, Debug)]
pub enum Via {
    /// A per-user API token.
    Token,
    /// A cookie session (its secret, for logout).
    Session {
        /// The session secret from the cookie.
        secret: String,
        /// The session's CSRF token.
        csrf: String,
    },
}

/// An authenticated caller.
#[derive(Clone, Debug)]
pub struct Principal {
    /// The user.
    pub user: User,
    /// How they authenticated.
    pub via: Via,
}

impl Principal {
    /// The session's CSRF token, if this is a cookie session.
    pub fn csrf(&self) -> Option<&str> {
        match &self.via {
            Via::Session { csrf, .. } => Some(csrf),
            Via::Token => None,
        }
    }
}

/// The caller, if authenticated (extractor). Bad or expired credentials give `None`; a store
/// failure is an error.
#[derive(Clone, Debug)]
pub struct Caller(pub Option<Principal>);

/// The value of cookie `name` in the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, `Secure` when serving over TLS.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age_secs: i64) -> HeaderValue {
    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    let text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("zc_invalid=1"))
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let Some(store) = state.store.as_ref() else { return Ok(Caller(None)) };
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        if let Some(token) = bearer {
            return Ok(Caller(store.token_user(token).await?.map(|user| Principal { user, via: Via::Token })));
        }
        let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) else { return Ok(Caller(None)) };
        let idle = state.config.session_idle_ms;
        let found = store.session(secret, state.clock.now_ms(), idle).await?;
        Ok(Caller(found.map(|Session { user, csrf }| Principal { user, via: Via::Session { secret: secret.to_string(), csrf } })))
    }
}

/// Cookie-authenticated writes must carry the session's CSRF token (header or form field);
/// token-authenticated requests are exempt (a script holding a token is not a browser).
pub fn check_csrf(p: &Principal, method: &Method, headers: &HeaderMap, form_value: Option<&str>) -> Result<(), ApiError> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let Some(expected) = p.csrf() else { return Ok(()) };
    let given = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).or(form_value);
    if given.is_some_and(|g| constant_time_eq(g.as_bytes(), expected.as_bytes())) { Ok(()) } else { Err(ApiError::csrf()) }
}

/// Anonymous forms (login): the form field must equal the `zc_csrf` cookie (double submit).
pub fn check_anonymous_csrf(headers: &HeaderMap, form_value: Option<&str>) -> Result<(), ApiError> {
    match (cookie(headers, CSRF_COOKIE), form_value.or_else(|| headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()))) {
        (Some(c), Some(f)) if !c.is_empty() && constant_time_eq(c.as_bytes(), f.as_bytes()) => Ok(()),
        _ => Err(ApiError::csrf()),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Officers and admins only: 401 without credentials, 403 for an enterprise account.
pub fn require_staff(caller: &Caller) -> Result<&Principal, ApiError> {
    match &caller.0 {
        None => Err(ApiError::unauthorized()),
        Some(p) if p.user.role.is_staff() => Ok(p),
        Some(_) => Err(ApiError::forbidden("该功能仅限工作人员使用")),
    }
}

/// Any logged-in user.
pub fn require_user(caller: &Caller) -> Result<&Principal, ApiError> {
    caller.0.as_ref().ok_or_else(ApiError::unauthorized)
}

/// Staff, or the enterprise account bound to `code`; any other enterprise gets 404, exactly as
/// for a code that does not exist.
pub fn require_enterprise_access<'a>(caller: &'a Caller, code: &str) -> Result<&'a Principal, ApiError> {
    let p = require_user(caller)?;
    if p.user.may_access(code) { Ok(p) } else { Err(ApiError::not_found(format!("没有企业 `{code}`"))) }
}

/// Failed-login counting per user name and per client address, in a sliding window.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, Vec<i64>>>,
}

/// Failures allowed per user name within [`LOGIN_WINDOW_MS`] before its logins are refused with 429.
pub const MAX_LOGIN_FAILURES: usize = 5;
/// Failures allowed per client address (an office behind one NAT has many officers).
pub const MAX_CLIENT_FAILURES: usize = 50;
/// The window of the login rate limit.
pub const LOGIN_WINDOW_MS: i64 = 15 * 60 * 1000;

impl LoginLimiter {
    /// Seconds until the keys may try again, if any of them is over its limit.
    pub fn blocked(&self, keys: &[(String, usize)], now_ms: i64) -> Option<i64> {
        let mut map = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut wait = None;
        for (k, limit) in keys {
            if let Some(v) = map.get_mut(k) {
                v.retain(|t| now_ms - t < LOGIN_WINDOW_MS);
                if v.len() >= *limit {
                    let oldest = v.iter().min().copied().unwrap_or(now_ms);
                    let secs = (oldest + LOGIN_WINDOW_MS - now_ms).max(1000) / 1000;
                    wait = Some(wait.map_or(secs, |w: i64| w.max(secs)));
                }
            }
        }
        wait
    }

    /// Records a failure for every key.
    pub fn fail(&self, keys: &[(String, usize)], now_ms: i64) {
        let mut map = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() > 100_000 {
            map.retain(|_, v| v.iter().any(|t| now_ms - t < LOGIN_WINDOW_MS));
        }
        for (k, _) in keys {
            map.entry(k.clone()).or_default().push(now_ms);
        }
    }

    /// Forgets the failures of a user name after a successful login.
    pub fn succeed(&self, name_key: &str) {
        self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(name_key);
    }
}

/// The client's socket address, when the server was started with connect info (extractor; never fails).
#[derive(Clone, Copy, Debug)]
pub struct Peer(pub Option<std::net::SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Peer, Self::Rejection> {
        Ok(Peer(parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0)))
    }
}
