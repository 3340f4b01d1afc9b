use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use forgeflow_agents::Agents;
use forgeflow_progress::Publisher;
use forgeflow_store::{Clients, Env};
use forgeflow_workers::config::WorkerConfig;
use forgeflow_workers::keys::ProviderKeys;
use forgeflow_workers::step::{StepWorker, handler};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    forgeflow_store::telemetry::init();
    let config = WorkerConfig::from_env(&Env::process())?;
    let clients = Clients::from_env().await;
    let resources = config.resources;
    let worker = StepWorker::new(
        forgeflow_store::engine::engine(&clients, &resources),
        Agents::new(config.agents),
        ProviderKeys::from_clients(&clients, &resources),
        Publisher::at(&clients, &resources.table, config.ws_endpoint.as_deref()),
    );
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let deadline = forgeflow_workers::batch::deadline(&event.context);
        let worker = &worker;
        async move { Ok::<SqsBatchResponse, Error>(handler(worker, event.payload, deadline).await) }
    }))
    .await
}
