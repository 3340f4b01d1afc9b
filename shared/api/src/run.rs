use std::future::Future;

use lambda_http::{Request, service_fn};

use crate::{ApiContext, ApiResult};

/// The whole `main` of an HTTP Lambda: JSON logs, the context built once, then the handler
/// for every invocation inside the guard (rate limit, error mapping, audit, access log).
pub async fn run<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(&'static ApiContext, Request) -> Fut + Sync,
    Fut: Future<Output = ApiResult> + Send,
{
    forgeflow_store::telemetry::init();
    let context: &'static ApiContext = Box::leak(Box::new(ApiContext::from_env().await?));
    lambda_http::run(service_fn(|req: Request| async {
        Ok::<_, lambda_http::Error>(crate::guarded(context, req, |req| handler(context, req)).await)
    }))
    .await
}
