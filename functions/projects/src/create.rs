use chrono::Utc;
use forgeflow_api::{ApiContext, ApiResult, Request, request, response};
use forgeflow_domain::project::{CreateProject, Project};

/// Creates a project owned by the caller, at version 1.
#[utoipa::path(
    post, path = "/projects", tag = "projects", operation_id = "projects-create",
    security(("bearer" = [])),
    request_body = CreateProject,
    responses(
        (status = 201, description = "The new project", body = Project),
        (status = 400, description = "Malformed body; empty, oversize or control characters in name or brief"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 413, description = "Body over 256 KiB"),
        (status = 415, description = "Body is not JSON"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let input: CreateProject = request::json_body(&req)?;
    let project = input.into_project(owner, Utc::now())?;
    ctx.projects.create(&project).await?;
    tracing::info!(project_id = %project.id, "project created");
    response::created(&project)
}
