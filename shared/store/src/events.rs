//! The progress log: every topic's events, numbered 1, 2, 3, … and kept for a day, so a client
//! that reconnects (or asks over HTTP) gets exactly what it missed.
//!
//! `TOPIC#{topic}` / `SEQ` holds the topic's counter; `TOPIC#{topic}` / `EVT#{seq:020}` each event.

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, Duration, Utc};
use forgeflow_domain::progress::{ProgressEvent, StoredEvent, Topic};

use crate::StoreError;
use crate::item::{Item, key, s, string_attr};

/// How long events stay replayable.
pub const EVENT_TTL: Duration = Duration::hours(24);
/// The most events one replay query returns.
pub const MAX_REPLAY: usize = 1_000;

#[derive(Clone, Debug)]
pub struct EventStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

fn partition(topic: &Topic) -> String {
    format!("TOPIC#{topic}")
}

fn event_sort_key(seq: u64) -> String {
    format!("EVT#{seq:020}")
}

impl EventStore {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Numbers `event` within `topic` and stores it. A crash between the two writes leaves an
    /// unused number, never two events with one number.
    pub async fn append(
        &self,
        topic: &Topic,
        event: ProgressEvent,
        now: DateTime<Utc>,
    ) -> Result<StoredEvent, StoreError> {
        let expires_at = (now + EVENT_TTL).timestamp();
        let counted = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(partition(topic), "SEQ")))
            .update_expression("ADD seq :one SET expires_at = :expires")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":expires", AttributeValue::N(expires_at.to_string()))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|err| StoreError::backend("number an event", aws_sdk_dynamodb::Error::from(err)))?;
        let seq = counted
            .attributes
            .as_ref()
            .and_then(|attributes| attributes.get("seq"))
            .and_then(|seq| seq.as_n().ok())
            .and_then(|seq| seq.parse::<u64>().ok())
            .ok_or_else(|| StoreError::backend("number an event", "the counter returned no number"))?;
        let stored = StoredEvent { seq, at: now, event };
        let mut item = key(partition(topic), event_sort_key(seq));
        item.insert("seq".into(), AttributeValue::N(seq.to_string()));
        item.insert(
            "event".into(),
            s(serde_json::to_string(&stored).map_err(|err| StoreError::backend("encode an event", err))?),
        );
        item.insert("expires_at".into(), AttributeValue::N(expires_at.to_string()));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|err| StoreError::backend("store an event", aws_sdk_dynamodb::Error::from(err)))?;
        Ok(stored)
    }

    /// Up to `limit` (at most [`MAX_REPLAY`]) events of `topic` numbered after `after_seq`, in order.
    pub async fn after(&self, topic: &Topic, after_seq: u64, limit: usize) -> Result<Vec<StoredEvent>, StoreError> {
        let limit = limit.clamp(1, MAX_REPLAY);
        let mut events = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
                .expression_attribute_values(":pk", s(partition(topic)))
                .expression_attribute_values(":from", s(event_sort_key(after_seq.saturating_add(1))))
                .expression_attribute_values(":to", s(event_sort_key(u64::MAX)))
                .consistent_read(true)
                .limit(i32::try_from(limit - events.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|err| StoreError::backend("replay events", aws_sdk_dynamodb::Error::from(err)))?;
            for item in output.items.unwrap_or_default() {
                events.push(decode(&item)?);
            }
            start = output.last_evaluated_key;
            if events.len() >= limit || start.is_none() {
                return Ok(events);
            }
        }
    }

    /// The highest number given out in `topic` (0 before its first event).
    pub async fn last_seq(&self, topic: &Topic) -> Result<u64, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(partition(topic), "SEQ")))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| StoreError::backend("read a topic's counter", aws_sdk_dynamodb::Error::from(err)))?;
        Ok(output
            .item
            .and_then(|item| {
                item.get("seq")
                    .and_then(|seq| seq.as_n().ok())
                    .and_then(|seq| seq.parse().ok())
            })
            .unwrap_or(0))
    }
}

fn decode(item: &Item) -> Result<StoredEvent, StoreError> {
    let json =
        string_attr(item, "event").ok_or_else(|| StoreError::backend("replay events", "an event row has no body"))?;
    serde_json::from_str(json).map_err(|err| StoreError::backend("decode an event", err))
}
