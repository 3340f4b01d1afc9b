use chrono::{DateTime, SecondsFormat, Utc};
use forgeflow_domain::Id;
use forgeflow_domain::export_schedule::ExportSchedule;
use forgeflow_domain::project::Project;
use forgeflow_domain::user::User;

use crate::StoreError;
use crate::error::dynamo;
use crate::item::{self, Item, key, s, to_item};

/// Export schedules, one per project, in the owner's partition (`USER#{owner}` /
/// `SCHEDULE#{project}`). Enabled ones are also in `gsi2` under `DUE#{shard}` sorted by next run,
/// so the scheduler finds what is due with one query per shard; disabled ones leave the index
/// (sparse), so they can never fire.
#[derive(Clone, Debug)]
pub struct ScheduleStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

/// Shards spread the due index over partitions; the scheduler queries each.
pub const SHARDS: u32 = 16;

fn schedule_key(owner: Id<User>, project: Id<Project>) -> Item {
    key(format!("USER#{owner}"), format!("SCHEDULE#{project}"))
}

fn shard(project: Id<Project>) -> String {
    format!("DUE#{:x}", project.as_uuid().as_u128() % u128::from(SHARDS))
}

fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn to_row(schedule: &ExportSchedule) -> Result<Item, StoreError> {
    let mut row = to_item(schedule_key(schedule.owner, schedule.project_id), schedule)?;
    if schedule.enabled {
        row.insert("gsi2pk".into(), s(shard(schedule.project_id)));
        row.insert(
            "gsi2sk".into(),
            s(format!("{}#{}", instant(schedule.next_run), schedule.project_id)),
        );
    }
    Ok(row)
}

impl ScheduleStore {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub async fn put(&self, schedule: &ExportSchedule) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_row(schedule)?))
            .send()
            .await
            .map_err(|err| StoreError::backend("put schedule", aws_sdk_dynamodb::Error::from(err)))?;
        Ok(())
    }

    pub async fn get(&self, owner: Id<User>, project: Id<Project>) -> Result<Option<ExportSchedule>, StoreError> {
        item::get(&self.client, &self.table, schedule_key(owner, project), "get schedule").await
    }

    pub async fn delete(&self, owner: Id<User>, project: Id<Project>) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(schedule_key(owner, project)))
            .condition_expression("attribute_exists(pk)")
            .send()
            .await
            .map_err(|err| match dynamo("delete schedule", "", err) {
                StoreError::Conflict(_) => StoreError::NotFound,
                other => other,
            })?;
        Ok(())
    }

    /// Enabled schedules of one shard whose next run is at or before `now`.
    pub async fn due(&self, shard_index: u32, now: DateTime<Utc>) -> Result<Vec<ExportSchedule>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("gsi2")
            .key_condition_expression("gsi2pk = :shard AND gsi2sk <= :now")
            .expression_attribute_values(":shard", s(format!("DUE#{shard_index:x}")))
            // `~` sorts after every id character, so a slot at exactly `now` is included.
            .expression_attribute_values(":now", s(format!("{}#~", instant(now))));
        item::query_all(query, "query due schedules")
            .await?
            .into_iter()
            .map(item::from_item)
            .collect()
    }

    /// Moves a schedule to its next run if nobody did since `read` was read: two overlapping
    /// ticks advance it once.
    pub async fn advance(&self, read: &ExportSchedule, next: &ExportSchedule) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_row(next)?))
            .condition_expression("next_run = :read AND updated_at = :updated")
            .expression_attribute_values(
                ":read",
                s(serde_json::to_value(read.next_run)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default()),
            )
            .expression_attribute_values(
                ":updated",
                s(serde_json::to_value(read.updated_at)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default()),
            )
            .send()
            .await
            .map_err(|err| dynamo("advance schedule", "the schedule moved on", err))?;
        Ok(())
    }
}
