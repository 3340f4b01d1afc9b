//! What every SQS worker shares: running a batch's records concurrently and reporting only the
//! failed ones, so one bad record does not send its healthy neighbours round again.

use std::future::Future;

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use futures_util::future::join_all;

/// How a record ended: done (delete it) or to be delivered again (and, past the queue's
/// `maxReceiveCount`, moved to the DLQ by SQS).
pub type RecordResult = Result<(), String>;

pub async fn for_each_record<F, Fut>(event: SqsEvent, process: F) -> SqsBatchResponse
where
    F: Fn(SqsMessage) -> Fut,
    Fut: Future<Output = RecordResult>,
{
    let ids: Vec<Option<String>> = event.records.iter().map(|record| record.message_id.clone()).collect();
    let results = join_all(event.records.into_iter().map(process)).await;
    let mut response = SqsBatchResponse::default();
    for (id, result) in ids.into_iter().zip(results) {
        if let Err(reason) = result {
            tracing::warn!(
                message_id = id.as_deref().unwrap_or("?"),
                reason,
                "record will be delivered again"
            );
            // A failure without an id would fail the whole batch in AWS; skip such a record.
            if let Some(id) = id.filter(|id| !id.is_empty()) {
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id;
                response.batch_item_failures.push(failure);
            }
        }
    }
    response
}

/// `ApproximateReceiveCount`: 1 on the first delivery.
pub fn receive_count(record: &SqsMessage) -> u32 {
    record
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|count| count.parse().ok())
        .unwrap_or(1)
}
