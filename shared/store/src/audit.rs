//! The audit log: `AUDIT#{user}` / `ENTRY#{entry id}` (UUIDv7, so the sort key is time order),
//! kept for a year. A partition of its own, so that IAM can let every function write audit
//! entries and rate counters (`dynamodb:LeadingKeys` `AUDIT#*`, `RATE#*`) and nothing else.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Duration;
use forgeflow_domain::Id;
use forgeflow_domain::audit::AuditEntry;
use forgeflow_domain::user::User;

use crate::item::{self, Item, key, s, to_item};
use crate::{Page, StoreError};

/// How long audit entries are kept.
pub const AUDIT_RETENTION: Duration = Duration::days(365);
const SK_PREFIX: &str = "ENTRY#";

#[derive(Clone, Debug)]
pub struct AuditStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

fn entry_key(user: Id<User>, id: Id<AuditEntry>) -> Item {
    key(partition(user), format!("{SK_PREFIX}{id}"))
}

fn partition(user: Id<User>) -> String {
    format!("AUDIT#{user}")
}

impl AuditStore {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub async fn record(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let mut row = to_item(entry_key(entry.user_id, entry.id), entry)?;
        let expires_at = (entry.at + AUDIT_RETENTION).timestamp();
        row.insert("expires_at".into(), AttributeValue::N(expires_at.to_string()));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(row))
            .send()
            .await
            .map_err(|err| StoreError::backend("record an audit entry", aws_sdk_dynamodb::Error::from(err)))?;
        Ok(())
    }

    /// The user's entries, newest first, `limit` at a time after the entry `after`.
    pub async fn list(
        &self,
        user: Id<User>,
        limit: usize,
        after: Option<Id<AuditEntry>>,
    ) -> Result<Page<AuditEntry, Id<AuditEntry>>, StoreError> {
        let mut start = after.map(|id| entry_key(user, id));
        let mut items = Vec::with_capacity(limit + 1);
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", s(partition(user)))
                .expression_attribute_values(":prefix", s(SK_PREFIX))
                .scan_index_forward(false)
                .consistent_read(true)
                .limit(i32::try_from(limit + 1 - items.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|err| StoreError::backend("list audit entries", aws_sdk_dynamodb::Error::from(err)))?;
            for row in output.items.unwrap_or_default() {
                items.push(item::from_item::<AuditEntry>(row)?);
            }
            start = output.last_evaluated_key;
            if items.len() > limit || start.is_none() {
                break;
            }
        }
        let next = (items.len() > limit).then(|| {
            items.truncate(limit);
            items[limit - 1].id
        });
        Ok(Page { items, next })
    }
}
