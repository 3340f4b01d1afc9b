use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use forgeflow_api::ApiContext;
use forgeflow_progress::{Sender, WS_ENDPOINT_VAR};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    forgeflow_store::telemetry::init();
    let ctx = ApiContext::from_env().await?;
    let sender = Sender::from_env(&ctx.clients.config).ok_or(format!("{WS_ENDPOINT_VAR} is not set"))?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<ApiGatewayWebsocketProxyRequest>| {
        let (ctx, sender) = (&ctx, &sender);
        async move { Ok::<_, Error>(forgeflow_realtime::message::handler(ctx, sender, event.payload).await) }
    }))
    .await
}
