//! Removing what a project owns: its executions (rows, steps, step outputs), generations (rows,
//! files, manifests), exports (rows, archives), hooks, git history (head, remote records, packed
//! states), plan and schedule. Each removal is idempotent, so a pass that is cut short (a timeout,
//! a redelivery) is simply run again; audit entries are the user's and stay.

use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, WriteRequest};
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

    /// One pass over everything the project owns; the number of rows and objects removed (0:
    /// nothing was left).
    pub async fn pass(&self, owner: Id<User>, project: Id<Project>) -> Result<usize, StoreError> {
        let mut removed = 0;
        for row in self.indexed(&executions::project_index(project)).await? {
            let partition = string_attr(&row, "pk").unwrap_or_default().to_owned();
            let id = partition.trim_start_matches("EXEC#");
            removed += self.blobs.delete_prefix(&format!("executions/{id}/")).await?;
            removed += self.delete_partition(&partition).await?;
        }
        for row in self.indexed(&generations::project_index(project)).await? {
            let id = string_attr(&row, "pk")
                .unwrap_or_default()
                .trim_start_matches("GEN#")
                .to_owned();
            removed += self.blobs.delete_prefix(&format!("generations/{id}/")).await?;
            removed += self.delete_keys(vec![row]).await?;
        }
        for row in self.indexed(&exports::project_index(project)).await? {
            let id = string_attr(&row, "pk")
                .unwrap_or_default()
                .trim_start_matches("EXPORT#")
                .to_owned();
            removed += self.blobs.delete_prefix(&format!("exports/{id}/")).await?;
            removed += self.delete_keys(vec![row]).await?;
        }
        removed += self
            .delete_keys(self.indexed(&hooks::project_index(project)).await?)
            .await?;
        removed += self.delete_partition(&format!("REPO#{project}")).await?;
        removed += self.blobs.delete_prefix(&format!("projects/{project}/")).await?;
        removed += self
            .delete_one(key(format!("USER#{owner}"), format!("PLAN#{project}")))
            .await?;
        match self.schedules.delete(owner, project).await {
            Ok(()) => removed += 1,
            Err(StoreError::NotFound) => {}
            Err(other) => return Err(other),
        }
        Ok(removed)
    }

    /// The keys of every row in a `gsi1` partition.
    async fn indexed(&self, partition: &str) -> Result<Vec<Item>, StoreError> {
        self.keys_where(Some("gsi1"), "gsi1pk", partition).await
    }

    /// The keys of the rows whose `attribute` (the partition key of `index`, or of the table) is
    /// `value`.
    async fn keys_where(&self, index: Option<&str>, attribute: &str, value: &str) -> Result<Vec<Item>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#k = :v")
            .expression_attribute_names("#k", attribute)
            .expression_attribute_values(":v", AttributeValue::S(value.to_owned()))
            .projection_expression("pk, sk")
            .set_index_name(index.map(str::to_owned));
        let items = crate::item::query_all(query, "list a project's rows").await?;
        Ok(items
            .into_iter()
            .map(|item| {
                item.into_iter()
                    .filter(|(name, _)| name == "pk" || name == "sk")
                    .collect::<Item>()
            })
            .collect())
    }

    async fn delete_partition(&self, partition: &str) -> Result<usize, StoreError> {
        let keys = self.keys_where(None, "pk", partition).await?;
        self.delete_keys(keys).await
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

    /// Deletes the rows with these keys, found by a query just before (so each was there).
    async fn delete_keys(&self, keys: Vec<Item>) -> Result<usize, StoreError> {
        let count = keys.len();
        let mut requests: Vec<WriteRequest> = keys
            .into_iter()
            .map(|key| {
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
