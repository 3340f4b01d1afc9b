use chrono::{DateTime, Utc};
use forgeflow_api::{ApiContext, ApiResult, Request, response};
use forgeflow_domain::Id;
use forgeflow_domain::project::{DeletionJob, Project};
use forgeflow_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{NOT_FOUND, project_id};

/// A project whose deletion has started.
#[derive(Serialize, ToSchema)]
pub struct Deleting {
    #[schema(value_type = uuid::Uuid)]
    pub id: Id<Project>,
    /// `deleting`
    pub status: &'static str,
    pub deleting_since: DateTime<Utc>,
}

/// Deletes one of the caller's projects and everything it owns. From this call on the project is
/// gone for the API (404 everywhere) and its schedule is disarmed; its executions, generations,
/// files, exports, archives, git history and hooks are removed by the project-deleter in the
/// background. Calling it again while that runs is harmless (and restarts a stalled deletion).
#[utoipa::path(
    delete, path = "/projects/{id}", tag = "projects", operation_id = "projects-delete",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The project's id"),),
    responses(
        (status = 202, description = "Deletion started", body = Deleting),
        (status = 400, description = "The id is not a lower-case UUID"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such project of the caller's"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let id = project_id(&req)?;
    let project = ctx
        .projects
        .mark_deleting(owner, id, Utc::now())
        .await
        .map_err(|err| match err {
            StoreError::NotFound => NOT_FOUND,
            other => other.into(),
        })?;
    // Disarmed at once, not when the deleter gets to it: no export may fire meanwhile.
    match ctx.schedules.delete(owner, id).await {
        Ok(()) | Err(StoreError::NotFound) => {}
        Err(other) => return Err(other.into()),
    }
    ctx.deletions.send(&DeletionJob { project_id: id, owner }).await?;
    tracing::info!(project_id = %id, "project deletion started");
    response::accepted(&Deleting {
        id,
        status: "deleting",
        deleting_since: project.deleting_since.unwrap_or_else(Utc::now),
    })
}
