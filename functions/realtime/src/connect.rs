use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use chrono::Utc;
use forgeflow_api::ApiContext;
use forgeflow_store::Connection;

use crate::{connection_id, error_response, response};

/// The subprotocol a browser offers beside its token; the handshake must echo one it offered.
pub const SUBPROTOCOL: &str = "forgeflow.v1";

/// `$connect`: admits a client with a valid access token, from the `token` query parameter or
/// offered as a WebSocket subprotocol (browsers cannot set an Authorization header).
pub async fn handler(ctx: &ApiContext, event: ApiGatewayWebsocketProxyRequest) -> ApiGatewayProxyResponse {
    let Some(connection) = connection_id(&event) else {
        return error_response(400, "invalid_request", "no connection id");
    };
    let offered = offered_protocols(&event);
    let token = event
        .query_string_parameters
        .first("token")
        .map(str::to_owned)
        .or_else(|| offered.iter().find(|protocol| looks_like_jwt(protocol)).cloned());
    let Some(token) = token else {
        return error_response(401, "unauthorized", "missing access token");
    };
    let tokens = match ctx.tokens().await {
        Ok(tokens) => tokens,
        Err(err) => {
            tracing::error!(error = %err, "no signing key");
            return error_response(500, "internal", "could not check the access token");
        }
    };
    let user = match tokens.verify(&token) {
        Ok(user) => user,
        Err(_) => return error_response(401, "unauthorized", "invalid access token"),
    };
    if let Err(err) = ctx
        .connections
        .open(&Connection::new(connection, user, Utc::now()))
        .await
    {
        tracing::error!(error = %err, "could not record the connection");
        return error_response(500, "internal", "could not record the connection");
    }
    tracing::info!(connection, user = %user, "connected");
    let mut accepted = response(200, None);
    if offered.iter().any(|protocol| protocol == SUBPROTOCOL) {
        accepted
            .headers
            .insert("sec-websocket-protocol", http::HeaderValue::from_static(SUBPROTOCOL));
    }
    accepted
}

fn offered_protocols(event: &ApiGatewayWebsocketProxyRequest) -> Vec<String> {
    event
        .headers
        .get_all("sec-websocket-protocol")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|protocol| protocol.trim().to_owned())
        .filter(|protocol| !protocol.is_empty())
        .collect()
}

fn looks_like_jwt(value: &str) -> bool {
    value.split('.').count() == 3
}
