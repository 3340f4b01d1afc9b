//! The workers as Lambda runs them: each SQS consumer's event source mapping and the schedule rule
//! invoke the worker's own binary, as processes behind the Runtime API, with the batch or the
//! EventBridge event as JSON. A function error or timeout fails the whole batch, as in Lambda: its
//! records come back after the visibility timeout.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use forgeflow_store::Clients;
use serde_json::json;
use tokio::task::JoinHandle;

use crate::Stack;
use crate::event_source::EventSource;
use crate::manifest;
use crate::principals::Principals;
use crate::processes::{FunctionProcesses, FunctionSpec};
use crate::runtime_api::Outcome;

/// Processes per worker at most, whatever the manifest's `max_concurrency` (this is one machine).
const MAX_LOCAL_CONCURRENCY: usize = 4;

/// The running event sources and ticks; dropping this stops them.
pub struct WorkerProcesses {
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for WorkerProcesses {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Starts every worker of `manifest/workers.json` from its binary in `binaries` with `env` and its
/// own role's credentials.
/// `visibility_timeout` shortens redeliveries (tests); `tick_every` fires the schedule rule.
pub fn start(
    clients: &Clients,
    stack: &Stack,
    binaries: &Path,
    env: &[(String, String)],
    principals: &Principals,
    visibility_timeout: Option<i32>,
    tick_every: Option<Duration>,
) -> WorkerProcesses {
    let mut tasks = Vec::new();
    for worker in manifest::workers() {
        let spec = |timeout_s: u64, concurrency: usize| FunctionSpec {
            name: worker.function.clone(),
            binary: binaries.join(&worker.function),
            env: principals.env_for(&worker.function, env),
            memory_mb: worker.memory_mb,
            timeout: Duration::from_secs(timeout_s),
            concurrency: concurrency.min(MAX_LOCAL_CONCURRENCY),
        };
        if worker.schedule.is_some() {
            if let Some(every) = tick_every {
                let function = Arc::new(FunctionProcesses::new(spec(worker.timeout_s.unwrap_or(60), 1)));
                tasks.push(tokio::spawn(tick(function, every)));
            }
            continue;
        }
        let Some(mut source) = EventSource::for_worker(&clients.sqs, stack, &worker, visibility_timeout) else {
            continue;
        };
        source.max_concurrency = source.max_concurrency.min(MAX_LOCAL_CONCURRENCY);
        let function = Arc::new(FunctionProcesses::new(spec(
            source.function_timeout.as_secs(),
            source.max_concurrency,
        )));
        tasks.push(source.spawn(move |event, _deadline| {
            let function = function.clone();
            async move { invoke_batch(&function, event).await }
        }));
    }
    WorkerProcesses { tasks }
}

async fn invoke_batch(function: &FunctionProcesses, event: SqsEvent) -> SqsBatchResponse {
    let all_failed = || {
        let mut response = SqsBatchResponse::default();
        response.batch_item_failures = event
            .records
            .iter()
            .filter_map(|record| record.message_id.clone())
            .map(|id| {
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id;
                failure
            })
            .collect();
        response
    };
    let payload = match serde_json::to_vec(&event) {
        Ok(payload) => payload,
        Err(_) => return all_failed(),
    };
    let name = &function.spec().name;
    match function.invoke(payload).await {
        Ok(Outcome::Response(body)) => serde_json::from_slice(&body).unwrap_or_else(|err| {
            tracing::error!(function = %name, error = %err, "the batch response did not parse");
            all_failed()
        }),
        Ok(Outcome::Error { error_type, message }) => {
            tracing::error!(function = %name, error_type, message, "the batch failed");
            all_failed()
        }
        Err(err) => {
            tracing::error!(function = %name, error = %err, "the function did not start");
            all_failed()
        }
    }
}

/// EventBridge's `rate(...)` rule: a scheduled event every `every`.
async fn tick(function: Arc<FunctionProcesses>, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        let event = json!({
            "version": "0",
            "id": uuid::Uuid::now_v7().to_string(),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "123456789012",
            "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "region": "us-east-1",
            "resources": [format!("arn:aws:events:us-east-1:123456789012:rule/{}", function.spec().name)],
            "detail": {}
        });
        match function.invoke(event.to_string()).await {
            Ok(Outcome::Response(_)) => {}
            Ok(Outcome::Error { error_type, message }) => {
                tracing::warn!(error_type, message, "schedule tick failed");
            }
            Err(err) => tracing::warn!(error = %err, "schedule tick failed"),
        }
    }
}
