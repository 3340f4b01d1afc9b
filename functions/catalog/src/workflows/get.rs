use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, request, response};

use forgeflow_domain::workflow::Workflow;

use super::find_workflow;

/// A built-in workflow by slug (`full-project`) or one of the caller's own by id.
#[utoipa::path(
    get, path = "/workflows/{id}", tag = "workflows", operation_id = "workflows-get",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "A built-in workflow's slug or the UUID of one of the caller's")),
    responses(
        (status = 200, description = "The workflow", body = Workflow),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such workflow"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let id: String = request::path_param(&req, "id")?;
    let workflow = find_workflow(ctx, owner, &id)
        .await?
        .ok_or(ApiError::NotFound("workflow"))?;
    response::ok(&workflow)
}
