//! Removing what a project owns: its executions (rows, steps, step outputs), generations (rows,
//! files, manifests), exports (rows, archives), hooks, git history (head, remote records, packed
//! states), plan and schedule. Each removal is idempotent, so a pass that is cut short (a timeout,
//! a redelivery) is simply run again; audit entries are the user's and stay.

use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, WriteRequest};
use chrono::{DateTime, Utc};
use forgeflow_domain::Id;
use forgeflow_domain::project::Project;
use forgeflow_domain::user::User;

use crate::item::{Item, key, string_attr};
use crate::{Blobs, Clients, Resources, ScheduleStore, StoreError, executions, exports, generations, hooks};

/// DynamoDB's limit of writes per BatchWriteItem.
const BATCH: usize = 25;

#[derive(Clone, Debug)]
pub struct Purge {
    client: aws_sdk_dynamodb::Client,
    table: String,
    blobs: Blobs,
    schedules: ScheduleStore,
}

impl Purge {
    pub fn new(clients: &Clients, resources: &Resources) -> Self {
        Self {
            client: clients.dynamo.clone(),
            table: resources.table.clone(),
            blobs: Blobs::new(clients.s3.clone(), &resources.bucket),
            schedules: ScheduleStore::new(clients.dynamo.clone(), &resources.table),
        }
    }

    /// One pass over everything the project owns: what it removed, and what it left because a
    /// worker still holds it (a running step, generation or export under a live lease). A
    /// worker that took its lease before the project was marked may still be writing; one
    /// that takes it after sees the mark and stops. So once nothing is held, nothing more
    /// will be written, and a pass that removes nothing and finds nothing held is the last.
    pub async fn pass(&self, owner: Id<User>, project: Id<Project>) -> Result<Pass, StoreError> {
        let now = Utc::now();
        let mut pass = Pass::default();
        for row in self.indexed(&executions::project_index(project)).await? {
            let partition = string_attr(&row, "pk").unwrap_or_default().to_owned();
            let rows = self.rows_where(None, "pk", &partition).await?;
            if rows.iter().any(|row| held(row, now)) {
                pass.held += 1;
                continue;
            }
            let id = partition.trim_start_matches("EXEC#");
            pass.removed += self.blobs.delete_prefix(&format!("executions/{id}/")).await?;
            pass.removed += self.delete_keys(rows).await?;
        }
        for (index, kind, prefix) in [
            (generations::project_index(project), "GEN#", "generations"),
            (exports::project_index(project), "EXPORT#", "exports"),
        ] {
            for row in self.indexed(&index).await? {
                if held(&row, now) {
                    pass.held += 1;
                    continue;
                }
                let id = string_attr(&row, "pk")
                    .unwrap_or_default()
                    .trim_start_matches(kind)
                    .to_owned();
                pass.removed += self.blobs.delete_prefix(&format!("{prefix}/{id}/")).await?;
                pass.removed += self.delete_keys(vec![row]).await?;
            }
        }
        if pass.held > 0 {
            // The git history and what the hooks and schedule start wait for the holders too.
            return Ok(pass);
        }
        pass.removed += self
            .delete_keys(self.indexed(&hooks::project_index(project)).await?)
            .await?;
        pass.removed += self.delete_partition(&format!("REPO#{project}")).await?;
        pass.removed += self.blobs.delete_prefix(&format!("projects/{project}/")).await?;
        pass.removed += self
            .delete_one(key(format!("USER#{owner}"), format!("PLAN#{project}")))
            .await?;
        match self.schedules.delete(owner, project).await {
            Ok(()) => pass.removed += 1,
            Err(StoreError::NotFound) => {}
            Err(other) => return Err(other),
        }
        Ok(pass)
    }

    /// The rows of a `gsi1` partition, with what [`held`] reads.
    async fn indexed(&self, partition: &str) -> Result<Vec<Item>, StoreError> {
        self.rows_where(Some("gsi1"), "gsi1pk", partition).await
    }

    /// Every row where `attribute` is `value`: its key, status and lease.
    async fn rows_where(&self, index: Option<&str>, attribute: &str, value: &str) -> Result<Vec<Item>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#k = :v")
            .expression_attribute_names("#k", attribute)
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":v", AttributeValue::S(value.to_owned()))
            .projection_expression("pk, sk, #status, lease_expires_at")
            .set_index_name(index.map(str::to_owned));
        crate::item::query_all(query, "list a project's rows").await
    }

    async fn delete_partition(&self, partition: &str) -> Result<usize, StoreError> {
        let rows = self.rows_where(None, "pk", partition).await?;
        self.delete_keys(rows).await
    }

    /// Deletes the row with this key: 1 if it was there, 0 if not (a pass that finds nothing ends).
    async fn delete_one(&self, key: Item) -> Result<usize, StoreError> {
        let output = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(|err| StoreError::backend("delete a row", aws_sdk_dynamodb::Error::from(err)))?;
        Ok(usize::from(output.attributes.is_some_and(|old| !old.is_empty())))
    }

    /// Deletes these rows (by their keys), found by a query just before (so each was there).
    async fn delete_keys(&self, rows: Vec<Item>) -> Result<usize, StoreError> {
        let count = rows.len();
        let mut requests: Vec<WriteRequest> = rows
            .into_iter()
            .map(|row| {
                let key: Item = row
                    .into_iter()
                    .filter(|(name, _)| name == "pk" || name == "sk")
                    .collect();
                let delete = DeleteRequest::builder()
                    .set_key(Some(key))
                    .build()
                    .map_err(|err| StoreError::backend("build delete", err))?;
                Ok(WriteRequest::builder().delete_request(delete).build())
            })
            .collect::<Result<_, StoreError>>()?;
        while !requests.is_empty() {
            let rest = requests.split_off(requests.len().min(BATCH));
            let output = self
                .client
                .batch_write_item()
                .request_items(&self.table, std::mem::replace(&mut requests, rest))
                .send()
                .await
                .map_err(|err| StoreError::backend("delete rows", aws_sdk_dynamodb::Error::from(err)))?;
            // Throttled ones come back; they go round again.
            if let Some(mut unprocessed) = output.unprocessed_items
                && let Some(again) = unprocessed.remove(&self.table)
            {
                requests.extend(again);
            }
        }
        Ok(count)
    }
}

/// What one [`Purge::pass`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// Rows and objects removed.
    pub removed: usize,
    /// Executions, generations and exports left because a worker holds them.
    pub held: usize,
}

/// Whether a worker holds the row: running, under a lease that has not run out. Steps and
/// generations keep the lease in epoch milliseconds, exports as an RFC 3339 time.
fn held(row: &Item, now: DateTime<Utc>) -> bool {
    if string_attr(row, "status") != Some("running") {
        return false;
    }
    let until = match row.get("lease_expires_at") {
        Some(AttributeValue::N(millis)) => millis.parse().ok().and_then(DateTime::from_timestamp_millis),
        Some(AttributeValue::S(time)) => DateTime::parse_from_rfc3339(time).ok().map(|t| t.to_utc()),
        _ => None,
    };
    until.is_some_and(|until| until > now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(status: &str, lease: Option<AttributeValue>) -> Item {
        let mut row = Item::from([("status".to_owned(), AttributeValue::S(status.to_owned()))]);
        if let Some(lease) = lease {
            row.insert("lease_expires_at".to_owned(), lease);
        }
        row
    }

    #[test]
    fn a_row_is_held_while_running_under_a_live_lease_in_either_spelling() {
        let now = Utc::now();
        let later = now + chrono::Duration::seconds(30);
        let earlier = now - chrono::Duration::seconds(30);
        let millis = |t: DateTime<Utc>| Some(AttributeValue::N(t.timestamp_millis().to_string()));
        let text = |t: DateTime<Utc>| Some(AttributeValue::S(t.to_rfc3339()));
        assert!(held(&row("running", millis(later)), now));
        assert!(held(&row("running", text(later)), now));
        assert!(!held(&row("running", millis(earlier)), now), "a lease that ran out");
        assert!(!held(&row("running", text(earlier)), now));
        assert!(!held(&row("cancelled", millis(later)), now), "no longer running");
        assert!(!held(&row("running", None), now));
    }
}
