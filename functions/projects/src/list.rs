use forgeflow_api::{ApiContext, ApiResult, Request, cursor, response};
use forgeflow_domain::project::Project;
use serde::Serialize;

#[derive(Serialize)]
struct ProjectPage {
    items: Vec<Project>,
    next_cursor: Option<String>,
}

/// The caller's projects, newest first, `limit` at a time; `next_cursor` continues the listing.
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens.authenticate(&req)?;
    let cursor::PageRequest { limit, after } = cursor::page_request(&req)?;
    let page = ctx.projects.list(owner, limit, after).await?;
    response::ok(&ProjectPage {
        items: page.items,
        next_cursor: page.next.map(|id| cursor::encode(&id)),
    })
}
