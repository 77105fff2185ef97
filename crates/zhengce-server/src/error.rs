//! API errors: one JSON shape, `{"error": {"code", "message"}}`, mapped to HTTP statuses in one place.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error answered to a client.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    detail: Option<serde_json::Value>,
    retry_after: Option<i64>,
}

impl ApiError {
    /// 400: the request itself is malformed.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            message: message.into(),
            detail: None,
            retry_after: None,
        }
    }

    /// 401: no or wrong credentials.
    pub fn unauthorized() -> ApiError {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            code: "unauthorized",
            message: "请先登录，或使用 API 令牌（Authorization: Bearer …）".into(),
            detail: None,
            retry_after: None,
        }
    }

    /// 404: no such resource.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError { status: StatusCode::NOT_FOUND, code: "not_found", message: message.into(), detail: None, retry_after: None }
    }

    /// 422: well-formed but invalid content (e.g. a profile field), with per-field detail.
    pub fn invalid(message: impl Into<String>, detail: serde_json::Value) -> ApiError {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_profile",
            message: message.into(),
            detail: Some(detail),
            retry_after: None,
        }
    }

    /// 503: a dependency (the store) is not available.
    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "unavailable",
            message: message.into(),
            detail: None,
            retry_after: None,
        }
    }

    /// 500: an internal failure; the detail is logged, not sent.
    pub fn internal(err: impl std::fmt::Display) -> ApiError {
        tracing::error!("internal error: {err}");
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: "服务器内部错误".into(),
            detail: None,
            retry_after: None,
        }
    }

    /// 403: authenticated, but this role may not do that.
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::with_status(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 403: a cookie-authenticated write without the right CSRF token.
    pub fn csrf() -> ApiError {
        ApiError::with_status(StatusCode::FORBIDDEN, "csrf", "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试")
    }

    /// 429: too many attempts; try again after `secs` seconds.
    pub fn too_many(secs: i64) -> ApiError {
        let mut e = ApiError::with_status(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            format!("尝试次数过多，请 {secs} 秒后再试"),
        );
        e.retry_after = Some(secs);
        e
    }

    /// 503: more requests than the server can serve right now; try again shortly.
    pub fn overloaded() -> ApiError {
        let mut e = ApiError::with_status(StatusCode::SERVICE_UNAVAILABLE, "overloaded", "服务繁忙，请稍后重试");
        e.retry_after = Some(1);
        e
    }

    /// The same error with another code and message.
    pub fn with_code(mut self, code: &'static str, message: impl Into<String>) -> ApiError {
        self.code = code;
        self.message = message.into();
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The stable error code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The Chinese message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Any status with a code, for rejections.
    pub fn with_status(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), detail: None, retry_after: None }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"error": {"code": self.code, "message": self.message}});
        if let Some(d) = self.detail {
            body["error"]["fields"] = d;
        }
        let mut resp = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        resp
    }
}

impl From<zhengce_store::StoreError> for ApiError {
    fn from(e: zhengce_store::StoreError) -> ApiError {
        if e.is_user_error() { ApiError::bad_request(e.to_string()) } else { ApiError::internal(e) }
    }
}
