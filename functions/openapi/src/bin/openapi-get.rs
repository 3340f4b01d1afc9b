//! Serves the document without building an `ApiContext`: it needs no secret, table or token,
//! so the function has no permissions at all.

use lambda_http::{Request, service_fn};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    forgeflow_store::telemetry::init();
    lambda_http::run(service_fn(|req: Request| async move {
        let request_id = forgeflow_api::request::request_id(&req);
        Ok::<_, lambda_http::Error>(forgeflow_api::respond(forgeflow_openapi::serve(&req), &request_id))
    }))
    .await
}
