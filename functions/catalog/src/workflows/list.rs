use forgeflow_api::{ApiContext, ApiResult, Request, response};
use forgeflow_domain::workflow::{self, Workflow};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct WorkflowList {
    pub items: Vec<Workflow>,
}

/// The built-in workflows, then the caller's own.
#[utoipa::path(
    get, path = "/workflows", tag = "workflows", operation_id = "workflows-list",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The built-in workflows, then the caller's own", body = WorkflowList),
        (status = 401, description = "Missing, expired or invalid token"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let mut items = workflow::builtin_workflows();
    items.extend(ctx.workflows.list(owner).await?);
    response::ok(&WorkflowList { items })
}
