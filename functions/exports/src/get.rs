use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, request, response};

use crate::view::view;

/// Status, phase and result: a download URL, or the repository URL, branch and commit.
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens.authenticate(&req)?;
    let id = request::path_param(&req, "id")?;
    let export = match ctx.exports.get(id).await? {
        Some(export) if export.owner == owner => export,
        _ => return Err(ApiError::NotFound("export")),
    };
    response::ok(&view(ctx, &export).await?)
}
