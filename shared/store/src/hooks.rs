use forgeflow_domain::Id;
use forgeflow_domain::hook::Hook;
use forgeflow_domain::project::Project;

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

/// A project's hooks are listed (to delete them with it) through `gsi1`.
pub(crate) fn project_index(project: Id<Project>) -> String {
    format!("PROJECT#{project}#HOOKS")
}

fn with_index(mut item: Item, hook: &Hook) -> Item {
    item.insert("gsi1pk".into(), item::s(project_index(hook.project_id)));
    item.insert("gsi1sk".into(), item::s(hook.id.to_string()));
    item
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
            .set_item(Some(with_index(to_item(hook_key(hook.id), hook)?, hook)))
            .send()
            .await
            .map_err(|err| StoreError::backend("put hook", aws_sdk_dynamodb::Error::from(err)))?;
        Ok(())
    }

    pub async fn get(&self, id: Id<Hook>) -> Result<Option<Hook>, StoreError> {
        item::get(&self.client, &self.table, hook_key(id), "get hook").await
    }
}
