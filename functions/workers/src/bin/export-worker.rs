use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use forgeflow_progress::Publisher;
use forgeflow_store::{Clients, Resources};
use forgeflow_workers::export::{ExportWorker, ForgeSettings, handler};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    forgeflow_store::telemetry::init();
    let clients = Clients::from_env().await;
    let resources = Resources::from_env()?;
    let worker = ExportWorker::from_clients(
        &clients,
        &resources,
        ForgeSettings::from_env(),
        Publisher::from_clients(&clients, &resources),
    );
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let worker = &worker;
        async move { Ok::<SqsBatchResponse, Error>(handler(worker, event.payload).await) }
    }))
    .await
}
