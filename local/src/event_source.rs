//! The SQS → Lambda event source mapping, as AWS runs it: long-poll the queue, hand the
//! function a batch as an `SqsEvent`, delete the records it did not report as failed. Failed
//! records become visible again after the visibility timeout, and SQS itself moves a record to
//! the DLQ past `maxReceiveCount` (moto implements the redrive policy).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, Message, MessageSystemAttributeName};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::Stack;
use crate::manifest::{self, WorkerSpec};

#[derive(Clone, Debug)]
pub struct EventSource {
    pub sqs: aws_sdk_sqs::Client,
    pub queue_url: String,
    pub queue_arn: String,
    pub batch_size: i32,
    /// The function's timeout: a batch's deadline is its receive time plus this.
    pub function_timeout: Duration,
    /// Batches in flight at once (the mapping's maximum concurrency).
    pub max_concurrency: usize,
    /// Overrides the queue's visibility timeout on receive, so tests see redeliveries in seconds.
    pub visibility_timeout: Option<i32>,
}

impl EventSource {
    /// The mapping CDK makes for `worker`: its queue's batch size and consumer timeout, the
    /// worker's maximum concurrency. `None` for a worker without a queue.
    pub fn for_worker(
        sqs: &aws_sdk_sqs::Client,
        stack: &Stack,
        worker: &WorkerSpec,
        visibility_timeout: Option<i32>,
    ) -> Option<Self> {
        let queue_id = worker.queue.as_ref()?;
        let queue = manifest::resources().queues.into_iter().find(|q| &q.id == queue_id)?;
        let (url, _) = stack.queues.get(queue_id)?;
        Some(Self {
            sqs: sqs.clone(),
            queue_url: url.clone(),
            queue_arn: stack.queue_arns.get(queue_id).cloned().unwrap_or_default(),
            batch_size: i32::try_from(queue.batch_size).unwrap_or(1),
            function_timeout: Duration::from_secs(u64::from(queue.consumer_timeout_s)),
            max_concurrency: worker.max_concurrency.unwrap_or(4) as usize,
            visibility_timeout,
        })
    }

    /// Polls until the returned task is aborted, calling `handler` for each batch.
    pub fn spawn<H, Fut>(self, handler: H) -> JoinHandle<()>
    where
        H: Fn(SqsEvent, DateTime<Utc>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = SqsBatchResponse> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let slots = Arc::new(Semaphore::new(self.max_concurrency.max(1)));
        tokio::spawn(async move {
            loop {
                let Ok(slot) = slots.clone().acquire_owned().await else {
                    return;
                };
                let messages = match self.receive().await {
                    Ok(messages) if !messages.is_empty() => messages,
                    Ok(_) => continue,
                    Err(err) => {
                        tracing::warn!(queue = self.queue_url, error = %err, "receive failed");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        continue;
                    }
                };
                let source = self.clone();
                let handler = handler.clone();
                tokio::spawn(async move {
                    let deadline = Utc::now() + source.function_timeout;
                    let event = source.event(&messages);
                    let response = handler(event, deadline).await;
                    source.delete_succeeded(&messages, &response).await;
                    drop(slot);
                });
            }
        })
    }

    async fn receive(&self) -> Result<Vec<Message>, aws_sdk_sqs::Error> {
        let output = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(self.batch_size)
            .wait_time_seconds(1)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .set_visibility_timeout(self.visibility_timeout)
            .send()
            .await?;
        Ok(output.messages.unwrap_or_default())
    }

    /// The batch in the JSON shape Lambda receives, read back through `aws_lambda_events`.
    fn event(&self, messages: &[Message]) -> SqsEvent {
        let region = self.queue_arn.split(':').nth(3).unwrap_or("us-east-1");
        let records: Vec<Value> = messages
            .iter()
            .map(|message| {
                let attributes: serde_json::Map<String, Value> = message
                    .attributes()
                    .map(|attributes| {
                        attributes
                            .iter()
                            .map(|(name, value)| (name.as_str().to_owned(), Value::String(value.clone())))
                            .collect()
                    })
                    .unwrap_or_default();
                json!({
                    "messageId": message.message_id(),
                    "receiptHandle": message.receipt_handle(),
                    "body": message.body(),
                    "md5OfBody": message.md5_of_body(),
                    "attributes": attributes,
                    "messageAttributes": {},
                    "eventSource": "aws:sqs",
                    "eventSourceARN": self.queue_arn,
                    "awsRegion": region,
                })
            })
            .collect();
        serde_json::from_value(json!({ "Records": records })).unwrap_or_default()
    }

    async fn delete_succeeded(&self, messages: &[Message], response: &SqsBatchResponse) {
        let failed: Vec<&str> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        let entries: Vec<DeleteMessageBatchRequestEntry> = messages
            .iter()
            .filter(|message| !failed.contains(&message.message_id().unwrap_or_default()))
            .filter_map(|message| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(message.message_id()?)
                    .receipt_handle(message.receipt_handle()?)
                    .build()
                    .ok()
            })
            .collect();
        if entries.is_empty() {
            return;
        }
        let result = self
            .sqs
            .delete_message_batch()
            .queue_url(&self.queue_url)
            .set_entries(Some(entries))
            .send()
            .await;
        if let Err(err) = result {
            tracing::warn!(queue = self.queue_url, error = %aws_sdk_sqs::Error::from(err), "delete failed");
        }
    }
}
