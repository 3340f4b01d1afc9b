//! Request counters for rate limiting: `RATE#{scope}` / `W#{window start}`, one atomic `ADD` per
//! request, expiring a minute after their window.

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use crate::StoreError;
use crate::item::key;

#[derive(Clone, Debug)]
pub struct RateCounters {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl RateCounters {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Counts one request of `scope` in the window starting at `window_start` (epoch seconds,
    /// `window_s` long) and returns the window's count so far.
    pub async fn hit(&self, scope: &str, window_start: i64, window_s: u64) -> Result<u64, StoreError> {
        let expires_at = window_start + window_s as i64 + 60;
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("RATE#{scope}"), format!("W#{window_start}"))))
            .update_expression("ADD hits :one SET expires_at = :expires")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":expires", AttributeValue::N(expires_at.to_string()))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|err| StoreError::backend("count a request", aws_sdk_dynamodb::Error::from(err)))?;
        output
            .attributes
            .as_ref()
            .and_then(|attributes| attributes.get("hits"))
            .and_then(|hits| hits.as_n().ok())
            .and_then(|hits| hits.parse().ok())
            .ok_or_else(|| StoreError::backend("count a request", "the counter returned no number"))
    }
}
