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

    /// A project's hooks, oldest first (a project has a handful).
    pub async fn for_project(&self, project: Id<Project>) -> Result<Vec<Hook>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("gsi1")
            .key_condition_expression("gsi1pk = :pk")
            .expression_attribute_values(":pk", item::s(project_index(project)));
        item::query_all(query, "list hooks")
            .await?
            .into_iter()
            .map(item::from_item)
            .collect()
    }

    /// Removes the hook; its URL stops accepting calls at once. Removing it again is no error.
    pub async fn delete(&self, id: Id<Hook>) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(hook_key(id)))
            .send()
            .await
            .map_err(|err| StoreError::backend("delete hook", aws_sdk_dynamodb::Error::from(err)))?;
        Ok(())
    }
}
