use forgeflow_agents::Agents;
use forgeflow_workers::keys::ProviderKeys;
use forgeflow_workers::lambda::{Container, serve_sqs};
use forgeflow_workers::step::{StepWorker, handler};
use lambda_runtime::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let container = Container::init().await?;
    let resources = &container.config.resources;
    let worker = StepWorker::new(
        forgeflow_store::engine::engine(&container.clients, resources),
        Agents::new(container.config.agents.clone()),
        ProviderKeys::from_clients(&container.clients, resources),
        container.publisher(),
    );
    serve_sqs(&worker, handler).await
}
