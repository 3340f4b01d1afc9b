//! The API's Lambda binary. Every HTTP route and WebSocket route is its own Lambda function
//! (own role, environment, memory and timeout), but they share this one executable: Lambda
//! tells it which function it is through `_HANDLER`, the handler named in the function's
//! configuration (CDK sets it to the function's name). The local stack runs the same table.

pub mod openapi;
pub mod registry;

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use forgeflow_api::{ApiConfig, ApiContext, ApiError, HttpFunction, Request};
use forgeflow_progress::{Sender, WS_ENDPOINT_VAR};
use forgeflow_realtime::WebSocketFunction;
use forgeflow_store::Env;
use lambda_runtime::{Error, LambdaEvent, service_fn};

/// Set by Lambda from the function's `Handler` for every runtime, custom runtimes included.
pub const HANDLER_VAR: &str = "_HANDLER";

/// The function this process is, from [`HANDLER_VAR`].
pub fn handler_from_env(env: &Env) -> Result<String, Error> {
    env.get(HANDLER_VAR)
        .map(str::to_owned)
        .ok_or_else(|| format!("{HANDLER_VAR} is not set: the function's handler must name an API function").into())
}

/// Runs `function`'s Lambda loop with the settings in `env`.
pub async fn run(function: &str, env: &Env) -> Result<(), Error> {
    if function == registry::OPENAPI_FUNCTION {
        return serve_openapi().await;
    }
    if let Some(function) = registry::http_function(function) {
        return http_loop(function, ApiConfig::from_env(env)?).await;
    }
    if let Some(function) = registry::websocket_function(function) {
        return websocket(function, ApiConfig::from_env(env)?).await;
    }
    let known: Vec<&str> = registry::names().collect();
    Err(format!(
        "{HANDLER_VAR}={function:?} names no API function; known: {}",
        known.join(", ")
    )
    .into())
}

/// JSON logs, the context built once per container, then every invocation inside the guard
/// (rate limit, error mapping, audit, access log).
async fn http_loop(function: &'static HttpFunction, config: ApiConfig) -> Result<(), Error> {
    forgeflow_store::telemetry::init();
    let context = ApiContext::from_config(config, function.key_load).await?;
    let context = &context;
    lambda_http::run(lambda_http::service_fn(move |req: Request| async move {
        Ok::<_, Error>(forgeflow_api::guarded(context, req, |req| function.call(context, req)).await)
    }))
    .await
}

/// The named function's handler on `req` (the gateway's in-process mode calls it too).
pub async fn http(function: &str, ctx: &ApiContext, req: Request) -> forgeflow_api::ApiResult {
    match registry::http_function(function) {
        Some(function) => function.call(ctx, req).await,
        None => Err(ApiError::NotFound("function")),
    }
}

/// `openapi-get` builds no `ApiContext`: it needs no secret, table or token, so the function has
/// no permissions at all. The document is built during init.
async fn serve_openapi() -> Result<(), Error> {
    forgeflow_store::telemetry::init();
    // Built during init (about 2 ms), so the first request costs what every other one does.
    openapi::document_json()?;
    lambda_http::run(lambda_http::service_fn(|req: Request| async move {
        let request_id = forgeflow_api::request::request_id(&req);
        Ok::<_, Error>(forgeflow_api::respond(openapi::serve(&req), &request_id))
    }))
    .await
}

async fn websocket(function: &'static WebSocketFunction, config: ApiConfig) -> Result<(), Error> {
    forgeflow_store::telemetry::init();
    let endpoint = config
        .ws_endpoint
        .clone()
        .ok_or(format!("{WS_ENDPOINT_VAR} is not set"))?;
    let ctx = ApiContext::from_config(config, function.key_load).await?;
    let sender = Sender::new(&ctx.clients.config, &endpoint);
    lambda_runtime::run(service_fn(|event: LambdaEvent<ApiGatewayWebsocketProxyRequest>| {
        let (ctx, sender) = (&ctx, &sender);
        async move { Ok::<_, Error>((function.handler)(ctx, sender, event.payload).await) }
    }))
    .await
}
