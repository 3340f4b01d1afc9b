//! `/projects/{id}/export-schedule`: when a project is exported on its own (cron or rate, in a
//! time zone) and where to. The export-scheduler runs them.

use chrono::Utc;
use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, request, response};
use forgeflow_domain::Id;
use forgeflow_domain::export_schedule::{ExportSchedule, PutSchedule};
use forgeflow_domain::project::Project;
use forgeflow_domain::user::User;
use forgeflow_store::StoreError;

/// This crate's functions, by the names the manifests give them.
pub const FUNCTIONS: &[forgeflow_api::HttpFunction] = &[
    forgeflow_api::http_function!("schedules-put", put),
    forgeflow_api::http_function!("schedules-get", get),
    forgeflow_api::http_function!("schedules-delete", delete),
];

async fn project(ctx: &ApiContext, req: &Request) -> Result<(Id<User>, Id<Project>), ApiError> {
    let owner = ctx.tokens().await?.authenticate(req)?;
    let project_id = request::path_param(req, "id")?;
    ctx.owned_project(owner, project_id).await?;
    Ok((owner, project_id))
}

/// Sets or replaces the schedule; a bad expression, zone or target is a 400 naming it.
#[utoipa::path(
    put, path = "/projects/{id}/export-schedule", tag = "schedules", operation_id = "schedules-put",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The project's id")),
    request_body = PutSchedule,
    responses(
        (status = 200, description = "The schedule with its next run", body = ExportSchedule),
        (status = 400, description = "Malformed body or id; a bad expression, time zone or target (named)"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such project of the caller's"),
        (status = 413, description = "Body over 256 KiB"),
        (status = 415, description = "Body is not JSON"),
    ),
)]
pub async fn put(ctx: &ApiContext, req: Request) -> ApiResult {
    let (owner, project_id) = project(ctx, &req).await?;
    let input: PutSchedule = request::json_body(&req)?;
    let existing = ctx.schedules.get(owner, project_id).await?;
    let schedule = input.into_schedule(project_id, owner, existing.as_ref(), Utc::now())?;
    ctx.schedules.put(&schedule).await?;
    response::ok(&schedule)
}

/// The project's export schedule and its next run.
#[utoipa::path(
    get, path = "/projects/{id}/export-schedule", tag = "schedules", operation_id = "schedules-get",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The project's id")),
    responses(
        (status = 200, description = "The schedule", body = ExportSchedule),
        (status = 400, description = "The id is not a lower-case UUID"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such project of the caller's, or it has no schedule"),
    ),
)]
pub async fn get(ctx: &ApiContext, req: Request) -> ApiResult {
    let (owner, project_id) = project(ctx, &req).await?;
    let schedule = ctx
        .schedules
        .get(owner, project_id)
        .await?
        .ok_or(ApiError::NotFound("export schedule"))?;
    response::ok(&schedule)
}

/// Removes the project's export schedule.
#[utoipa::path(
    delete, path = "/projects/{id}/export-schedule", tag = "schedules", operation_id = "schedules-delete",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The project's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "The id is not a lower-case UUID"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such project of the caller's, or it has no schedule"),
    ),
)]
pub async fn delete(ctx: &ApiContext, req: Request) -> ApiResult {
    let (owner, project_id) = project(ctx, &req).await?;
    ctx.schedules.delete(owner, project_id).await.map_err(|err| match err {
        StoreError::NotFound => ApiError::NotFound("export schedule"),
        other => other.into(),
    })?;
    response::no_content()
}
