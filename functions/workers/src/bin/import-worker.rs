use forgeflow_workers::import::{ImportWorker, handler};
use forgeflow_workers::lambda::{Container, serve_sqs};
use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let container = Container::init().await?;
    let worker = ImportWorker::from_clients(
        &container.clients,
        &container.config.resources,
        container.config.forges.clone(),
        container.publisher(),
    );
    serve_sqs(&worker, handler).await
}
