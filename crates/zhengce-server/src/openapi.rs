//! The OpenAPI document, generated from the handlers' `#[utoipa::path]` annotations as the routes
//! are registered (utoipa-axum's `OpenApiRouter`), so a route cannot exist without its entry.
//! Served at `/api/v1/openapi.json`, with Swagger UI (vendored, no download at build time) at
//! `/api/docs`.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::{AppState, handlers};

/// The one error shape: `{"error": {"code", "message", "fields"?}}`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    /// The error.
    error: ErrorDetail,
}

/// The inside of [`ErrorBody`]. Codes: `bad_request`, `unauthorized`, `bad_credentials`,
/// `forbidden`, `csrf`, `not_found`, `too_large`, `invalid_profile`, `too_many_requests`,
/// `overloaded`, `timeout`, `unavailable`, `internal`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    /// Stable error code.
    code: String,
    /// Chinese message.
    message: String,
    /// Per-field problems of a profile (`[{"field", "message"}]`), for `invalid_profile`.
    fields: Option<Vec<FieldProblem>>,
}

/// One field's problem.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct FieldProblem {
    /// Profile field name as submitted.
    field: String,
    /// What is wrong, in Chinese.
    message: String,
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("token", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::SESSION_COOKIE))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "zhengce 政策找企业",
        description = "惠企政策匹配：企业画像 → 每项政策的结论（符合、可能符合、差一点、不符合）、理由、差距、待答问题与预计金额。\
                       Cookie 会话的写请求须带 x-csrf-token 头。",
        version = "1"
    ),
    components(schemas(ErrorBody, ErrorDetail, FieldProblem)),
    modifiers(&Security)
)]
struct ApiDoc;

/// The API routes together with their OpenAPI document.
pub fn api() -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(handlers::healthz))
        .routes(routes!(handlers::readyz))
        .routes(routes!(handlers::match_profile))
        .routes(routes!(handlers::search_policies))
        .routes(routes!(handlers::policy))
        .routes(routes!(handlers::policy_enterprises))
        .routes(routes!(handlers::list_enterprises))
        .routes(routes!(handlers::get_enterprise, handlers::put_enterprise))
        .routes(routes!(handlers::enterprise_matches))
        .routes(routes!(handlers::login))
        .routes(routes!(handlers::logout))
        .routes(routes!(handlers::me))
        .routes(routes!(handlers::issue_token))
        .routes(routes!(handlers::revoke_token))
        .routes(routes!(handlers::corpus_status))
        .routes(routes!(crate::briefs::briefs))
        .routes(routes!(crate::requests::list, crate::requests::create_json))
        .routes(routes!(crate::requests::figures_json))
        .routes(routes!(crate::requests::get_one))
        .routes(routes!(crate::requests::act_json))
        .split_for_parts()
}
