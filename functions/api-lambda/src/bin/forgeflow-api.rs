#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let env = forgeflow_store::Env::process();
    forgeflow_api_lambda::run(&forgeflow_api_lambda::handler_from_env(&env)?, &env).await
}
