use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, request, response};

use super::find_workflow;

pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens.authenticate(&req)?;
    let id: String = request::path_param(&req, "id")?;
    let workflow = find_workflow(ctx, owner, &id)
        .await?
        .ok_or(ApiError::NotFound("workflow"))?;
    response::ok(&workflow)
}
