//! `GET /projects/{id}/stories` and `GET /projects/{id}/sprints`: the plan written by the
//! latest successful execution's product manager.

use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, request, response};
use forgeflow_domain::Id;
use forgeflow_domain::agent::{Sprint, Story};
use forgeflow_domain::execution::{Execution, ExecutionStatus};
use forgeflow_domain::plan::ProjectPlan;
use serde::Serialize;
use utoipa::ToSchema;

use crate::project_id;

/// The plan's user stories; empty, with no execution, until an execution has succeeded.
#[derive(Serialize, ToSchema)]
pub struct StoryList {
    #[schema(value_type = Option<uuid::Uuid>)]
    pub execution_id: Option<Id<Execution>>,
    pub items: Vec<Story>,
}

/// The plan's sprints; empty, with no execution, until an execution has succeeded.
#[derive(Serialize, ToSchema)]
pub struct SprintList {
    #[schema(value_type = Option<uuid::Uuid>)]
    pub execution_id: Option<Id<Execution>>,
    pub items: Vec<Sprint>,
}

/// The latest plan, or with `?execution=` the plan that execution wrote: each change request's
/// product manager writes the whole plan again, so the executions are the plan's history.
async fn plan(ctx: &ApiContext, req: &Request) -> Result<Option<ProjectPlan>, ApiError> {
    let owner = ctx.tokens().await?.authenticate(req)?;
    let id = project_id(req)?;
    ctx.owned_project(owner, id).await?;
    let Some(execution_id) = request::query_param::<Id<Execution>>(req, "execution")? else {
        return Ok(ctx.engine.plans.get(owner, &id.to_string()).await?);
    };
    let execution = match ctx.engine.executions.load(execution_id).await? {
        Some((execution, _)) if execution.owner == owner && execution.project == id => execution,
        _ => return Err(ApiError::NotFound("execution")),
    };
    if execution.status != ExecutionStatus::Succeeded {
        return Ok(None);
    }
    Ok(ctx.engine.plan_of(&execution).await?)
}

#[utoipa::path(
    get, path = "/projects/{id}/stories", tag = "projects", operation_id = "projects-stories",
    security(("bearer" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "The project's id"),
        ("execution" = Option<uuid::Uuid>, Query, description = "An earlier successful execution: the plan as it wrote it (the plan's history)"),
    ),
    responses(
        (status = 200, description = "The latest successful execution's user stories", body = StoryList),
        (status = 400, description = "An id is not a lower-case UUID"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such project (or execution of it) of the caller's"),
    ),
)]
pub async fn stories(ctx: &ApiContext, req: Request) -> ApiResult {
    let plan = plan(ctx, &req).await?;
    response::ok(&StoryList {
        execution_id: plan.as_ref().map(|p| p.execution_id),
        items: plan.map(|p| p.stories).unwrap_or_default(),
    })
}

#[utoipa::path(
    get, path = "/projects/{id}/sprints", tag = "projects", operation_id = "projects-sprints",
    security(("bearer" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "The project's id"),
        ("execution" = Option<uuid::Uuid>, Query, description = "An earlier successful execution: the plan as it wrote it (the plan's history)"),
    ),
    responses(
        (status = 200, description = "The latest successful execution's sprints", body = SprintList),
        (status = 400, description = "An id is not a lower-case UUID"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such project (or execution of it) of the caller's"),
    ),
)]
pub async fn sprints(ctx: &ApiContext, req: Request) -> ApiResult {
    let plan = plan(ctx, &req).await?;
    response::ok(&SprintList {
        execution_id: plan.as_ref().map(|p| p.execution_id),
        items: plan.map(|p| p.sprints).unwrap_or_default(),
    })
}
