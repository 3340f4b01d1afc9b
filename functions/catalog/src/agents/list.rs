use forgeflow_api::{ApiContext, ApiResult, Request, response};
use forgeflow_domain::catalog;
use serde_json::json;

/// The built-in agents, then the caller's own.
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens.authenticate(&req)?;
    let mut agents = catalog::builtin_agents();
    agents.extend(ctx.agents.list(owner).await?);
    response::ok(&json!({ "items": agents }))
}
