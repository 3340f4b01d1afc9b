use std::marker::PhantomData;

use forgeflow_domain::Id;
use forgeflow_domain::user::User;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::StoreError;
use crate::error::dynamo;
use crate::item::{self, Item, key, s, to_item};

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

    /// All of the owner's documents of this kind, oldest first.
    pub async fn list(&self, owner: Id<User>) -> Result<Vec<T>, StoreError> {
        let mut documents = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", s(format!("USER#{owner}")))
                .expression_attribute_values(":prefix", s(format!("{}#", self.kind)))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|err| StoreError::backend("list documents", err))?;
            for item in output.items.unwrap_or_default() {
                documents.push(item::from_item(item)?);
            }
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(documents);
            }
        }
    }
}
