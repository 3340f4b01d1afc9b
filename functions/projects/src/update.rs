use chrono::Utc;
use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, request, response};
use forgeflow_domain::project::{Project, UpdateProject};
use forgeflow_store::StoreError;

use crate::{NOT_FOUND, project_id};

/// Changes the named fields if `version` is still the stored one; a stale version is a 409
/// so that two editors never silently overwrite each other.
#[utoipa::path(
    patch, path = "/projects/{id}", tag = "projects", operation_id = "projects-update",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The project's id"),),
    request_body = UpdateProject,
    responses(
        (status = 200, description = "The project as updated, at the next version", body = Project),
        (status = 400, description = "Malformed body or id, a field that breaks its rule, or nothing to change"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such project of the caller's"),
        (status = 409, description = "`version` is not the stored one (`version_conflict`)"),
        (status = 413, description = "Body over 256 KiB"),
        (status = 415, description = "Body is not JSON"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let id = project_id(&req)?;
    let input: UpdateProject = request::json_body(&req)?;
    let current = ctx.owned_project(owner, id).await?;
    let stale = || ApiError::Conflict {
        code: "version_conflict",
        message: "the project changed since you read it; fetch it again and reapply your change".into(),
    };
    if input.version != current.version {
        return Err(stale());
    }
    let expected = input.version;
    let next = input.apply_to(&current, Utc::now())?;
    ctx.projects.update(&next, expected).await.map_err(|err| match err {
        StoreError::NotFound => NOT_FOUND,
        StoreError::Conflict(_) => stale(),
        other => other.into(),
    })?;
    response::ok(&next)
}
