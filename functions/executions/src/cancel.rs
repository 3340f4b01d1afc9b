use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, response};
use forgeflow_store::StoreError;

use crate::load_owned;
use crate::view::ExecutionView;

/// Stops an execution: waiting steps are cancelled, running ones finish but start nothing.
#[utoipa::path(
    post, path = "/executions/{id}/cancel", tag = "executions", operation_id = "executions-cancel",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The execution's id")),
    responses(
        (status = 200, description = "The execution, cancelled", body = ExecutionView),
        (status = 400, description = "The id is not a lower-case UUID"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such execution of the caller's"),
        (status = 409, description = "The execution has already finished (`execution_finished`)"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let (execution, runs) = load_owned(ctx, owner, &req).await?;
    let finished = || ApiError::Conflict {
        code: "execution_finished",
        message: format!("the execution has already {}", execution.status.as_str()),
    };
    if execution.status.is_finished() {
        return Err(finished());
    }
    ctx.engine.cancel(&execution, &runs).await.map_err(|err| match err {
        StoreError::Conflict(_) => finished(),
        other => other.into(),
    })?;
    response::ok(&crate::reloaded(ctx, execution.id, true).await?)
}
