//! Executions: a workflow run over a project. Start, read, list, cancel, retry, start a change
//! request, estimate a run, read the month's usage and set its budget — one Lambda each. The steps themselves run in the step-worker.

pub mod approval;
pub mod cancel;
pub mod change;
pub mod create;
pub mod estimate;
pub mod events;
pub mod get;
pub mod list;
pub mod retry;
pub mod usage;
pub mod view;

/// This crate's functions, by the names the manifests give them.
pub const FUNCTIONS: &[forgeflow_api::HttpFunction] = &[
    forgeflow_api::http_function!("executions-create", create::handler),
    forgeflow_api::http_function!("executions-list", list::handler),
    forgeflow_api::http_function!("executions-get", get::handler),
    forgeflow_api::http_function!("executions-events", events::handler),
    forgeflow_api::http_function!("executions-cancel", cancel::handler),
    forgeflow_api::http_function!("executions-retry", retry::handler),
    forgeflow_api::http_function!("changes-create", change::handler),
    forgeflow_api::http_function!("estimate-get", estimate::handler),
    forgeflow_api::http_function!("usage-get", usage::get),
    forgeflow_api::http_function!("budget-put", usage::put_budget),
    forgeflow_api::http_function!("executions-approve", approval::approve),
    forgeflow_api::http_function!("executions-reject", approval::reject),
];

use forgeflow_api::{ApiContext, ApiError, Request, request};
use forgeflow_domain::Id;
use forgeflow_domain::user::User;
use forgeflow_store::executions::Run;

/// The caller's execution named in the path; another user's is not found.
async fn load_owned(ctx: &ApiContext, owner: Id<User>, req: &Request) -> Result<Run, ApiError> {
    let id = request::path_param(req, "id")?;
    ctx.owned(owner, ctx.engine.executions.load(id).await?).await
}

/// The execution as stored after a move (cancel, retry, a decision on a gate), its end told to
/// its listeners when the move `finished` it.
async fn reloaded(
    ctx: &ApiContext,
    id: Id<forgeflow_domain::execution::Execution>,
    finished: bool,
) -> Result<view::ExecutionView, ApiError> {
    let (execution, runs) = ctx
        .engine
        .executions
        .load(id)
        .await?
        .ok_or(ApiError::NotFound("execution"))?;
    if finished {
        announce_finished(ctx, &execution).await;
    }
    Ok(view::ExecutionView::new(&execution, &runs))
}

/// Tells the run's listeners it ended (its status as stored).
async fn announce_finished(ctx: &ApiContext, execution: &forgeflow_domain::execution::Execution) {
    let finished = forgeflow_domain::progress::ProgressEvent::ExecutionFinished {
        execution_id: execution.id.as_uuid(),
        project_id: execution.project.as_uuid(),
        status: execution.status,
        error: None,
    };
    ctx.progress
        .publish(forgeflow_domain::progress::Topic::execution(execution.id), finished)
        .await;
}
