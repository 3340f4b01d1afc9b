//! Newest-first pages of one partition, shared by every listing: "a project's X" over a GSI, and
//! "the caller's X" (projects, audit entries) over the base table.

use serde::de::DeserializeOwned;

use crate::StoreError;
use crate::item::{self, Item, s};
use crate::projects::Page;

/// What a listing reads.
#[derive(Debug, Clone, Copy)]
pub enum Listing<'a> {
    /// A GSI partition: `{index}pk = partition`.
    Index { index: &'a str, partition: &'a str },
    /// The base-table rows of `partition` whose sort key starts with `prefix`, read consistently
    /// (a row is listed right after it is written).
    Prefix { partition: &'a str, prefix: &'a str },
}

/// Reads one item past `limit` so `next` is set only when another page exists.
pub async fn page<T: DeserializeOwned, C>(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    listing: Listing<'_>,
    limit: usize,
    mut start: Option<Item>,
    cursor_of: impl Fn(&T) -> C,
) -> Result<Page<T, C>, StoreError> {
    let mut items = Vec::with_capacity(limit + 1);
    loop {
        let query = client
            .query()
            .table_name(table)
            .scan_index_forward(false)
            .limit(i32::try_from(limit + 1 - items.len()).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start);
        let query = match listing {
            Listing::Index { index, partition } => query
                .index_name(index)
                .key_condition_expression(format!("{index}pk = :pk"))
                .expression_attribute_values(":pk", s(partition)),
            Listing::Prefix { partition, prefix } => query
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", s(partition))
                .expression_attribute_values(":prefix", s(prefix))
                .consistent_read(true),
        };
        let output = query
            .send()
            .await
            .map_err(|err| StoreError::backend("list a partition", err))?;
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

/// A project's rows of one kind through `gsi1` (`gsi1pk` = `partition`, `gsi1sk` = the row's id),
/// newest first, continuing after the row `after`, whose table key is `row_key(after)`.
pub async fn gsi1_page<T: DeserializeOwned, I: Copy + ToString>(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    partition: &str,
    limit: usize,
    after: Option<I>,
    row_key: impl Fn(I) -> Item,
    id_of: impl Fn(&T) -> I,
) -> Result<Page<T, I>, StoreError> {
    let start = after.map(|id| {
        let mut key = row_key(id);
        key.insert("gsi1pk".into(), s(partition));
        key.insert("gsi1sk".into(), s(id.to_string()));
        key
    });
    let listing = Listing::Index {
        index: "gsi1",
        partition,
    };
    page(client, table, listing, limit, start, id_of).await
}
