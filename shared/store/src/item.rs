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

/// What DynamoDB allows one item to weigh (AWS enforces it; moto does not).
pub const MAX_ITEM_BYTES: usize = 400 * 1024;

/// `item`'s size as DynamoDB counts it against [`MAX_ITEM_BYTES`]: every attribute name's UTF-8
/// bytes plus its value's size.
pub fn size(item: &Item) -> usize {
    item.iter().map(|(name, value)| name.len() + value_size(value)).sum()
}

/// `entity`'s size as an item (without its key attributes).
pub fn entity_size<T: Serialize>(entity: &T) -> Result<usize, StoreError> {
    Ok(size(&serde_dynamo::to_item(entity)?))
}

/// Strings and binaries by length; a number by its digits (about one byte per two significant
/// digits, plus one); booleans and nulls one byte; a list or map 3 bytes plus one per element,
/// with a map's keys counted like attribute names.
fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(text) => text.len(),
        AttributeValue::B(blob) => blob.as_ref().len(),
        AttributeValue::N(number) => number_size(number),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::L(items) => 3 + items.iter().map(|item| 1 + value_size(item)).sum::<usize>(),
        AttributeValue::M(map) => {
            3 + map
                .iter()
                .map(|(key, item)| 1 + key.len() + value_size(item))
                .sum::<usize>()
        }
        AttributeValue::Ss(items) => items.iter().map(String::len).sum(),
        AttributeValue::Ns(items) => items.iter().map(|number| number_size(number)).sum(),
        AttributeValue::Bs(items) => items.iter().map(|blob| blob.as_ref().len()).sum(),
        _ => 0,
    }
}

fn number_size(number: &str) -> usize {
    let digits = number
        .chars()
        .take_while(|c| *c != 'e' && *c != 'E')
        .filter(char::is_ascii_digit)
        .skip_while(|d| *d == '0')
        .count();
    digits.div_ceil(2) + 1
}

/// The entity in `item`; key attributes are ignored by the entity's deserializer.
pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    Ok(serde_dynamo::from_item(item)?)
}

/// Every item `query` matches, across all its pages (the SDK's paginator follows
/// `LastEvaluatedKey`). For reads that need the whole set; a listing shown a page at a time uses
/// [`crate::index::page`].
pub async fn query_all(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    operation: &'static str,
) -> Result<Vec<Item>, StoreError> {
    query
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|err| StoreError::backend(operation, aws_sdk_dynamodb::Error::from(err)))
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

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::primitives::Blob;

    use super::*;

    #[test]
    fn sizes_are_counted_as_dynamodb_counts_them() {
        let item: Item = HashMap::from([
            ("name".to_owned(), s("abc")),
            ("n".to_owned(), AttributeValue::N("12345".into())),
            ("ok".to_owned(), AttributeValue::Bool(true)),
            ("b".to_owned(), AttributeValue::B(Blob::new(vec![0u8; 10]))),
        ]);
        // 4+3, 1+(3+1), 2+1, 1+10
        assert_eq!(size(&item), 7 + 5 + 3 + 11);
        let nested: Item = HashMap::from([(
            "m".to_owned(),
            AttributeValue::M(HashMap::from([(
                "k".to_owned(),
                AttributeValue::L(vec![s("x"), s("yz")]),
            )])),
        )]);
        // name 1; map 3 + (1 + key 1 + list (3 + (1+1) + (1+2)))
        assert_eq!(size(&nested), 1 + 3 + 1 + 1 + 3 + 2 + 3);
    }

    /// Many small values weigh more in DynamoDB than in JSON: a list of 100,000 ones is about
    /// 200 KB of JSON but 300 KB as an item.
    #[test]
    fn small_values_cost_more_than_their_json() {
        let ones = serde_json::json!({"values": vec![1; 100_000]});
        let json = serde_json::to_vec(&ones).unwrap().len();
        let item = entity_size(&ones).unwrap();
        assert!(json < 210_000 && item >= 300_000, "json {json}, item {item}");
    }
}
