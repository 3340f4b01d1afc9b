use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use forgeflow_api::ApiContext;

use crate::{connection_id, response};

/// `$disconnect`: forgets the connection and its subscriptions. API Gateway does not retry this
/// route, so a failure is only logged — the rows expire with the connection's TTL anyway.
pub async fn handler(ctx: &ApiContext, event: ApiGatewayWebsocketProxyRequest) -> ApiGatewayProxyResponse {
    if let Some(connection) = connection_id(&event) {
        match ctx.connections.close(connection).await {
            Ok(()) => tracing::info!(connection, "disconnected"),
            Err(err) => tracing::warn!(connection, error = %err, "could not forget the connection"),
        }
    }
    response(200, None)
}
