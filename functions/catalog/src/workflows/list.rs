use forgeflow_api::{ApiContext, ApiResult, Request, cursor, response};
use forgeflow_domain::workflow::{self, Workflow};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct WorkflowList {
    pub items: Vec<Workflow>,
    /// Pass back as `?cursor=` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The built-in workflows, then the caller's own.
#[utoipa::path(
    get, path = "/workflows", tag = "workflows", operation_id = "workflows-list",
    security(("bearer" = [])),
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "How many of the caller's own, 20 by default"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "The built-in workflows (first page only), then a page of the caller's own, oldest first", body = WorkflowList),
        (status = 400, description = "`limit` out of range or a `cursor` this API did not issue"),
        (status = 401, description = "Missing, expired or invalid token"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let cursor::PageRequest { limit, after } = cursor::page_request::<String>(&req)?;
    let page = ctx.workflows.page(owner, limit, after.as_deref()).await?;
    let builtins = if after.is_none() {
        workflow::builtin_workflows()
    } else {
        Vec::new()
    };
    let (items, next) = crate::listing(builtins, page, |entry| entry.id.as_str());
    response::ok(&WorkflowList {
        items,
        next_cursor: next.map(|id| cursor::encode(&id)),
    })
}
