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
    init_tracing();
    let context: &'static ApiContext = Box::leak(Box::new(ApiContext::from_env().await?));
    lambda_http::run(service_fn(|req: Request| {
        let request_id = crate::request::request_id(&req);
        let response = handler(context, req);
        async move { Ok::<_, lambda_http::Error>(respond(response.await, &request_id)) }
    }))
    .await
}

/// Structured JSON logs, level from `RUST_LOG` (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .without_time()
        .try_init();
}
