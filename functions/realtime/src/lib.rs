//! The WebSocket API (`docs/progress.md`): `$connect` checks the access token and records the
//! connection, `$disconnect` forgets it, `$default` answers `subscribe` / `unsubscribe` / `ping`.
//! Replies go through the management API, like the workers' progress events.

pub mod authorize;
pub mod connect;
pub mod disconnect;
pub mod message;
mod reply;

use std::future::Future;
use std::pin::Pin;

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_lambda_events::encodings::Body;
use forgeflow_api::{ApiContext, KeyLoad};
use forgeflow_progress::Sender;

type Reply<'a> = Pin<Box<dyn Future<Output = ApiGatewayProxyResponse> + Send + 'a>>;

/// One WebSocket route's function: its name in `manifest/websocket.json` and its handler.
pub struct WebSocketFunction {
    pub name: &'static str,
    pub handler: for<'a> fn(&'a ApiContext, &'a Sender, ApiGatewayWebsocketProxyRequest) -> Reply<'a>,
    pub key_load: KeyLoad,
}

/// This crate's functions. Only `$connect` verifies a token; the others read the JWT key only
/// if they ever need it, so their roles need not grant it.
pub const FUNCTIONS: &[WebSocketFunction] = &[
    WebSocketFunction {
        name: "ws-connect",
        handler: |ctx, _, event| Box::pin(connect::handler(ctx, event)),
        key_load: KeyLoad::AtInit,
    },
    WebSocketFunction {
        name: "ws-disconnect",
        handler: |ctx, _, event| Box::pin(disconnect::handler(ctx, event)),
        key_load: KeyLoad::OnFirstUse,
    },
    WebSocketFunction {
        name: "ws-default",
        handler: |ctx, sender, event| Box::pin(message::handler(ctx, sender, event)),
        key_load: KeyLoad::OnFirstUse,
    },
];

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
