use chrono::Utc;
use forgeflow_api::{ApiContext, ApiResult, Request, request, response};
use forgeflow_domain::project::CreateProject;

pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens.authenticate(&req)?;
    let input: CreateProject = request::json_body(&req)?;
    let project = input.into_project(owner, Utc::now())?;
    ctx.projects.create(&project).await?;
    tracing::info!(project_id = %project.id, "project created");
    response::created(&project)
}
