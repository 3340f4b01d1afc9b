use forgeflow_api::{ApiContext, ApiResult, Request, cursor, response};
use forgeflow_domain::agent::Agent;
use forgeflow_domain::catalog;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct AgentList {
    pub items: Vec<Agent>,
    /// Pass back as `?cursor=` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// The built-in agents, then the caller's own.
#[utoipa::path(
    get, path = "/agents", tag = "agents", operation_id = "agents-list",
    security(("bearer" = [])),
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "How many of the caller's own, 20 by default"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "The built-in agents (first page only), then a page of the caller's own, oldest first", body = AgentList),
        (status = 400, description = "`limit` out of range or a `cursor` this API did not issue"),
        (status = 401, description = "Missing, expired or invalid token"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let cursor::PageRequest { limit, after } = cursor::page_request::<String>(&req)?;
    let page = ctx.agents.page(owner, limit, after.as_deref()).await?;
    let builtins = if after.is_none() {
        catalog::builtin_agents()
    } else {
        Vec::new()
    };
    let (items, next) = crate::listing(builtins, page, |entry| entry.id.as_str());
    response::ok(&AgentList {
        items,
        next_cursor: next.map(|id| cursor::encode(&id)),
    })
}
