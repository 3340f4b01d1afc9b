use std::marker::PhantomData;

use forgeflow_domain::Id;
use forgeflow_domain::user::User;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::StoreError;
use crate::error::dynamo;
use crate::item::{self, Item, key, s, to_item};
use crate::projects::Page;

/// Documents a user owns and few of (their agents, workflows, a project's plan), kept in the
/// owner's partition as `USER#{owner}` / `{KIND}#{id}`, so reads are scoped to the owner.
#[derive(Debug)]
pub struct Owned<T> {
    client: aws_sdk_dynamodb::Client,
    table: String,
    kind: &'static str,
    of: PhantomData<fn() -> T>,
}

impl<T> Clone for Owned<T> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            table: self.table.clone(),
            kind: self.kind,
            of: PhantomData,
        }
    }
}

impl<T: Serialize + DeserializeOwned> Owned<T> {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>, kind: &'static str) -> Self {
        Self {
            client,
            table: table.into(),
            kind,
            of: PhantomData,
        }
    }

    fn key(&self, owner: Id<User>, id: &str) -> Item {
        key(format!("USER#{owner}"), format!("{}#{id}", self.kind))
    }

    /// Writes `value`, replacing what was there (deterministic ids make this idempotent).
    pub async fn put(&self, owner: Id<User>, id: &str, value: &T) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(self.key(owner, id), value)?))
            .send()
            .await
            .map_err(|err| dynamo("put document", "", err))?;
        Ok(())
    }

    pub async fn create(&self, owner: Id<User>, id: &str, value: &T) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(self.key(owner, id), value)?))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(|err| dynamo("create document", "id already used", err))?;
        Ok(())
    }

    /// Removes the document if there is one.
    pub async fn delete(&self, owner: Id<User>, id: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(self.key(owner, id)))
            .send()
            .await
            .map_err(|err| dynamo("delete document", "", err))?;
        Ok(())
    }

    pub async fn get(&self, owner: Id<User>, id: &str) -> Result<Option<T>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(self.key(owner, id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| StoreError::backend("get document", err))?;
        output.item.map(item::from_item).transpose()
    }

    /// Up to `limit` of the owner's documents of this kind, oldest first, after the one with id
    /// `after`; `next` is the id to continue after, if more may follow.
    pub async fn page(
        &self,
        owner: Id<User>,
        limit: usize,
        after: Option<&str>,
    ) -> Result<Page<T, String>, StoreError> {
        let prefix = format!("{}#", self.kind);
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(format!("USER#{owner}")))
            .expression_attribute_values(":prefix", s(&prefix))
            .consistent_read(true)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .set_exclusive_start_key(after.map(|id| self.key(owner, id)))
            .send()
            .await
            .map_err(|err| StoreError::backend("list documents", err))?;
        let items = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(item::from_item)
            .collect::<Result<Vec<T>, _>>()?;
        let next = output
            .last_evaluated_key
            .as_ref()
            .and_then(|key| item::string_attr(key, item::SK))
            .and_then(|sk| sk.strip_prefix(&prefix))
            .map(str::to_owned);
        Ok(Page { items, next })
    }
}
