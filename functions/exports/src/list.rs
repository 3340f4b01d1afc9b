use forgeflow_api::{ApiContext, ApiResult, Request, cursor, request, response};
use forgeflow_domain::Id;
use forgeflow_domain::project::Project;
use serde::Serialize;
use utoipa::ToSchema;

use crate::view::{ExportView, view};

#[derive(Serialize, ToSchema)]
pub struct ExportPage {
    pub items: Vec<ExportView>,
    /// Pass back as `?cursor=` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// A project's exports, newest first.
#[utoipa::path(
    get, path = "/projects/{id}/exports", tag = "exports", operation_id = "exports-list",
    security(("bearer" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "The project's id"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size, 20 by default"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of the project's exports, newest first", body = ExportPage),
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
    let page = ctx.exports.list_for_project(project_id, limit, after).await?;
    let mut items = Vec::with_capacity(page.items.len());
    for export in &page.items {
        items.push(view(ctx, export).await?);
    }
    // An export's result can list thousands of merge conflicts.
    let (items, next) = cursor::fit_page(items, page.next, |item| item.id);
    response::ok(&ExportPage {
        items,
        next_cursor: next.map(|id| cursor::encode(&id)),
    })
}
