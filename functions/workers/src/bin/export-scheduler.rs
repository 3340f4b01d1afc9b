// The scheduler's handler future nests deeper than rustc's default layout query depth.
#![recursion_limit = "256"]

use aws_lambda_events::eventbridge::EventBridgeEvent;
use chrono::Utc;
use forgeflow_workers::lambda::Container;
use forgeflow_workers::scheduler::{Scheduler, handler};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let container = Container::init().await?;
    let scheduler = Scheduler::from_clients(&container.clients, &container.config.resources, container.publisher());
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
