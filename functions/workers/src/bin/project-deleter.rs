use forgeflow_workers::deletion::{ProjectDeleter, handler};
use forgeflow_workers::lambda::{Container, serve_sqs};
use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let container = Container::init().await?;
    let worker = ProjectDeleter::from_clients(&container.clients, &container.config.resources);
    serve_sqs(&worker, handler).await
}
