use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, request, response};

use crate::find_agent;

pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens.authenticate(&req)?;
    let id: String = request::path_param(&req, "id")?;
    let agent = find_agent(ctx, owner, &id).await?.ok_or(ApiError::NotFound("agent"))?;
    response::ok(&agent)
}
