//! Load shedding and request timeouts: a fixed number of requests are served at once; one more is
//! answered at once with 503 and `Retry-After` instead of waiting in an unbounded queue, and a
//! request that overruns its time is answered with 503 too. Liveness (`/healthz`) is never shed.
//! Every answer carries `x-corpus-version`: the corpus version served when the request began.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::ApiError;

/// The middleware: take a permit or shed; bound the time.
pub async fn shed(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.uri().path() == "/healthz" {
        return next.run(req).await;
    }
    let Ok(permit) = state.permits.clone().try_acquire_owned() else {
        return ApiError::overloaded().into_response();
    };
    let version = state.corpus().snapshot.version().to_string();
    let timeout = state.config.request_timeout;
    let resp = match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => {
            let mut e = ApiError::overloaded();
            tracing::warn!("request timed out after {timeout:?}");
            e = e.with_code("timeout", format!("请求处理超时（{} 秒），请稍后重试", timeout.as_secs()));
            e.into_response()
        }
    };
    drop(permit);
    let mut resp = resp;
    if let Ok(v) = axum::http::HeaderValue::from_str(&version) {
        resp.headers_mut().insert("x-corpus-version", v);
    }
    resp
}
