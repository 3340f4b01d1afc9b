//! Newest-first pages over a GSI partition, shared by every "a project's X" listing.

use serde::de::DeserializeOwned;

use crate::StoreError;
use crate::item::{self, Item, s};
use crate::projects::Page;

/// Reads one item past `limit` so `next` is set only when another page exists.
pub async fn page<T: DeserializeOwned, C>(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    index: &str,
    partition: &str,
    limit: usize,
    mut start: Option<Item>,
    cursor_of: impl Fn(&T) -> C,
) -> Result<Page<T, C>, StoreError> {
    let mut items = Vec::with_capacity(limit + 1);
    loop {
        let output = client
            .query()
            .table_name(table)
            .index_name(index)
            .key_condition_expression(format!("{index}pk = :pk"))
            .expression_attribute_values(":pk", s(partition))
            .scan_index_forward(false)
            .limit(i32::try_from(limit + 1 - items.len()).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|err| StoreError::backend("list from index", err))?;
        for item in output.items.unwrap_or_default() {
            items.push(item::from_item::<T>(item)?);
        }
        start = output.last_evaluated_key;
        if items.len() > limit || start.is_none() {
            break;
        }
    }
    let next = (items.len() > limit).then(|| {
        items.truncate(limit);
        cursor_of(&items[limit - 1])
    });
    Ok(Page { items, next })
}
