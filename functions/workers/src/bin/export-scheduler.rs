use aws_lambda_events::eventbridge::EventBridgeEvent;
use chrono::Utc;
use forgeflow_progress::Publisher;
use forgeflow_store::{Clients, Env, ExecutionStore, ExportStore, GenerationStore, JobQueue, ScheduleStore};
use forgeflow_workers::config::WorkerConfig;
use forgeflow_workers::scheduler::{Scheduler, handler};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    forgeflow_store::telemetry::init();
    let config = WorkerConfig::from_env(&Env::process())?;
    let clients = Clients::from_env().await;
    let resources = config.resources;
    let scheduler = Scheduler {
        executions: ExecutionStore::new(clients.dynamo.clone(), &resources.table),
        progress: Publisher::at(&clients, &resources.table, config.ws_endpoint.as_deref()),
        schedules: ScheduleStore::new(clients.dynamo.clone(), &resources.table),
        generations: GenerationStore::new(clients.dynamo.clone(), &resources.table),
        exports: ExportStore::new(clients.dynamo.clone(), &resources.table),
        exports_queue: JobQueue::new(clients.sqs.clone(), &resources.exports_queue),
    };
    lambda_runtime::run(service_fn(|event: LambdaEvent<EventBridgeEvent>| {
        let scheduler = &scheduler;
        async move {
            // The slot EventBridge scheduled (its `time`), not when this invocation happens to run:
            // a late or repeated delivery of one tick works on the same slot.
            let now = event.payload.time.unwrap_or_else(Utc::now);
            let report = handler(scheduler, event.payload, now).await?;
            Ok::<_, Error>(
                serde_json::json!({"due": report.due, "enqueued": report.enqueued, "expired": report.expired}),
            )
        }
    }))
    .await
}
