use forgeflow_domain::Id;
use forgeflow_domain::hook::Hook;

use crate::StoreError;
use crate::item::{self, Item, key, to_item};

/// Webhooks, found by id alone (the caller is another system): `HOOK#{id}` / `HOOK`.
#[derive(Clone, Debug)]
pub struct HookStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

fn hook_key(id: Id<Hook>) -> Item {
    key(format!("HOOK#{id}"), "HOOK")
}

impl HookStore {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub async fn put(&self, hook: &Hook) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(hook_key(hook.id), hook)?))
            .send()
            .await
            .map_err(|err| StoreError::backend("put hook", aws_sdk_dynamodb::Error::from(err)))?;
        Ok(())
    }

    pub async fn get(&self, id: Id<Hook>) -> Result<Option<Hook>, StoreError> {
        item::get(&self.client, &self.table, hook_key(id), "get hook").await
    }
}
