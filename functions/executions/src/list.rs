use forgeflow_api::{ApiContext, ApiResult, Request, cursor, request, response};
use forgeflow_domain::Id;
use forgeflow_domain::execution::ExecutionSummary;
use forgeflow_domain::project::Project;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct ExecutionPage {
    pub items: Vec<ExecutionSummary>,
    /// Pass back as `?cursor=` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// A project's executions, newest first, paginated like `/projects`.
#[utoipa::path(
    get, path = "/projects/{id}/executions", tag = "executions", operation_id = "executions-list",
    security(("bearer" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "The project's id"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size, 20 by default"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of the project's executions, newest first", body = ExecutionPage),
        (status = 400, description = "A malformed id, `limit` out of range or a `cursor` this API did not issue"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such project of the caller's"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let project_id: Id<Project> = request::path_param(&req, "id")?;
    let cursor::PageRequest { limit, after } = cursor::page_request(&req)?;
    ctx.owned_project(owner, project_id).await?;
    let page = ctx.engine.executions.list_for_project(project_id, limit, after).await?;
    let items: Vec<ExecutionSummary> = page.items.into_iter().map(ExecutionSummary::from).collect();
    response::ok(&ExecutionPage {
        items,
        next_cursor: page.next.map(|id| cursor::encode(&id)),
    })
}
