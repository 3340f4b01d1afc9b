//! Entities become DynamoDB items through serde_dynamo; this module only adds the key attributes.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Serialize, de::DeserializeOwned};

use crate::StoreError;

pub type Item = HashMap<String, AttributeValue>;

pub const PK: &str = "pk";
pub const SK: &str = "sk";

pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    HashMap::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))])
}

/// `entity`'s attributes plus its primary key (and any index keys in `extra`).
pub fn to_item<T: Serialize>(key_attrs: Item, entity: &T) -> Result<Item, StoreError> {
    let mut item: Item = serde_dynamo::to_item(entity)?;
    item.extend(key_attrs);
    Ok(item)
}

/// The entity in `item`; key attributes are ignored by the entity's deserializer.
pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    Ok(serde_dynamo::from_item(item)?)
}

pub fn string_attr<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name).and_then(|value| value.as_s().ok()).map(String::as_str)
}

/// Writes `item` if the stored row's `version` is still `read` (0: a row saved before versions,
/// or never saved since its creation). `Conflict(moved_on)` if it is not.
pub async fn put_if_version(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    item: Item,
    read: u64,
    operation: &'static str,
    moved_on: &'static str,
) -> Result<(), StoreError> {
    let condition = if read == 0 {
        "attribute_exists(pk) AND (attribute_not_exists(version) OR version = :read)"
    } else {
        "version = :read"
    };
    client
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(condition)
        .expression_attribute_values(":read", AttributeValue::N(read.to_string()))
        .send()
        .await
        .map_err(|err| crate::error::dynamo(operation, moved_on, err))?;
    Ok(())
}

/// The entity at `key`, read consistently (a write is visible to the next read).
pub async fn get<T: DeserializeOwned>(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    key: Item,
    operation: &'static str,
) -> Result<Option<T>, StoreError> {
    let output = client
        .get_item()
        .table_name(table)
        .set_key(Some(key))
        .consistent_read(true)
        .send()
        .await
        .map_err(|err| StoreError::backend(operation, err))?;
    output.item.map(from_item).transpose()
}
