use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, request, response};
use forgeflow_domain::budget::Budget;
use forgeflow_domain::execution::ExecutionStatus;
use forgeflow_store::StoreError;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::load_owned;
use crate::view::ExecutionView;

/// Body of `POST /executions/{id}/retry` (optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryExecution {
    /// A new budget for the run (to go on after `budget_exceeded`): replaces the old one.
    #[serde(default)]
    pub budget: Option<Budget>,
}

/// Reruns the failed and cancelled steps of a stopped execution (failed, cancelled, or stopped by
/// its budget); finished steps are kept, never paid for twice.
#[utoipa::path(
    post, path = "/executions/{id}/retry", tag = "executions", operation_id = "executions-retry",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The execution's id")),
    request_body(content = Option<RetryExecution>, description = "Optional: a raised budget"),
    responses(
        (status = 202, description = "The execution, running again", body = ExecutionView),
        (status = 400, description = "Malformed body or id, or a budget out of range (`budget.max_cost_usd`, `budget.max_tokens`)"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such execution of the caller's"),
        (status = 409, description = "Only failed, cancelled or budget-stopped executions can be retried (`not_retryable`)"),
        (status = 413, description = "Body over 256 KiB"),
        (status = 415, description = "Body is not JSON"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let input: RetryExecution = request::json_body_or_default(&req)?;
    if let Some(budget) = &input.budget {
        budget.validate("budget")?;
    }
    let (mut execution, runs) = load_owned(ctx, owner, &req).await?;
    let not_retryable = || ApiError::Conflict {
        code: "not_retryable",
        message: format!(
            "only failed, cancelled or budget-stopped executions can be retried; this one is {}",
            execution.status.as_str()
        ),
    };
    if !ExecutionStatus::RETRYABLE.contains(&execution.status) {
        return Err(not_retryable());
    }
    if let Some(budget) = input.budget {
        ctx.engine
            .executions
            .set_budget(execution.id, &budget, &ExecutionStatus::RETRYABLE)
            .await
            .map_err(|err| match err {
                StoreError::Conflict(_) => not_retryable(),
                other => other.into(),
            })?;
        execution.budget = budget;
    }
    let completed = ctx.engine.retry(&execution, &runs).await.map_err(|err| match err {
        StoreError::Conflict(_) => not_retryable(),
        other => other.into(),
    })?;
    response::accepted(&crate::reloaded(ctx, execution.id, completed).await?)
}
