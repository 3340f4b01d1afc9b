//! Generations: a project's files, rendered from a template and an execution's agent output,
//! stored in S3 under the generation's prefix with a manifest.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Id;
use crate::execution::Execution;
use crate::import::{ImportSource, Imported};
use crate::project::{Project, Template};
use crate::user::User;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GenerationStatus {
    /// An import waiting for its archive (`POST /generations/{id}/import` once uploaded).
    AwaitingUpload,
    Queued,
    Running,
    Ready,
    Failed,
}

impl GenerationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingUpload => "awaiting_upload",
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Ready => "ready",
            Self::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Generation {
    #[schema(value_type = uuid::Uuid)]
    pub id: Id<Generation>,
    #[schema(value_type = uuid::Uuid)]
    pub project_id: Id<Project>,
    #[schema(value_type = uuid::Uuid)]
    pub owner: Id<User>,
    #[schema(value_type = uuid::Uuid)]
    pub execution_id: Id<Execution>,
    pub template: Template,
    /// The generation this one changed (a change request's base); `None` for a first generation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub parent: Option<Id<Generation>>,
    /// The change request that made it from its parent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_request: Option<String>,
    /// Where an imported generation came from (no execution made it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported: Option<Imported>,
    pub status: GenerationStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default)]
    pub file_count: u64,
    #[serde(default)]
    pub total_bytes: u64,
    /// Paths where an agent's file replaced the template's.
    #[serde(default)]
    pub conflicts: Vec<String>,
    /// Agent files refused (unsafe paths), with the reason.
    #[serde(default)]
    pub refused: Vec<RefusedFile>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RefusedFile {
    pub path: String,
    pub reason: String,
}

impl Generation {
    pub fn new(job: &GenerationJob, now: DateTime<Utc>) -> Self {
        Self {
            id: job.generation_id,
            project_id: job.project_id,
            owner: job.owner,
            execution_id: job.execution_id,
            template: job.template,
            parent: job.parent,
            change_request: job.change_request.clone(),
            imported: None,
            status: GenerationStatus::Queued,
            error: None,
            file_count: 0,
            total_bytes: 0,
            conflicts: Vec::new(),
            refused: Vec::new(),
            created_at: now,
            updated_at: now,
            finished_at: None,
        }
    }

    /// A project's first generation, read from `source` by the import-worker. Its execution id
    /// is its own: no execution made it, and nothing is found under that id.
    pub fn import(project: &Project, source: ImportSource, now: DateTime<Utc>) -> Self {
        let id = Id::new();
        let status = match source {
            ImportSource::Upload { .. } => GenerationStatus::AwaitingUpload,
            _ => GenerationStatus::Queued,
        };
        Self {
            id,
            project_id: project.id,
            owner: project.owner,
            execution_id: Id::from_uuid(id.as_uuid()),
            template: project.template,
            parent: None,
            change_request: None,
            imported: Some(Imported {
                source,
                branch: None,
                commit: None,
                history_commits: 0,
            }),
            status,
            error: None,
            file_count: 0,
            total_bytes: 0,
            conflicts: Vec::new(),
            refused: Vec::new(),
            created_at: now,
            updated_at: now,
            finished_at: None,
        }
    }

    /// Where this generation's files live in the bucket: `{prefix}{path}`.
    pub fn files_prefix(&self) -> String {
        files_prefix(self.id)
    }

    pub fn manifest_key(&self) -> String {
        manifest_key(self.id)
    }
}

pub fn manifest_key(id: Id<Generation>) -> String {
    format!("generations/{id}/manifest.json")
}

pub fn files_prefix(id: Id<Generation>) -> String {
    format!("generations/{id}/files/")
}

/// The job that asks the generate-worker to build one generation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerationJob {
    pub generation_id: Id<Generation>,
    pub execution_id: Id<Execution>,
    pub project_id: Id<Project>,
    pub owner: Id<User>,
    pub template: Template,
    /// The generation a change request edits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<Id<Generation>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_request: Option<String>,
}

impl GenerationJob {
    /// The generation an execution's success starts: its id is the execution's, so a
    /// redelivered completion names the same generation instead of a second one.
    pub fn after(execution: &Execution) -> Self {
        Self {
            generation_id: Id::from_uuid(execution.id.as_uuid()),
            execution_id: execution.id,
            project_id: execution.project,
            owner: execution.owner,
            template: execution.template,
            parent: execution.change.as_ref().map(|change| change.base_generation),
            change_request: execution.change.as_ref().map(|change| change.request.clone()),
        }
    }
}

/// Body of `POST /projects/{id}/generations`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Regenerate {
    #[schema(value_type = uuid::Uuid)]
    pub execution_id: Id<Execution>,
    pub template: Option<Template>,
}
