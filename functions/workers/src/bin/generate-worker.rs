use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use forgeflow_store::{Clients, GenerationStore, JobQueue, Resources};
use forgeflow_workers::generate::{GenerateWorker, handler};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    forgeflow_store::telemetry::init();
    let clients = Clients::from_env().await;
    let resources = Resources::from_env()?;
    let worker = GenerateWorker::new(
        forgeflow_store::engine::engine(&clients, &resources),
        GenerationStore::new(clients.dynamo.clone(), &resources.table),
        JobQueue::new(clients.sqs.clone(), &resources.generations_queue),
    );
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let worker = &worker;
        async move { Ok::<SqsBatchResponse, Error>(handler(worker, event.payload).await) }
    }))
    .await
}
