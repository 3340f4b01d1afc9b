use forgeflow_api::{ApiContext, ApiResult, Request, request, response};
use forgeflow_domain::estimate::{DEFAULT_MAX_OUTPUT_TOKENS, Estimate, estimate};
use forgeflow_domain::workflow::FULL_PROJECT;

use crate::create::snapshot;

/// What a run of `workflow` (`full-project` by default) over the project would cost, before it
/// runs: per step, input and output tokens and USD as a range at the models' list prices
/// (`GET /prices`). The high end is what budgets reserve: every answer at the output limit and
/// one repair call per step.
#[utoipa::path(
    get, path = "/projects/{id}/estimate", tag = "executions", operation_id = "estimate-get",
    security(("bearer" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "The project's id"),
        ("workflow" = Option<String>, Query, description = "A built-in workflow's slug or one of yours; `full-project` by default"),
    ),
    responses(
        (status = 200, description = "The estimate", body = Estimate),
        (status = 400, description = "Malformed id, or an unknown workflow (`workflow`)"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such project of the caller's"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let project_id = request::path_param(&req, "id")?;
    let workflow_id: Option<String> = request::query_param(&req, "workflow")?;
    let project = ctx.owned_project(owner, project_id).await?;
    let (workflow, agents) = snapshot(ctx, owner, workflow_id.as_deref().unwrap_or(FULL_PROJECT)).await?;
    response::ok(&estimate(&workflow, &agents, &project.brief, DEFAULT_MAX_OUTPUT_TOKENS))
}
