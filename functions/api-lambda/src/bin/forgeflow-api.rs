#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    forgeflow_api_lambda::run(&forgeflow_api_lambda::handler_from_env()?).await
}
