use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, response};
use forgeflow_domain::execution::ExecutionStatus;
use forgeflow_store::StoreError;

use crate::load_owned;
use crate::view::ExecutionView;

/// Reruns the failed and cancelled steps of a stopped execution; finished steps are kept.
#[utoipa::path(
    post, path = "/executions/{id}/retry", tag = "executions", operation_id = "executions-retry",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The execution's id")),
    responses(
        (status = 202, description = "The execution, running again", body = ExecutionView),
        (status = 400, description = "The id is not a lower-case UUID"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such execution of the caller's"),
        (status = 409, description = "Only failed or cancelled executions can be retried (`not_retryable`)"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let (execution, runs) = load_owned(ctx, owner, &req).await?;
    let not_retryable = || ApiError::Conflict {
        code: "not_retryable",
        message: format!(
            "only failed or cancelled executions can be retried; this one is {}",
            execution.status.as_str()
        ),
    };
    if !matches!(execution.status, ExecutionStatus::Failed | ExecutionStatus::Cancelled) {
        return Err(not_retryable());
    }
    let completed = ctx.engine.retry(&execution, &runs).await.map_err(|err| match err {
        StoreError::Conflict(_) => not_retryable(),
        other => other.into(),
    })?;
    let (execution, runs) = ctx
        .engine
        .executions
        .load(execution.id)
        .await?
        .ok_or(ApiError::NotFound("execution"))?;
    if completed {
        crate::announce_finished(ctx, &execution).await;
    }
    response::accepted(&ExecutionView::new(&execution, &runs))
}
