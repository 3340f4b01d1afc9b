//! What every SQS worker shares: running a batch's records concurrently and reporting only the
//! failed ones, so one bad record does not send its healthy neighbours round again; the typed
//! outcome of a job; and when a failing job is given up on.

use std::future::Future;

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::{DateTime, Utc};
use forgeflow_store::{JobQueue, StoreError};
use futures_util::future::join_all;
use serde::de::DeserializeOwned;
use tokio::sync::OnceCell;

/// Why a job did not finish, and so what becomes of its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Running it again cannot help (a message that does not parse, a refused path, a generation
    /// that is gone): the reason is recorded on the job at once and the message deleted.
    #[error("{0}")]
    Final(String),
    /// A later delivery may succeed (the network, a throttled or failing backend): delivered
    /// again, and on its last delivery the failure is recorded before SQS moves it to the DLQ.
    #[error("{0}")]
    Retryable(String),
    /// Another delivery of the same job holds its lease and is working on it: delivered again
    /// later, never given up on, since the holder records the outcome itself.
    #[error("{0}")]
    Held(String),
}

impl From<StoreError> for JobError {
    fn from(err: StoreError) -> Self {
        Self::Retryable(err.to_string())
    }
}

/// The job in `record`'s body; one that does not parse will never parse, so it is final.
pub fn parse<J: DeserializeOwned>(record: &SqsMessage, kind: &str) -> Result<J, JobError> {
    let body = record.body.as_deref().unwrap_or_default();
    serde_json::from_str(body).map_err(|err| JobError::Final(format!("not {kind}: {err}")))
}

pub async fn for_each_record<F, Fut>(event: SqsEvent, process: F) -> SqsBatchResponse
where
    F: Fn(SqsMessage) -> Fut,
    Fut: Future<Output = Result<(), JobError>>,
{
    let ids: Vec<Option<String>> = event.records.iter().map(|record| record.message_id.clone()).collect();
    let results = join_all(event.records.into_iter().map(process)).await;
    let mut response = SqsBatchResponse::default();
    for (id, result) in ids.into_iter().zip(results) {
        let message_id = id.as_deref().unwrap_or("?");
        match result {
            Ok(()) => {}
            Err(JobError::Final(reason)) => tracing::warn!(message_id, reason, "record failed for good; not retried"),
            Err(err) => {
                tracing::warn!(message_id, reason = %err, "record will be delivered again");
                // A failure without an id would fail the whole batch in AWS; skip such a record.
                if let Some(id) = id.filter(|id| !id.is_empty()) {
                    let mut failure = BatchItemFailure::default();
                    failure.item_identifier = id;
                    response.batch_item_failures.push(failure);
                }
            }
        }
    }
    response
}

/// When Lambda kills this invocation: how long a delivery may hold a job's lease.
pub fn deadline(context: &lambda_runtime::Context) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_millis(context.deadline as i64).unwrap_or_else(Utc::now)
}

/// `ApproximateReceiveCount`: 1 on the first delivery.
pub fn receive_count(record: &SqsMessage) -> u32 {
    record
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|count| count.parse().ok())
        .unwrap_or(1)
}

/// The queue's `maxReceiveCount`, from its redrive policy (read once per container, so it cannot
/// drift from the infrastructure): the delivery after which SQS moves a message to the DLQ.
pub struct ReceiveLimit {
    queue: JobQueue,
    max: OnceCell<Option<u32>>,
}

impl ReceiveLimit {
    pub fn new(queue: JobQueue) -> Self {
        Self {
            queue,
            max: OnceCell::new(),
        }
    }

    /// Whether `deliveries` is the last SQS will make. Unknown (the policy could not be read this
    /// time) or unlimited (no redrive policy) is never the last.
    pub async fn is_last(&self, deliveries: u32) -> bool {
        let max = self
            .max
            .get_or_try_init(|| async { self.queue.max_receive_count().await })
            .await;
        match max {
            Ok(Some(max)) => deliveries >= *max,
            Ok(None) => false,
            Err(err) => {
                tracing::warn!(error = %err, "the queue's redrive policy could not be read");
                false
            }
        }
    }
}

/// The end of a failed job: its failure is recorded (`record_failure` with the reason) when it is
/// final or this was its last delivery, and the error goes back to the batch, which deletes a
/// final one and has the others delivered again.
pub async fn settle<Fut>(
    record: &SqsMessage,
    limit: &ReceiveLimit,
    result: Result<(), JobError>,
    record_failure: impl FnOnce(String) -> Fut,
) -> Result<(), JobError>
where
    Fut: Future<Output = ()>,
{
    let Err(err) = result else { return Ok(()) };
    let reason = match &err {
        JobError::Final(reason) => reason.clone(),
        JobError::Retryable(reason) => {
            let deliveries = receive_count(record);
            if !limit.is_last(deliveries).await {
                return Err(err);
            }
            format!("gave up after {deliveries} deliveries: {reason}")
        }
        JobError::Held(_) => return Err(err),
    };
    record_failure(reason).await;
    Err(err)
}
