use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use forgeflow_progress::Publisher;
use forgeflow_store::{Clients, Env};
use forgeflow_workers::config::WorkerConfig;
use forgeflow_workers::import::{ImportWorker, handler};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    forgeflow_store::telemetry::init();
    let config = WorkerConfig::from_env(&Env::process())?;
    let clients = Clients::from_env().await;
    let resources = config.resources;
    let worker = ImportWorker::from_clients(
        &clients,
        &resources,
        config.forges,
        Publisher::at(&clients, &resources.table, config.ws_endpoint.as_deref()),
    );
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let worker = &worker;
        let deadline = forgeflow_workers::batch::deadline(&event.context);
        async move { Ok::<SqsBatchResponse, Error>(handler(worker, event.payload, deadline).await) }
    }))
    .await
}
