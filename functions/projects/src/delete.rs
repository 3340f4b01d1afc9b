use forgeflow_api::{ApiContext, ApiResult, Request, response};
use forgeflow_store::StoreError;

use crate::{NOT_FOUND, project_id};

/// Deletes one of the caller's projects.
#[utoipa::path(
    delete, path = "/projects/{id}", tag = "projects", operation_id = "projects-delete",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The project's id"),),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "The id is not a lower-case UUID"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such project of the caller's"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let id = project_id(&req)?;
    ctx.projects.delete(owner, id).await.map_err(|err| match err {
        StoreError::NotFound => NOT_FOUND,
        other => other.into(),
    })?;
    tracing::info!(project_id = %id, "project deleted");
    response::no_content()
}
