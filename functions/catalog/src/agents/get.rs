use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, request, response};

use forgeflow_domain::agent::Agent;

use crate::find_agent;

/// A built-in agent by slug (`product-manager`) or one of the caller's own by id.
#[utoipa::path(
    get, path = "/agents/{id}", tag = "agents", operation_id = "agents-get",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "A built-in agent's slug or the UUID of one of the caller's")),
    responses(
        (status = 200, description = "The agent", body = Agent),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such agent"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let id: String = request::path_param(&req, "id")?;
    let agent = find_agent(ctx, owner, &id).await?.ok_or(ApiError::NotFound("agent"))?;
    response::ok(&agent)
}
