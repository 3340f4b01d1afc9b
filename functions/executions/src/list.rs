use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, cursor, request, response};
use forgeflow_domain::Id;
use forgeflow_domain::project::Project;
use serde_json::json;

/// A project's executions, newest first, paginated like `/projects`.
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens.authenticate(&req)?;
    let project_id: Id<Project> = request::path_param(&req, "id")?;
    let cursor::PageRequest { limit, after } = cursor::page_request(&req)?;
    ctx.projects
        .get(owner, project_id)
        .await?
        .ok_or(ApiError::NotFound("project"))?;
    let page = ctx.engine.executions.list_for_project(project_id, limit, after).await?;
    let items: Vec<_> = page
        .items
        .iter()
        .map(|execution| {
            json!({
                "id": execution.id,
                "workflow": {"id": execution.workflow.id, "name": execution.workflow.name},
                "status": execution.status,
                "error": execution.error,
                "created_at": execution.created_at,
                "finished_at": execution.finished_at,
            })
        })
        .collect();
    response::ok(&json!({"items": items, "next_cursor": page.next.map(|id| cursor::encode(&id))}))
}
