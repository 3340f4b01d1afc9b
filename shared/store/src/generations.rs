use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use forgeflow_domain::Id;
use forgeflow_domain::generation::{Generation, GenerationStatus};
use forgeflow_domain::project::Project;

use crate::StoreError;
use crate::error::dynamo;
use crate::item::{self, Item, key, s, to_item};
use crate::projects::Page;

/// Generations: `GEN#{id}` / `GEN`; `gsi1` lists a project's (`PROJECT#{id}#GENERATIONS`).
#[derive(Clone, Debug)]
pub struct GenerationStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

fn generation_key(id: Id<Generation>) -> Item {
    key(format!("GEN#{id}"), "GEN")
}

pub(crate) fn project_index(project: Id<Project>) -> String {
    format!("PROJECT#{project}#GENERATIONS")
}

/// The generation's item with its project-index keys.
fn row(generation: &Generation) -> Result<Item, StoreError> {
    let mut item = to_item(generation_key(generation.id), generation)?;
    item.insert("gsi1pk".into(), s(project_index(generation.project_id)));
    item.insert("gsi1sk".into(), s(generation.id.to_string()));
    Ok(item)
}

impl GenerationStore {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Writes the generation unless one with its id exists (a redelivered job): `Conflict` then.
    pub async fn create(&self, generation: &Generation) -> Result<(), StoreError> {
        let item = row(generation)?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(|err| dynamo("create generation", "generation exists", err))?;
        Ok(())
    }

    pub async fn get(&self, id: Id<Generation>) -> Result<Option<Generation>, StoreError> {
        item::get(&self.client, &self.table, generation_key(id), "get generation").await
    }

    /// Takes the generation for one delivery, holding it as `lease` until `until` (the
    /// invocation's deadline): it must be queued, or running under a lease that has expired (its
    /// holder died). `Conflict` otherwise: another delivery holds it, or it finished.
    pub async fn claim(
        &self,
        id: Id<Generation>,
        lease: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(generation_key(id)))
            .update_expression("SET #status = :running, lease = :lease, lease_expires_at = :until, updated_at = :now")
            .condition_expression(
                "#status = :queued OR (#status = :running AND \
                 (attribute_not_exists(lease_expires_at) OR lease_expires_at <= :now_ms))",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":running", s(GenerationStatus::Running.as_str()))
            .expression_attribute_values(":queued", s(GenerationStatus::Queued.as_str()))
            .expression_attribute_values(":lease", s(lease))
            .expression_attribute_values(":until", AttributeValue::N(until.timestamp_millis().to_string()))
            .expression_attribute_values(":now_ms", AttributeValue::N(now.timestamp_millis().to_string()))
            .expression_attribute_values(":now", AttributeValue::S(now.to_rfc3339()))
            .send()
            .await
            .map_err(|err| dynamo("claim generation", "another delivery holds the generation", err))?;
        Ok(())
    }

    /// Writes the finished generation if `lease` still holds it, dropping the lease. `Conflict`
    /// if another delivery took it over meanwhile: that one finishes it, and tells listeners.
    pub async fn complete(&self, generation: &Generation, lease: &str) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(row(generation)?))
            .condition_expression("#status = :running AND lease = :lease")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":running", s(GenerationStatus::Running.as_str()))
            .expression_attribute_values(":lease", s(lease))
            .send()
            .await
            .map_err(|err| dynamo("complete generation", "another delivery took the generation over", err))?;
        Ok(())
    }

    /// An import's upload arrived: `awaiting_upload` becomes `queued`. `Conflict` when it was
    /// not awaiting one (already queued by an earlier call, or finished).
    pub async fn uploaded(&self, id: Id<Generation>, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(generation_key(id)))
            .update_expression("SET #status = :queued, updated_at = :now")
            .condition_expression("#status = :awaiting")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":queued", s(GenerationStatus::Queued.as_str()))
            .expression_attribute_values(":awaiting", s(GenerationStatus::AwaitingUpload.as_str()))
            .expression_attribute_values(":now", AttributeValue::S(now.to_rfc3339()))
            .send()
            .await
            .map_err(|err| dynamo("queue an uploaded import", "the import is not awaiting its upload", err))?;
        Ok(())
    }

    /// Removes the generation's row (its files are the caller's to remove).
    pub async fn delete(&self, id: Id<Generation>) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(generation_key(id)))
            .send()
            .await
            .map_err(|err| StoreError::backend("delete generation", aws_sdk_dynamodb::Error::from(err)))?;
        Ok(())
    }

    /// Moves a generation that is not finished to `failed` with `reason`.
    pub async fn fail(&self, id: Id<Generation>, reason: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(generation_key(id)))
            .update_expression("SET #status = :failed, #error = :reason, finished_at = :now, updated_at = :now")
            .condition_expression("#status IN (:queued, :running)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#error", "error")
            .expression_attribute_values(":failed", s(GenerationStatus::Failed.as_str()))
            .expression_attribute_values(":queued", s(GenerationStatus::Queued.as_str()))
            .expression_attribute_values(":running", s(GenerationStatus::Running.as_str()))
            .expression_attribute_values(":reason", s(reason))
            .expression_attribute_values(":now", AttributeValue::S(now.to_rfc3339()))
            .send()
            .await
            .map_err(|err| dynamo("fail generation", "generation already finished", err))?;
        Ok(())
    }

    /// The project's newest ready generation: what its owner last saw, what scheduled and hooked
    /// exports deliver, what a change request changes. Pages past failed and running ones.
    pub async fn latest_ready(&self, project: Id<Project>) -> Result<Option<Generation>, StoreError> {
        let mut after = None;
        loop {
            let page = self.list_for_project(project, 50, after).await?;
            if let Some(ready) = page.items.into_iter().find(|g| g.status == GenerationStatus::Ready) {
                return Ok(Some(ready));
            }
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(None),
            }
        }
    }

    pub async fn list_for_project(
        &self,
        project: Id<Project>,
        limit: usize,
        after: Option<Id<Generation>>,
    ) -> Result<Page<Generation, Id<Generation>>, StoreError> {
        crate::index::gsi1_page(
            &self.client,
            &self.table,
            &project_index(project),
            limit,
            after,
            generation_key,
            |g: &Generation| g.id,
        )
        .await
    }
}
