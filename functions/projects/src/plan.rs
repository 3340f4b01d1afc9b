//! `GET /projects/{id}/stories` and `GET /projects/{id}/sprints`: the plan written by the
//! latest successful execution's product manager.

use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, response};
use forgeflow_domain::Id;
use forgeflow_domain::agent::{Sprint, Story};
use forgeflow_domain::execution::Execution;
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

async fn plan(ctx: &ApiContext, req: &Request) -> Result<Option<ProjectPlan>, ApiError> {
    let owner = ctx.tokens().await?.authenticate(req)?;
    let id = project_id(req)?;
    ctx.owned_project(owner, id).await?;
    Ok(ctx.engine.plans.get(owner, &id.to_string()).await?)
}

#[utoipa::path(
    get, path = "/projects/{id}/stories", tag = "projects", operation_id = "projects-stories",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The project's id")),
    responses(
        (status = 200, description = "The latest successful execution's user stories", body = StoryList),
        (status = 400, description = "The id is not a lower-case UUID"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such project of the caller's"),
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
    params(("id" = uuid::Uuid, Path, description = "The project's id")),
    responses(
        (status = 200, description = "The latest successful execution's sprints", body = SprintList),
        (status = 400, description = "The id is not a lower-case UUID"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such project of the caller's"),
    ),
)]
pub async fn sprints(ctx: &ApiContext, req: Request) -> ApiResult {
    let plan = plan(ctx, &req).await?;
    response::ok(&SprintList {
        execution_id: plan.as_ref().map(|p| p.execution_id),
        items: plan.map(|p| p.sprints).unwrap_or_default(),
    })
}
