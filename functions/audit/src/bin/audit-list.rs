#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    forgeflow_api::run(forgeflow_audit::list).await
}
