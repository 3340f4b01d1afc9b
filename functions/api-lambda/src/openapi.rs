//! `openapi-get`: the document of every function in the registry, built once per container.

use std::sync::OnceLock;

use forgeflow_api::{ApiContext, ApiError, ApiResult, Body, HttpFunction, Request, Response};
use lambda_http::http::{HeaderValue, StatusCode, header};

use crate::registry;

/// Its own table: the document lists every function, this one included.
pub const FUNCTIONS: &[HttpFunction] = &[forgeflow_api::http_function!("openapi-get", handler, keyless)];

static DOCUMENT: OnceLock<String> = OnceLock::new();

/// The document as JSON.
pub fn document_json() -> Result<&'static str, ApiError> {
    if let Some(document) = DOCUMENT.get() {
        return Ok(document);
    }
    let json = forgeflow_openapi::document(registry::http_functions())
        .to_json()
        .map_err(ApiError::internal)?;
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
    use serde_json::Value;

    use super::*;

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
        assert_eq!(document["paths"]["/openapi.json"]["get"]["tags"][0], "meta");
    }
}
