use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use forgeflow_store::{Clients, Env};
use forgeflow_workers::config::WorkerConfig;
use forgeflow_workers::deletion::{ProjectDeleter, handler};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    forgeflow_store::telemetry::init();
    let config = WorkerConfig::from_env(&Env::process())?;
    let clients = Clients::from_env().await;
    let worker = ProjectDeleter::from_clients(&clients, &config.resources);
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let worker = &worker;
        let deadline = forgeflow_workers::batch::deadline(&event.context);
        async move { Ok::<SqsBatchResponse, Error>(handler(worker, event.payload, deadline).await) }
    }))
    .await
}
