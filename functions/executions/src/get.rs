use forgeflow_api::{ApiContext, ApiResult, Request, response};

use forgeflow_domain::execution::StepStatus;
use forgeflow_store::engine::output_key;

use crate::load_owned;
use crate::view::ExecutionView;

/// Status, and per step: status, attempts, deliveries, timings, tokens and cost. A step awaiting
/// approval carries its output: what to review, edit, approve or reject.
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
    let mut view = ExecutionView::new(&execution, &runs);
    for step in view
        .steps
        .iter_mut()
        .filter(|step| step.status == StepStatus::AwaitingApproval)
    {
        step.output = Some(ctx.engine.blobs.get_json(&output_key(&execution, &step.id)).await?);
    }
    response::ok(&view)
}
