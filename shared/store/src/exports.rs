use chrono::{DateTime, Utc};
use forgeflow_domain::Id;
use forgeflow_domain::export::{Export, ExportJob, ExportStatus, ExportTarget};
use forgeflow_domain::generation::Generation;
use forgeflow_domain::project::Project;
use serde::{Deserialize, Serialize};

use crate::error::dynamo;
use crate::item::{self, Item, key, s, to_item};
use crate::projects::Page;
use crate::{JobQueue, StoreError};

/// Export jobs (`EXPORT#{id}` / `EXPORT`, listed per project through `gsi1`) and each project's
/// git history: its head (`REPO#{project}` / `HEAD`) and what the last export to each remote
/// left there (`REPO#{project}` / `REMOTE#{key}`).
#[derive(Clone, Debug)]
pub struct ExportStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

/// The newest commit of a project's history and where its packed `.git` lives in S3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoHead {
    pub commit: String,
    pub state_key: String,
    pub version: u64,
    /// The generation the commit holds: exports of one generation to several places share it.
    #[serde(default)]
    pub generation: Option<Id<Generation>>,
}

/// The most targets a project remembers (an "export again" queues one export each).
pub const MAX_TARGETS: usize = 20;

/// A place the project was exported to, and when last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RememberedTarget {
    pub target: ExportTarget,
    pub last_used_at: DateTime<Utc>,
}

/// The last export to one remote: its commit there and the manifest it was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteRecord {
    pub commit_sha: String,
    pub manifest_key: String,
    /// The commit merged edits made on the forge: its tree is not exactly the manifest's.
    #[serde(default)]
    pub merged: bool,
}

fn export_key(id: Id<Export>) -> Item {
    key(format!("EXPORT#{id}"), "EXPORT")
}

pub(crate) fn project_index(project: Id<Project>) -> String {
    format!("PROJECT#{project}#EXPORTS")
}

fn with_index(mut item: Item, export: &Export) -> Item {
    item.insert("gsi1pk".into(), s(project_index(export.project_id)));
    item.insert("gsi1sk".into(), s(export.id.to_string()));
    item
}

impl ExportStore {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub async fn create(&self, export: &Export) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(with_index(to_item(export_key(export.id), export)?, export)))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(|err| dynamo("create export", "export exists", err))?;
        Ok(())
    }

    pub async fn get(&self, id: Id<Export>) -> Result<Option<Export>, StoreError> {
        item::get(&self.client, &self.table, export_key(id), "get export").await
    }

    /// Replaces the export's row if nobody saved it since `export` was read (its `version`), and
    /// bumps the version. `Conflict` if someone did: re-read and decide again.
    pub async fn save(&self, export: &mut Export) -> Result<(), StoreError> {
        let read = export.version;
        export.version = read + 1;
        let item = with_index(to_item(export_key(export.id), &*export)?, export);
        let saved = item::put_if_version(&self.client, &self.table, item, read, "save export", "export moved on").await;
        if saved.is_err() {
            export.version = read;
        }
        saved
    }

    /// Takes the export for one delivery until `until` (its invocation's deadline): refused with
    /// `Conflict` while another delivery's lease is live, or if the row changed since it was read.
    pub async fn claim(&self, export: &mut Export, until: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), StoreError> {
        if !export.is_free(now) {
            return Err(StoreError::Conflict("another delivery holds the export"));
        }
        // Claimed is running: the project-deleter waits for a running export under a live lease.
        let previous = (export.lease_expires_at.replace(until), export.status);
        export.status = ExportStatus::Running;
        let claimed = self.save(export).await;
        if claimed.is_err() {
            (export.lease_expires_at, export.status) = previous;
        }
        claimed
    }

    /// Records the remote commit an export created, before the remote branch moves.
    pub async fn set_remote_commit(&self, id: Id<Export>, sha: &str) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(export_key(id)))
            .update_expression("SET remote_commit = :sha")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":sha", s(sha))
            .send()
            .await
            .map_err(|err| dynamo("record remote commit", "export is gone", err))?;
        Ok(())
    }

    pub async fn list_for_project(
        &self,
        project: Id<Project>,
        limit: usize,
        after: Option<Id<Export>>,
    ) -> Result<Page<Export, Id<Export>>, StoreError> {
        crate::index::gsi1_page(
            &self.client,
            &self.table,
            &project_index(project),
            limit,
            after,
            export_key,
            |e: &Export| e.id,
        )
        .await
    }

    /// Creates the export named by `key` (its id is derived from it) and sends its job. If it
    /// exists already (a second tick, a redelivery, a replayed webhook) the job is sent again
    /// only while the export is still queued — the creator may have died before sending, and the
    /// export-worker ignores a duplicate. Returns the export and whether this call created it.
    pub async fn enqueue_once(
        &self,
        queue: &JobQueue,
        key: &str,
        generation: &Generation,
        target: &ExportTarget,
        now: DateTime<Utc>,
    ) -> Result<(Export, bool), StoreError> {
        let export = Export::new(Id::derived(key), generation, target.clone(), now);
        let created = match self.create(&export).await {
            Ok(()) => true,
            Err(StoreError::Conflict(_)) => false,
            Err(other) => return Err(other),
        };
        let current = if created {
            Some(export.clone())
        } else {
            self.get(export.id).await?
        };
        if current.as_ref().is_some_and(|e| e.status == ExportStatus::Queued) {
            queue.send(&ExportJob { export_id: export.id }).await?;
        }
        Ok((current.unwrap_or(export), created))
    }

    pub async fn head(&self, project: Id<Project>) -> Result<Option<RepoHead>, StoreError> {
        item::get(
            &self.client,
            &self.table,
            key(format!("REPO#{project}"), "HEAD"),
            "get history head",
        )
        .await
    }

    /// Moves the project's history head to `next` if it is still at `expected` (`None`: no head
    /// yet). Two exports of one project racing: one wins, the other is redelivered and builds on it.
    pub async fn advance_head(
        &self,
        project: Id<Project>,
        expected: Option<&RepoHead>,
        next: &RepoHead,
    ) -> Result<(), StoreError> {
        let request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(key(format!("REPO#{project}"), "HEAD"), next)?));
        let request = match expected {
            None => request.condition_expression("attribute_not_exists(pk)"),
            Some(head) => request
                .condition_expression("version = :version")
                .expression_attribute_values(
                    ":version",
                    aws_sdk_dynamodb::types::AttributeValue::N(head.version.to_string()),
                ),
        };
        request
            .send()
            .await
            .map_err(|err| dynamo("advance history", "another export moved the project's history", err))?;
        Ok(())
    }

    /// Remembers `target` as one of the project's export targets ("export again" reuses them);
    /// the same place used again only moves its time.
    pub async fn remember_target(
        &self,
        project: Id<Project>,
        target: &ExportTarget,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let remembered = RememberedTarget {
            target: target.clone(),
            last_used_at: now,
        };
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(
                key(format!("REPO#{project}"), format!("TARGET#{}", target.memory_key())),
                &remembered,
            )?))
            .send()
            .await
            .map_err(|err| StoreError::backend("remember target", aws_sdk_dynamodb::Error::from(err)))?;
        Ok(())
    }

    /// The project's remembered export targets, most recently used first.
    pub async fn targets(&self, project: Id<Project>) -> Result<Vec<RememberedTarget>, StoreError> {
        let partition = format!("REPO#{project}");
        let listing = crate::index::Listing::Prefix {
            partition: &partition,
            prefix: "TARGET#",
        };
        let page = crate::index::page(
            &self.client,
            &self.table,
            listing,
            MAX_TARGETS,
            None,
            |_: &RememberedTarget| (),
        )
        .await?;
        let mut targets = page.items;
        targets.sort_by_key(|remembered| std::cmp::Reverse(remembered.last_used_at));
        Ok(targets)
    }

    pub async fn remote(&self, project: Id<Project>, remote_key: &str) -> Result<Option<RemoteRecord>, StoreError> {
        let record = key(format!("REPO#{project}"), format!("REMOTE#{remote_key}"));
        item::get(&self.client, &self.table, record, "get remote record").await
    }

    pub async fn set_remote(
        &self,
        project: Id<Project>,
        remote_key: &str,
        record: &RemoteRecord,
    ) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(
                key(format!("REPO#{project}"), format!("REMOTE#{remote_key}")),
                record,
            )?))
            .send()
            .await
            .map_err(|err| StoreError::backend("record remote", aws_sdk_dynamodb::Error::from(err)))?;
        Ok(())
    }
}
