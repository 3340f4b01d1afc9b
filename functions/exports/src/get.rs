use forgeflow_api::{ApiContext, ApiResult, Request, request, response};

use crate::view::{ExportView, view};

/// Status, phase and result: a download URL, or the repository URL, branch and commit.
#[utoipa::path(
    get, path = "/exports/{id}", tag = "exports", operation_id = "exports-get",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The export's id")),
    responses(
        (status = 200, description = "The export", body = ExportView),
        (status = 400, description = "The id is not a lower-case UUID"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such export of the caller's"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let id = request::path_param(&req, "id")?;
    let export = ctx.owned(owner, ctx.exports.get(id).await?).await?;
    response::ok(&view(ctx, &export).await?)
}
