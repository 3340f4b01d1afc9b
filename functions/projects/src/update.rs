use chrono::Utc;
use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, request, response};
use forgeflow_domain::project::UpdateProject;
use forgeflow_store::StoreError;

use crate::{NOT_FOUND, project_id};

/// Changes the named fields if `version` is still the stored one; a stale version is a 409
/// so that two editors never silently overwrite each other.
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens.authenticate(&req)?;
    let id = project_id(&req)?;
    let input: UpdateProject = request::json_body(&req)?;
    let current = ctx.projects.get(owner, id).await?.ok_or(NOT_FOUND)?;
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
