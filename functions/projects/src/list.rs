use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, cursor, request, response};
use forgeflow_domain::project::Project;
use serde::Serialize;

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;

#[derive(Serialize)]
struct ProjectPage {
    items: Vec<Project>,
    next_cursor: Option<String>,
}

/// The caller's projects, newest first, `limit` at a time; `next_cursor` continues the listing.
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens.authenticate(&req)?;
    let limit = request::query_param::<usize>(&req, "limit")?.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let after = request::query_param::<String>(&req, "cursor")?
        .map(|raw| cursor::decode(&raw))
        .transpose()?;
    let page = ctx.projects.list(owner, limit, after).await?;
    response::ok(&ProjectPage {
        items: page.items,
        next_cursor: page.next.map(|id| cursor::encode(&id)),
    })
}
