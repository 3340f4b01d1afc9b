use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;

use crate::ApiResult;

/// A JSON response. Serialising our own types cannot fail, so a failure here is a bug worth a 500.
pub fn json_response(status: StatusCode, value: &impl Serialize) -> Response<Body> {
    let (status, body) = match serde_json::to_string(value) {
        Ok(body) => (status, body),
        Err(err) => {
            tracing::error!(error = %err, "response did not serialise");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                r#"{"error":{"code":"internal","message":"internal error","field":null}}"#.to_owned(),
            )
        }
    };
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

pub fn ok(value: &impl Serialize) -> ApiResult {
    Ok(json_response(StatusCode::OK, value))
}

pub fn created(value: &impl Serialize) -> ApiResult {
    Ok(json_response(StatusCode::CREATED, value))
}

pub fn accepted(value: &impl Serialize) -> ApiResult {
    Ok(json_response(StatusCode::ACCEPTED, value))
}

pub fn no_content() -> ApiResult {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    Ok(response)
}
