use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use forgeflow_domain::Id;
use forgeflow_domain::project::Project;
use forgeflow_domain::user::User;

use crate::StoreError;
use crate::error::dynamo;
use crate::item::{self, Item, key, to_item};

/// Projects live in their owner's partition (`USER#{owner}` / `PROJECT#{id}`): every read is
/// scoped by the caller's own id, so another user's project is simply not found, and a listing
/// is one strongly consistent query in id (creation) order.
#[derive(Clone, Debug)]
pub struct ProjectStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

/// One page of a listing; `next` is the id to continue after, if more remain.
#[derive(Debug)]
pub struct Page<T, C> {
    pub items: Vec<T>,
    pub next: Option<C>,
}

const SK_PREFIX: &str = "PROJECT#";

fn partition(owner: Id<User>) -> String {
    format!("USER#{owner}")
}

fn project_key(owner: Id<User>, id: Id<Project>) -> Item {
    key(partition(owner), format!("{SK_PREFIX}{id}"))
}

impl ProjectStore {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub async fn create(&self, project: &Project) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(project_key(project.owner, project.id), project)?))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(|err| dynamo("create project", "project id already used", err))?;
        Ok(())
    }

    /// The project, unless it does not exist or is being deleted (then it is gone for everyone).
    pub async fn get(&self, owner: Id<User>, id: Id<Project>) -> Result<Option<Project>, StoreError> {
        Ok(self
            .get_any(owner, id)
            .await?
            .filter(|project| project.deleting_since.is_none()))
    }

    /// The project's row, also while it is being deleted (the project-deleter's view).
    pub async fn get_any(&self, owner: Id<User>, id: Id<Project>) -> Result<Option<Project>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(project_key(owner, id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| StoreError::backend("get project", err))?;
        output.item.map(item::from_item).transpose()
    }

    /// Newest first. Reads one item past the page so `next` is set only when more exist.
    pub async fn list(
        &self,
        owner: Id<User>,
        limit: usize,
        after: Option<Id<Project>>,
    ) -> Result<Page<Project, Id<Project>>, StoreError> {
        let listing = crate::index::Listing::Prefix {
            partition: &partition(owner),
            prefix: SK_PREFIX,
        };
        let start = after.map(|id| project_key(owner, id));
        let mut page = crate::index::page(&self.client, &self.table, listing, limit, start, |p: &Project| p.id).await?;
        // A project being deleted is gone: the page may come out a little short, never wrong.
        page.items.retain(|project| project.deleting_since.is_none());
        Ok(page)
    }

    /// Starts the project's deletion (idempotent: a second call keeps the first time) and
    /// returns the row. `NotFound` once the row itself is gone.
    pub async fn mark_deleting(
        &self,
        owner: Id<User>,
        id: Id<Project>,
        now: DateTime<Utc>,
    ) -> Result<Project, StoreError> {
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(project_key(owner, id)))
            .update_expression("SET deleting_since = if_not_exists(deleting_since, :now)")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":now", AttributeValue::S(now.to_rfc3339()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await
            .map_err(|err| match dynamo("mark project deleting", "", err) {
                StoreError::Conflict(_) => StoreError::NotFound,
                other => other,
            })?;
        item::from_item(output.attributes.unwrap_or_default())
    }

    /// Replaces the project if its stored version is still `expected_version`.
    pub async fn update(&self, project: &Project, expected_version: u64) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(project_key(project.owner, project.id), project)?))
            .condition_expression(
                "attribute_exists(pk) AND attribute_not_exists(deleting_since) AND version = :expected",
            )
            .expression_attribute_values(":expected", AttributeValue::N(expected_version.to_string()))
            .send()
            .await;
        match result.map_err(|err| dynamo("update project", "project changed since it was read", err)) {
            Ok(_) => Ok(()),
            // The condition fails both for a stale version and a deleted row; tell them apart.
            Err(StoreError::Conflict(reason)) => match self.get(project.owner, project.id).await? {
                Some(_) => Err(StoreError::Conflict(reason)),
                None => Err(StoreError::NotFound),
            },
            Err(other) => Err(other),
        }
    }

    pub async fn delete(&self, owner: Id<User>, id: Id<Project>) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(project_key(owner, id)))
            .condition_expression("attribute_exists(pk)")
            .send()
            .await
            .map_err(|err| match dynamo("delete project", "", err) {
                StoreError::Conflict(_) => StoreError::NotFound,
                other => other,
            })?;
        Ok(())
    }
}
