//! What every worker's `main` shares: init once per container (logs, configuration, SDK clients,
//! the progress publisher), then Lambda's loop handing each SQS batch to the worker's handler with
//! the invocation's deadline.

use std::future::Future;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use chrono::{DateTime, Utc};
use forgeflow_progress::Publisher;
use forgeflow_store::{Clients, Env};
use lambda_runtime::{Error, LambdaEvent, service_fn};

use crate::config::WorkerConfig;

/// A worker container's shared state, built before its first invocation.
pub struct Container {
    pub config: WorkerConfig,
    pub clients: Clients,
}

impl Container {
    pub async fn init() -> Result<Self, Error> {
        forgeflow_store::telemetry::init();
        let config = WorkerConfig::from_env(&Env::process())?;
        let clients = Clients::from_env().await;
        Ok(Self { config, clients })
    }

    /// Posts progress to the WebSocket API's connections (stores it only, without an endpoint).
    pub fn publisher(&self) -> Publisher {
        Publisher::at(
            &self.clients,
            &self.config.resources.table,
            self.config.ws_endpoint.as_deref(),
        )
    }
}

/// Serves SQS batches to `handler` until Lambda stops the container.
pub async fn serve_sqs<'a, W: Sync, F>(
    worker: &'a W,
    handler: fn(&'a W, SqsEvent, DateTime<Utc>) -> F,
) -> Result<(), Error>
where
    F: Future<Output = SqsBatchResponse> + Send + 'a,
{
    lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
        let deadline = crate::batch::deadline(&event.context);
        let batch = handler(worker, event.payload, deadline);
        async move { Ok::<SqsBatchResponse, Error>(batch.await) }
    }))
    .await
}
