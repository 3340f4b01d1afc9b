use forgeflow_api::{ApiContext, ApiResult, Request, cursor, response};
use forgeflow_domain::project::Project;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct ProjectPage {
    pub items: Vec<Project>,
    /// Pass back as `?cursor=` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The caller's projects, newest first, `limit` at a time; `next_cursor` continues the listing.
#[utoipa::path(
    get, path = "/projects", tag = "projects", operation_id = "projects-list",
    security(("bearer" = [])),
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size, 20 by default"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of the caller's projects, newest first", body = ProjectPage),
        (status = 400, description = "`limit` out of range or a `cursor` this API did not issue"),
        (status = 401, description = "Missing, expired or invalid token"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let cursor::PageRequest { limit, after } = cursor::page_request(&req)?;
    let page = ctx.projects.list(owner, limit, after).await?;
    response::ok(&ProjectPage {
        items: page.items,
        next_cursor: page.next.map(|id| cursor::encode(&id)),
    })
}
