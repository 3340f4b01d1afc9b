//! The API's OpenAPI 3.1 document, derived from the code: each handler's `#[utoipa::path]`
//! (method, path, parameters, request body, responses) and the `ToSchema` of the types it reads
//! and writes. [`Conventions`] adds what every route shares instead of repeating it 38 times: the
//! error body on every 4xx, `WWW-Authenticate` on 401, 429 with `Retry-After` (the rate limiter
//! guards every route) and the bearer scheme. `GET /openapi.json` serves it; tests check it
//! names exactly the manifest's routes.

use std::sync::OnceLock;

use forgeflow_api::{ApiContext, ApiError, ApiResult, Body, Request, Response};
use lambda_http::http::{HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Response as ResponseSpec, Type};
use utoipa::{Modify, OpenApi, ToSchema};

/// Every refusal, whatever the route: `{"error": {"code", "message", "field"}}`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorDetail {
    /// Machine-readable: `invalid_request`, `unauthorized`, `not_found`, `payload_too_large`,
    /// `unsupported_media_type`, `rate_limited`, or a conflict's own (`email_taken`,
    /// `version_conflict`, `generation_not_ready`, …).
    pub code: String,
    /// For people; internal errors give only the request id to quote.
    pub message: String,
    /// The culprit: a body path (`settings.auto_export`, `steps[2].depends_on`), a parameter,
    /// `body` or `content-type`; null when no one field is at fault.
    #[schema(required = true)]
    pub field: Option<String>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Forgeflow API",
        description = "Describe a project in a few sentences; Forgeflow runs a workflow of AI agents on it, \
            generates the project and exports it as a git repository. Every route but register, login, \
            the webhook and this document needs `Authorization: Bearer <token>` from register or login.",
    ),
    paths(
        forgeflow_auth::register::handler,
        forgeflow_auth::login::handler,
        forgeflow_auth::me::handler,
        forgeflow_projects::create::handler,
        forgeflow_projects::list::handler,
        forgeflow_projects::get::handler,
        forgeflow_projects::update::handler,
        forgeflow_projects::delete::handler,
        forgeflow_projects::plan::stories,
        forgeflow_projects::plan::sprints,
        forgeflow_catalog::agents::list::handler,
        forgeflow_catalog::agents::get::handler,
        forgeflow_catalog::agents::create::handler,
        forgeflow_catalog::workflows::list::handler,
        forgeflow_catalog::workflows::get::handler,
        forgeflow_catalog::workflows::create::handler,
        forgeflow_executions::create::handler,
        forgeflow_executions::list::handler,
        forgeflow_executions::get::handler,
        forgeflow_executions::events::handler,
        forgeflow_executions::cancel::handler,
        forgeflow_executions::retry::handler,
        forgeflow_generations::create::handler,
        forgeflow_generations::list::handler,
        forgeflow_generations::get::handler,
        forgeflow_generations::file::handler,
        forgeflow_credentials::put,
        forgeflow_credentials::get,
        forgeflow_credentials::delete,
        forgeflow_exports::create::handler,
        forgeflow_exports::get::handler,
        forgeflow_exports::list::handler,
        forgeflow_schedules::put,
        forgeflow_schedules::get,
        forgeflow_schedules::delete,
        forgeflow_hooks::create,
        forgeflow_hooks::rotate,
        forgeflow_hooks::receive,
        forgeflow_audit::list,
        handler,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Conventions),
    tags(
        (name = "auth", description = "Accounts and tokens"),
        (name = "projects", description = "Projects, and the plan of their latest successful execution"),
        (name = "agents", description = "Built-in agents and the caller's own"),
        (name = "workflows", description = "Built-in workflows and the caller's own: DAGs of agent steps"),
        (name = "executions", description = "Workflow runs over a project, and their progress events"),
        (name = "generations", description = "Projects generated from an execution's output"),
        (name = "credentials", description = "GitHub and GitLab tokens, write-only"),
        (name = "exports", description = "Generations delivered as git repositories"),
        (name = "schedules", description = "Cron or rate export schedules"),
        (name = "hooks", description = "Signed webhooks that start an export"),
        (name = "audit", description = "The caller's own audit log"),
        (name = "meta", description = "This document"),
    ),
)]
pub struct ApiDoc;

/// The name the security requirements of `#[utoipa::path]` use.
pub const BEARER: &str = "bearer";

/// What every operation shares; see the module docs.
pub struct Conventions;

impl Modify for Conventions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                shared_responses(operation);
            }
        }
    }
}

fn shared_responses(operation: &mut Operation) {
    let responses = &mut operation.responses.responses;
    responses.entry("429".to_owned()).or_insert_with(|| {
        ResponseSpec::new("Too many requests from this caller; retry after `Retry-After` seconds").into()
    });
    for (status, response) in responses.iter_mut() {
        let RefOr::T(response) = response else { continue };
        if !status.starts_with('4') {
            continue;
        }
        if response.content.is_empty() {
            response.content.insert(
                "application/json".to_owned(),
                Content::new(Some(Ref::from_schema_name("ErrorBody"))).into(),
            );
        }
        let header = match status.as_str() {
            "401" => Some((header::WWW_AUTHENTICATE, "`Bearer`")),
            "429" => Some((header::RETRY_AFTER, "Seconds to wait before the next request")),
            _ => None,
        };
        if let Some((name, description)) = header {
            let schema = if name == header::RETRY_AFTER {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(0))
            } else {
                utoipa::openapi::ObjectBuilder::new().schema_type(Type::String)
            };
            response.headers.insert(
                name.as_str().to_owned(),
                HeaderBuilder::new()
                    .schema(Some(schema))
                    .description(Some(description))
                    .build()
                    .into(),
            );
        }
    }
}

static DOCUMENT: OnceLock<String> = OnceLock::new();

/// The document as JSON, built once per container.
pub fn document_json() -> Result<&'static str, ApiError> {
    if let Some(document) = DOCUMENT.get() {
        return Ok(document);
    }
    let json = ApiDoc::openapi().to_json().map_err(ApiError::internal)?;
    Ok(DOCUMENT.get_or_init(|| json))
}

/// `GET /openapi.json`: needs no token, no AWS and no context; the Lambda calls [`serve`].
#[utoipa::path(
    get, path = "/openapi.json", tag = "meta", operation_id = "openapi-get",
    responses((status = 200, description = "This document (OpenAPI 3.1)", body = serde_json::Value)),
)]
pub async fn handler(_ctx: &ApiContext, req: Request) -> ApiResult {
    serve(&req)
}

pub fn serve(_req: &Request) -> ApiResult {
    let mut response = Response::new(Body::Text(document_json()?.to_owned()));
    *response.status_mut() = StatusCode::OK;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use forgeflow_api::respond;
    use serde_json::Value;

    use super::*;

    /// The schema is written here, the body in `forgeflow_api::respond`: every kind of refusal
    /// must parse as the schema's type, unknown fields refused.
    #[test]
    fn every_error_respond_writes_has_the_documented_shape() {
        let errors = [
            ApiError::bad_request("settings.auto_export", "invalid type"),
            ApiError::PayloadTooLarge { limit: 10 },
            ApiError::UnsupportedMediaType,
            ApiError::Unauthorized("missing bearer token"),
            ApiError::NotFound("project"),
            ApiError::Conflict {
                code: "version_conflict",
                message: "stale".into(),
            },
            ApiError::RateLimited { retry_after_s: 7 },
            ApiError::internal("boom"),
        ];
        for error in errors {
            let status = error.status();
            let response = respond(Err(error), "request-1");
            let body: ErrorBody = serde_json::from_slice(response.body().as_ref()).expect("documented shape");
            assert!(!body.error.code.is_empty());
            // The headers `Conventions` documents.
            match status.as_u16() {
                401 => assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer"),
                429 => assert_eq!(response.headers()[header::RETRY_AFTER], "7"),
                _ => {}
            }
        }
    }

    fn parameter<'a>(document: &'a Value, path: &str, name: &str) -> &'a Value {
        document["paths"][path]["get"]["parameters"]
            .as_array()
            .and_then(|parameters| parameters.iter().find(|p| p["name"] == name))
            .unwrap_or_else(|| panic!("{path} has no parameter {name}"))
    }

    #[test]
    fn documented_limits_are_the_enforced_ones() {
        let document: Value = serde_json::from_str(document_json().unwrap()).unwrap();
        for path in [
            "/projects",
            "/projects/{id}/executions",
            "/projects/{id}/generations",
            "/projects/{id}/exports",
        ] {
            let limit = &parameter(&document, path, "limit")["schema"];
            assert_eq!(limit["minimum"], 1, "{path}");
            assert_eq!(limit["maximum"], forgeflow_api::cursor::MAX_LIMIT, "{path}");
        }
        let events = &parameter(&document, "/executions/{id}/events", "limit")["schema"];
        assert_eq!(events["maximum"], forgeflow_store::events::MAX_REPLAY);
    }

    #[tokio::test]
    async fn the_lambda_answers_with_the_document() {
        let request = lambda_http::http::Request::builder()
            .uri("/openapi.json")
            .body(Body::Empty)
            .unwrap();
        let response = serve(&request).unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let document: Value = serde_json::from_slice(response.body().as_ref()).unwrap();
        assert_eq!(document["openapi"], "3.1.0");
        assert_eq!(document["info"]["title"], "Forgeflow API");
    }
}
