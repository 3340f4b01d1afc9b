use forgeflow_api::{ApiContext, ApiResult, Request, response};
use forgeflow_domain::project::Project;

use crate::project_id;

/// One of the caller's projects; another user's is not found.
#[utoipa::path(
    get, path = "/projects/{id}", tag = "projects", operation_id = "projects-get",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The project's id"),),
    responses(
        (status = 200, description = "The project", body = Project),
        (status = 400, description = "The id is not a lower-case UUID"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such project of the caller's"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let id = project_id(&req)?;
    let project = ctx.owned_project(owner, id).await?;
    response::ok(&project)
}
