use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use forgeflow_api::ApiContext;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    forgeflow_store::telemetry::init();
    let ctx = ApiContext::from_env().await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<ApiGatewayWebsocketProxyRequest>| {
        let ctx = &ctx;
        async move { Ok::<_, Error>(forgeflow_realtime::disconnect::handler(ctx, event.payload).await) }
    }))
    .await
}
