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
}

impl ApiError {
    /// 400: the request itself is malformed.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError { status: StatusCode::BAD_REQUEST, code: "bad_request", message: message.into(), detail: None }
    }

    /// 401: no or wrong credentials.
    pub fn unauthorized() -> ApiError {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            code: "unauthorized",
            message: "需要工作人员令牌（Authorization: Bearer …）".into(),
            detail: None,
        }
    }

    /// 404: no such resource.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError { status: StatusCode::NOT_FOUND, code: "not_found", message: message.into(), detail: None }
    }

    /// 422: well-formed but invalid content (e.g. a profile field), with per-field detail.
    pub fn invalid(message: impl Into<String>, detail: serde_json::Value) -> ApiError {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_profile",
            message: message.into(),
            detail: Some(detail),
        }
    }

    /// 503: a dependency (the store) is not available.
    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError { status: StatusCode::SERVICE_UNAVAILABLE, code: "unavailable", message: message.into(), detail: None }
    }

    /// 500: an internal failure; the detail is logged, not sent.
    pub fn internal(err: impl std::fmt::Display) -> ApiError {
        tracing::error!("internal error: {err}");
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR, code: "internal", message: "服务器内部错误".into(), detail: None
        }
    }

    /// Any status with a code, for rejections.
    pub fn with_status(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), detail: None }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"error": {"code": self.code, "message": self.message}});
        if let Some(d) = self.detail {
            body["error"]["fields"] = d;
        }
        (self.status, Json(body)).into_response()
    }
}

impl From<zhengce_store::StoreError> for ApiError {
    fn from(e: zhengce_store::StoreError) -> ApiError {
        if e.is_user_error() { ApiError::bad_request(e.to_string()) } else { ApiError::internal(e) }
    }
}
