//! The audit log: `AUDIT#{user}` / `ENTRY#{entry id}` (UUIDv7, so the sort key is time order),
//! kept for a year. A partition of its own, so that IAM can let every function write audit
//! entries and rate counters (`dynamodb:LeadingKeys` `AUDIT#*`, `RATE#*`) and nothing else.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Duration;
use forgeflow_domain::Id;
use forgeflow_domain::audit::AuditEntry;
use forgeflow_domain::user::User;

use crate::item::{Item, key, to_item};
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
        let listing = crate::index::Listing::Prefix {
            partition: &partition(user),
            prefix: SK_PREFIX,
        };
        let start = after.map(|id| entry_key(user, id));
        crate::index::page(&self.client, &self.table, listing, limit, start, |e: &AuditEntry| e.id).await
    }
}
