use std::time::Duration;

use chrono::{DateTime, Utc};
use forgeflow_api::{ApiContext, ApiError};
use forgeflow_domain::Id;
use forgeflow_domain::export::{Export, ExportStatus, ExportTarget, is_web_link};
use forgeflow_domain::generation::Generation;
use forgeflow_domain::project::Project;
use forgeflow_domain::user::User;
use serde::Serialize;
use utoipa::ToSchema;

/// Download links live this long; every read of the export makes a fresh one.
pub const DOWNLOAD_LINK_FOR: Duration = Duration::from_secs(3600);

/// An export as clients see it: its archive as a presigned download URL, and none of the
/// worker's bookkeeping (local and remote commit markers).
#[derive(Serialize, ToSchema)]
pub struct ExportView {
    #[schema(value_type = uuid::Uuid)]
    pub id: Id<Export>,
    #[schema(value_type = uuid::Uuid)]
    pub project_id: Id<Project>,
    #[schema(value_type = uuid::Uuid)]
    pub generation_id: Id<Generation>,
    #[schema(value_type = uuid::Uuid)]
    pub owner: Id<User>,
    pub target: ExportTarget,
    pub status: ExportStatus,
    /// What the worker is doing: `queued`, `committing`, `delivering`, `done`.
    pub phase: String,
    pub result: ExportResultView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
}

/// Where the export went; fields appear as the export gets that far.
#[derive(Serialize, ToSchema)]
pub struct ExportResultView {
    /// Archives: a presigned URL, valid an hour, made fresh on every read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repository_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit_sha: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pull_request_url: Option<String>,
    /// The branch had moved since the last export: the commit merges the edits made there.
    pub merged: bool,
    /// Files that did not merge; the commit is on a pull/merge request that lists them.
    pub conflicts: Vec<forgeflow_domain::merge::MergeConflict>,
}

/// The export as clients see it: its archive as a presigned download URL.
pub async fn view(ctx: &ApiContext, export: &Export) -> Result<ExportView, ApiError> {
    let download_url = match &export.result.archive_key {
        Some(key) => Some(ctx.engine.blobs.presigned_get(key, DOWNLOAD_LINK_FOR).await?),
        None => None,
    };
    let result = &export.result;
    Ok(ExportView {
        id: export.id,
        project_id: export.project_id,
        generation_id: export.generation_id,
        owner: export.owner,
        target: export.target.clone(),
        status: export.status,
        phase: export.phase.clone(),
        result: ExportResultView {
            download_url,
            repository_url: result.repository_url.clone().filter(|url| is_web_link(url)),
            commit_sha: result.commit_sha.clone(),
            branch: result.branch.clone(),
            pull_request_url: result.pull_request_url.clone().filter(|url| is_web_link(url)),
            merged: result.merged,
            conflicts: result.conflicts.clone(),
        },
        error: export.error.clone(),
        created_at: export.created_at,
        updated_at: export.updated_at,
        finished_at: export.finished_at,
    })
}
