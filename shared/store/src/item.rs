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
