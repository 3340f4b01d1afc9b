use forgeflow_api::{ApiContext, ApiResult, Request, response};

use crate::{NOT_FOUND, project_id};

pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens.authenticate(&req)?;
    let id = project_id(&req)?;
    let project = ctx.projects.get(owner, id).await?.ok_or(NOT_FOUND)?;
    response::ok(&project)
}
