//! The API's OpenAPI 3.1 document, derived from the code: each function's `#[utoipa::path]`
//! (method, path, parameters, request body, responses), as its crate's `FUNCTIONS` table lists
//! it, and the `ToSchema` of the types it reads and writes. [`Conventions`] adds what every route
//! shares instead of repeating it 40 times: the error body on every 4xx, `WWW-Authenticate` on
//! 401, 429 with `Retry-After` (the rate limiter guards every route) and the bearer scheme.
//! `GET /openapi.json` serves it; tests check it names exactly the manifest's routes.

use forgeflow_api::HttpFunction;
use lambda_http::http::header;
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
    components(schemas(ErrorBody)),
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
        (name = "usage", description = "Prices, estimates, budgets and what runs spent"),
        (name = "meta", description = "This document"),
    ),
)]
pub struct ApiDoc;

/// The document for `functions`: their operations, then what every operation shares.
pub fn document<'a>(functions: impl IntoIterator<Item = &'a HttpFunction>) -> utoipa::openapi::OpenApi {
    let mut openapi = ApiDoc::openapi();
    for function in functions {
        (function.document)(&mut openapi);
    }
    Conventions.modify(&mut openapi);
    openapi
}

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
    // The guard refuses an oversized body on every route, whether or not the route reads one.
    responses
        .entry("413".to_owned())
        .or_insert_with(|| ResponseSpec::new("Body over 256 KiB").into());
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

#[cfg(test)]
mod tests {
    use forgeflow_api::{ApiError, respond};

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
}
