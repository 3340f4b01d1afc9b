use forgeflow_api::{ApiContext, ApiResult, Request, response};
use forgeflow_domain::agent::Agent;
use forgeflow_domain::catalog;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct AgentList {
    pub items: Vec<Agent>,
}

/// The built-in agents, then the caller's own.
#[utoipa::path(
    get, path = "/agents", tag = "agents", operation_id = "agents-list",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The built-in agents, then the caller's own", body = AgentList),
        (status = 401, description = "Missing, expired or invalid token"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let mut items = catalog::builtin_agents();
    items.extend(ctx.agents.list(owner).await?);
    response::ok(&AgentList { items })
}
