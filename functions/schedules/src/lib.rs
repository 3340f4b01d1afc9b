//! `/projects/{id}/export-schedule`: when a project is exported on its own (cron or rate, in a
//! time zone) and where to. The export-scheduler runs them.

use chrono::Utc;
use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, request, response};
use forgeflow_domain::Id;
use forgeflow_domain::export_schedule::PutSchedule;
use forgeflow_domain::project::Project;
use forgeflow_domain::user::User;
use forgeflow_store::StoreError;

async fn project(ctx: &ApiContext, req: &Request) -> Result<(Id<User>, Id<Project>), ApiError> {
    let owner = ctx.tokens.authenticate(req)?;
    let project_id = request::path_param(req, "id")?;
    ctx.projects
        .get(owner, project_id)
        .await?
        .ok_or(ApiError::NotFound("project"))?;
    Ok((owner, project_id))
}

/// Sets or replaces the schedule; a bad expression, zone or target is a 400 naming it.
pub async fn put(ctx: &ApiContext, req: Request) -> ApiResult {
    let (owner, project_id) = project(ctx, &req).await?;
    let input: PutSchedule = request::json_body(&req)?;
    let existing = ctx.schedules.get(owner, project_id).await?;
    let schedule = input.into_schedule(project_id, owner, existing.as_ref(), Utc::now())?;
    ctx.schedules.put(&schedule).await?;
    response::ok(&schedule)
}

pub async fn get(ctx: &ApiContext, req: Request) -> ApiResult {
    let (owner, project_id) = project(ctx, &req).await?;
    let schedule = ctx
        .schedules
        .get(owner, project_id)
        .await?
        .ok_or(ApiError::NotFound("export schedule"))?;
    response::ok(&schedule)
}

pub async fn delete(ctx: &ApiContext, req: Request) -> ApiResult {
    let (owner, project_id) = project(ctx, &req).await?;
    ctx.schedules.delete(owner, project_id).await.map_err(|err| match err {
        StoreError::NotFound => ApiError::NotFound("export schedule"),
        other => other.into(),
    })?;
    response::no_content()
}
