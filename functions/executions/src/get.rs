use forgeflow_api::{ApiContext, ApiResult, Request, response};

use crate::load_owned;
use crate::view::ExecutionView;

/// Status, and per step: status, attempts, deliveries, timings, tokens and cost.
#[utoipa::path(
    get, path = "/executions/{id}", tag = "executions", operation_id = "executions-get",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The execution's id")),
    responses(
        (status = 200, description = "The execution", body = ExecutionView),
        (status = 400, description = "The id is not a lower-case UUID"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such execution of the caller's"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let (execution, runs) = load_owned(ctx, owner, &req).await?;
    response::ok(&ExecutionView::new(&execution, &runs))
}
