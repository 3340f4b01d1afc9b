//! The WebSocket API (`docs/progress.md`): `$connect` checks the access token and records the
//! connection, `$disconnect` forgets it, `$default` answers `subscribe` / `unsubscribe` / `ping`.
//! Replies go through the management API, like the workers' progress events.

pub mod authorize;
pub mod connect;
pub mod disconnect;
pub mod message;
mod reply;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_lambda_events::encodings::Body;

/// The connection an event is about (API Gateway always sets it on WebSocket routes).
fn connection_id(event: &ApiGatewayWebsocketProxyRequest) -> Option<&str> {
    event.request_context.connection_id.as_deref()
}

fn response(status: i64, body: Option<String>) -> ApiGatewayProxyResponse {
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = status;
    response.body = body.map(Body::Text);
    response
}

fn error_response(status: i64, code: &str, message: &str) -> ApiGatewayProxyResponse {
    let body = serde_json::json!({"error": {"code": code, "message": message}});
    let mut response = response(status, Some(body.to_string()));
    response.headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}
