use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, cursor, request, response};
use forgeflow_domain::Id;
use forgeflow_domain::project::Project;
use serde_json::json;

/// A project's generations, newest first.
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens.authenticate(&req)?;
    let project_id: Id<Project> = request::path_param(&req, "id")?;
    let cursor::PageRequest { limit, after } = cursor::page_request(&req)?;
    ctx.projects
        .get(owner, project_id)
        .await?
        .ok_or(ApiError::NotFound("project"))?;
    let page = ctx.generations.list_for_project(project_id, limit, after).await?;
    response::ok(&json!({"items": page.items, "next_cursor": page.next.map(|id| cursor::encode(&id))}))
}
