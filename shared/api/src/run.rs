use std::future::Future;

use lambda_http::{Request, service_fn};

use crate::{ApiContext, ApiResult, respond};

/// The whole `main` of an HTTP Lambda: JSON logs, the context built once, then the handler
/// for every invocation, its errors mapped by `respond`.
pub async fn run<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(&'static ApiContext, Request) -> Fut,
    Fut: Future<Output = ApiResult> + Send,
{
    forgeflow_store::telemetry::init();
    let context: &'static ApiContext = Box::leak(Box::new(ApiContext::from_env().await?));
    lambda_http::run(service_fn(|req: Request| {
        let request_id = crate::request::request_id(&req);
        let response = handler(context, req);
        async move { Ok::<_, lambda_http::Error>(respond(response.await, &request_id)) }
    }))
    .await
}
