//! Open WebSocket connections and what each one listens to.
//!
//! `CONN#{id}` / `CONN` is the connection (its user, its topics); `SUBS#{topic}` / `CONN#{id}` is
//! one subscription, so a publisher finds a topic's listeners with one consistent query of the
//! base table (no index lag between `subscribe` and the next event). Every row expires with
//! the connection: API Gateway closes a WebSocket after two hours at most.

use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, WriteRequest};
use chrono::{DateTime, Duration, Utc};
use forgeflow_domain::Id;
use forgeflow_domain::progress::Topic;
use forgeflow_domain::user::User;
use serde::{Deserialize, Serialize};

use crate::StoreError;
use crate::item::{self, Item, key, s, string_attr, to_item};

/// API Gateway's maximum connection duration.
pub const CONNECTION_TTL: Duration = Duration::hours(2);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    pub id: String,
    pub user_id: Id<User>,
    pub connected_at: DateTime<Utc>,
    /// Epoch seconds: DynamoDB's TTL attribute.
    pub expires_at: i64,
    #[serde(default)]
    pub topics: Vec<String>,
}

impl Connection {
    pub fn new(id: impl Into<String>, user_id: Id<User>, now: DateTime<Utc>) -> Self {
        Self {
            id: id.into(),
            user_id,
            connected_at: now,
            expires_at: (now + CONNECTION_TTL).timestamp(),
            topics: Vec::new(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct ConnectionStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

fn connection_key(id: &str) -> Item {
    key(format!("CONN#{id}"), "CONN")
}

fn subscription_key(topic: &str, connection: &str) -> Item {
    key(format!("SUBS#{topic}"), format!("CONN#{connection}"))
}

impl ConnectionStore {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub async fn open(&self, connection: &Connection) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(connection_key(&connection.id), connection)?))
            .send()
            .await
            .map_err(|err| StoreError::backend("open a connection", aws_sdk_dynamodb::Error::from(err)))?;
        Ok(())
    }

    pub async fn get(&self, id: &str) -> Result<Option<Connection>, StoreError> {
        item::get(&self.client, &self.table, connection_key(id), "get a connection").await
    }

    /// Adds `topic` to the connection's listeners. `Conflict` if the connection is gone.
    pub async fn subscribe(&self, connection: &Connection, topic: &Topic) -> Result<(), StoreError> {
        let topic = topic.to_string();
        let listed = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(connection_key(&connection.id)))
            .update_expression("SET topics = list_append(if_not_exists(topics, :empty), :topic)")
            .condition_expression("attribute_exists(pk) AND NOT contains(topics, :name)")
            .expression_attribute_values(":empty", AttributeValue::L(Vec::new()))
            .expression_attribute_values(":topic", AttributeValue::L(vec![s(&topic)]))
            .expression_attribute_values(":name", s(&topic))
            .send()
            .await;
        match listed {
            Ok(_) => {}
            // Already listed (subscribing twice is one subscription), or the connection is gone.
            Err(err) => match aws_sdk_dynamodb::Error::from(err) {
                aws_sdk_dynamodb::Error::ConditionalCheckFailedException(_) => {
                    if self.get(&connection.id).await?.is_none() {
                        return Err(StoreError::Conflict("the connection is closed"));
                    }
                }
                other => return Err(StoreError::backend("subscribe", other)),
            },
        }
        let mut row = subscription_key(&topic, &connection.id);
        row.insert("connection_id".into(), s(&connection.id));
        row.insert(
            "expires_at".into(),
            AttributeValue::N(connection.expires_at.to_string()),
        );
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(row))
            .send()
            .await
            .map_err(|err| StoreError::backend("subscribe", aws_sdk_dynamodb::Error::from(err)))?;
        Ok(())
    }

    pub async fn unsubscribe(&self, connection: &str, topic: &Topic) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(subscription_key(&topic.to_string(), connection)))
            .send()
            .await
            .map_err(|err| StoreError::backend("unsubscribe", aws_sdk_dynamodb::Error::from(err)))?;
        Ok(())
    }

    /// The ids of the connections listening to `topic`.
    pub async fn listeners(&self, topic: &Topic) -> Result<Vec<String>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(format!("SUBS#{topic}")))
            .projection_expression("connection_id")
            .consistent_read(true);
        let items = crate::item::query_all(query, "find listeners").await?;
        Ok(items
            .iter()
            .filter_map(|item| string_attr(item, "connection_id").map(str::to_owned))
            .collect())
    }

    /// Removes the connection and every subscription it had; closing a closed one is a no-op.
    pub async fn close(&self, id: &str) -> Result<(), StoreError> {
        let Some(connection) = self.get(id).await? else {
            return Ok(());
        };
        let mut keys: Vec<Item> = connection
            .topics
            .iter()
            .map(|topic| subscription_key(topic, id))
            .collect();
        keys.push(connection_key(id));
        for chunk in keys.chunks(25) {
            let requests = chunk
                .iter()
                .map(|key| {
                    let delete = DeleteRequest::builder()
                        .set_key(Some(key.clone()))
                        .build()
                        .map_err(|err| StoreError::backend("close a connection", err))?;
                    Ok(WriteRequest::builder().delete_request(delete).build())
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            let mut pending = Some(std::collections::HashMap::from([(self.table.clone(), requests)]));
            // BatchWriteItem may hand some deletes back under load: send those again.
            for _ in 0..5 {
                let Some(items) = pending.take().filter(|items| !items.is_empty()) else {
                    break;
                };
                let output = self
                    .client
                    .batch_write_item()
                    .set_request_items(Some(items))
                    .send()
                    .await
                    .map_err(|err| StoreError::backend("close a connection", aws_sdk_dynamodb::Error::from(err)))?;
                pending = output.unprocessed_items;
            }
        }
        Ok(())
    }
}
