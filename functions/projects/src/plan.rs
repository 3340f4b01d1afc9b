//! `GET /projects/{id}/stories` and `GET /projects/{id}/sprints`: the plan written by the
//! latest successful execution's product manager.

use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, response};
use forgeflow_domain::plan::ProjectPlan;
use serde_json::json;

use crate::{NOT_FOUND, project_id};

async fn plan(ctx: &ApiContext, req: &Request) -> Result<Option<ProjectPlan>, ApiError> {
    let owner = ctx.tokens.authenticate(req)?;
    let id = project_id(req)?;
    ctx.projects.get(owner, id).await?.ok_or(NOT_FOUND)?;
    Ok(ctx.engine.plans.get(owner, &id.to_string()).await?)
}

pub async fn stories(ctx: &ApiContext, req: Request) -> ApiResult {
    let plan = plan(ctx, &req).await?;
    response::ok(&json!({
        "execution_id": plan.as_ref().map(|p| p.execution_id),
        "items": plan.map(|p| p.stories).unwrap_or_default(),
    }))
}

pub async fn sprints(ctx: &ApiContext, req: Request) -> ApiResult {
    let plan = plan(ctx, &req).await?;
    response::ok(&json!({
        "execution_id": plan.as_ref().map(|p| p.execution_id),
        "items": plan.map(|p| p.sprints).unwrap_or_default(),
    }))
}
