//! A project's hooks as their owner sees them later: listed without their secrets (shown only on
//! creation and rotation), and removed.

use chrono::{DateTime, Utc};
use forgeflow_api::{ApiContext, ApiResult, Request, request, response};
use forgeflow_domain::Id;
use forgeflow_domain::export::ExportTarget;
use forgeflow_domain::hook::Hook;
use forgeflow_domain::project::Project;
use serde::Serialize;
use utoipa::ToSchema;

/// A hook without its secret.
#[derive(Serialize, ToSchema)]
pub struct HookView {
    #[schema(value_type = uuid::Uuid)]
    pub id: Id<Hook>,
    #[schema(value_type = uuid::Uuid)]
    pub project_id: Id<Project>,
    pub target: ExportTarget,
    /// `/hooks/{id}`, relative to the API's base URL.
    pub url: String,
    pub created_at: DateTime<Utc>,
    /// When the secret last changed.
    pub rotated_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct HookList {
    pub items: Vec<HookView>,
}

impl From<Hook> for HookView {
    fn from(hook: Hook) -> Self {
        Self {
            url: format!("/hooks/{}", hook.id),
            id: hook.id,
            project_id: hook.project_id,
            target: hook.target,
            created_at: hook.created_at,
            rotated_at: hook.rotated_at,
        }
    }
}

/// The project's hooks, oldest first, without their secrets.
#[utoipa::path(
    get, path = "/projects/{id}/hooks", tag = "hooks", operation_id = "hooks-list",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The project's id")),
    responses(
        (status = 200, description = "The project's hooks (never their secrets)", body = HookList),
        (status = 400, description = "The id is not a lower-case UUID"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such project of the caller's"),
    ),
)]
pub async fn list(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let project_id: Id<Project> = request::path_param(&req, "id")?;
    ctx.owned_project(owner, project_id).await?;
    let mut hooks = ctx.hooks.for_project(project_id).await?;
    hooks.sort_by_key(|hook| hook.created_at);
    response::ok(&HookList {
        items: hooks.into_iter().map(HookView::from).collect(),
    })
}

/// Removes the hook: its URL refuses every call from now on.
#[utoipa::path(
    delete, path = "/hooks/{id}", tag = "hooks", operation_id = "hooks-delete",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The hook's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "The id is not a lower-case UUID"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such hook of the caller's"),
    ),
)]
pub async fn delete(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let hook = crate::owned_hook(ctx, owner, request::path_param(&req, "id")?).await?;
    ctx.hooks.delete(hook.id).await?;
    response::no_content()
}
