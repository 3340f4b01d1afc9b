use forgeflow_domain::ValidationError;
use forgeflow_store::StoreError;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;
use thiserror::Error;

pub type ApiResult = Result<Response<Body>, ApiError>;

/// Everything a request can fail with. Messages are written for the caller; internal details
/// stay in the logs (see `respond`).
#[derive(Debug, Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest { field: String, message: String },
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("content-type must be application/json")]
    UnsupportedMediaType,
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("too many requests; retry after {retry_after_s} s")]
    RateLimited { retry_after_s: u64 },
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn bad_request(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadRequest {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn internal(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(err.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { .. } => "invalid_request",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::Unauthorized(_) => "unauthorized",
            Self::NotFound(_) => "not_found",
            Self::Conflict { code, .. } => code,
            Self::RateLimited { .. } => "rate_limited",
            Self::Internal(_) => "internal",
        }
    }

    fn field(&self) -> Option<&str> {
        match self {
            Self::BadRequest { field, .. } => Some(field),
            Self::PayloadTooLarge { .. } => Some("body"),
            Self::UnsupportedMediaType => Some("content-type"),
            _ => None,
        }
    }
}

impl From<ValidationError> for ApiError {
    fn from(err: ValidationError) -> Self {
        Self::BadRequest {
            field: err.field,
            message: err.message,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => Self::NotFound("resource"),
            StoreError::Conflict(reason) => Self::Conflict {
                code: "conflict",
                message: reason.to_owned(),
            },
            other => Self::internal(other),
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: String,
    field: Option<&'a str>,
}

/// Turns a handler's result into the response API Gateway returns: the one error mapping.
/// Internal errors are logged with their cause and answered with the request id only.
pub fn respond(result: ApiResult, request_id: &str) -> Response<Body> {
    let err = match result {
        Ok(response) => return response,
        Err(err) => err,
    };
    let message = match &err {
        ApiError::Internal(cause) => {
            tracing::error!(request_id, error = %cause, source = ?cause.source(), "request failed");
            format!("internal error; quote request id {request_id} when reporting it")
        }
        other => {
            tracing::info!(request_id, status = other.status().as_u16(), error = %other, "request refused");
            other.to_string()
        }
    };
    let body = ErrorBody {
        error: ErrorDetail {
            code: err.code(),
            message,
            field: err.field(),
        },
    };
    let mut response = crate::response::json_response(err.status(), &body);
    if matches!(err, ApiError::Unauthorized(_)) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    if let ApiError::RateLimited { retry_after_s } = err {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(response: &Response<Body>) -> serde_json::Value {
        serde_json::from_slice(response.body().as_ref()).expect("json body")
    }

    #[test]
    fn a_bad_request_names_its_field() {
        let response = respond(Err(ApiError::bad_request("name", "must not be empty")), "r1");
        assert_eq!(response.status(), 400);
        assert_eq!(
            body_of(&response),
            serde_json::json!({"error": {"code": "invalid_request", "message": "must not be empty", "field": "name"}})
        );
    }

    #[test]
    fn internal_errors_hide_their_cause_and_give_the_request_id() {
        let response = respond(Err(ApiError::internal("table forgeflow-secret-name is gone")), "req-42");
        assert_eq!(response.status(), 500);
        let text = body_of(&response).to_string();
        assert!(text.contains("req-42"));
        assert!(!text.contains("forgeflow-secret-name"));
    }

    #[test]
    fn unauthorized_responses_ask_for_a_bearer_token() {
        let response = respond(Err(ApiError::Unauthorized("missing bearer token")), "r");
        assert_eq!(response.status(), 401);
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
    }

    #[test]
    fn store_outcomes_map_to_404_and_409() {
        assert_eq!(ApiError::from(StoreError::NotFound).status(), 404);
        assert_eq!(ApiError::from(StoreError::Conflict("stale")).status(), 409);
        assert_eq!(ApiError::from(StoreError::MissingSetting("X")).status(), 500);
    }
}
