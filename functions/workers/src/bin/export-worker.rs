use forgeflow_workers::export::{ExportWorker, handler};
use forgeflow_workers::lambda::{Container, serve_sqs};
use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let container = Container::init().await?;
    let worker = ExportWorker::from_clients(
        &container.clients,
        &container.config.resources,
        container.config.forges.clone(),
        container.publisher(),
    );
    serve_sqs(&worker, handler).await
}
