use serde::Serialize;

use crate::StoreError;

/// One SQS queue that carries jobs of one kind as JSON.
#[derive(Clone, Debug)]
pub struct JobQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl JobQueue {
    pub fn new(client: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }

    pub async fn send(&self, job: &impl Serialize) -> Result<(), StoreError> {
        let body = serde_json::to_string(job).map_err(|err| StoreError::backend("encode job", err))?;
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await
            .map_err(|err| StoreError::backend("send job", aws_sdk_sqs::Error::from(err)))?;
        Ok(())
    }

    /// `maxReceiveCount` of the queue's redrive policy: how many deliveries a job gets before
    /// SQS moves it to the DLQ. Read from the queue itself so it cannot drift from the infra.
    pub async fn max_receive_count(&self) -> Result<Option<u32>, StoreError> {
        let output = self
            .client
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy)
            .send()
            .await
            .map_err(|err| StoreError::backend("read redrive policy", aws_sdk_sqs::Error::from(err)))?;
        let policy = output
            .attributes
            .and_then(|mut attributes| attributes.remove(&aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy));
        Ok(policy.and_then(|policy| {
            let value: serde_json::Value = serde_json::from_str(&policy).ok()?;
            let count = &value["maxReceiveCount"];
            count
                .as_u64()
                .or_else(|| count.as_str()?.parse().ok())
                .and_then(|n| u32::try_from(n).ok())
        }))
    }
}
