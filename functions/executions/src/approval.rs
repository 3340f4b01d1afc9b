//! The owner's decision on a gated step: approve it (as it is, or with their own edit of its
//! output, checked against the agent's contract), or reject it with feedback so it runs again.
//! The decision and the run's restart are one transaction, so a gate is passed once, by its
//! owner, and never by a retry, a resume or a redelivered message.

use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, request, response};
use forgeflow_domain::execution::{Execution, ExecutionStatus, StepStatus};
use forgeflow_domain::progress::{ProgressEvent, Topic};
use forgeflow_store::StoreError;
use forgeflow_store::engine::output_key;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::load_owned;
use crate::view::ExecutionView;

/// Body of `POST /executions/{id}/steps/{step}/approve` (optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Approve {
    /// Your version of the step's output: it must meet the agent's output contract, and the
    /// steps after it read it instead of the agent's.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub output: Option<Value>,
}

/// Body of `POST /executions/{id}/steps/{step}/reject`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reject {
    /// What is wrong: the step runs again with it in its prompt.
    #[schema(min_length = 1, max_length = 4000)]
    pub feedback: String,
}

/// Approves the step the run waits on, as it is or with your edit of its output; the run goes on.
#[utoipa::path(
    post, path = "/executions/{id}/steps/{step}/approve", tag = "executions", operation_id = "executions-approve",
    security(("bearer" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "The execution's id"),
        ("step" = String, Path, description = "The step awaiting approval"),
    ),
    request_body(content = Option<Approve>, description = "Optional: your edit of the step's output"),
    responses(
        (status = 200, description = "The execution, running again", body = ExecutionView),
        (status = 400, description = "Malformed body or id, or an edit that breaks the agent's contract (`output`)"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such execution of the caller's, or no such step (`step`)"),
        (status = 409, description = "The step is not awaiting approval (`not_awaiting_approval`)"),
        (status = 413, description = "Body over 256 KiB"),
        (status = 415, description = "Body is not JSON"),
    ),
)]
pub async fn approve(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let input: Approve = request::json_body_or_default(&req)?;
    let (execution, runs) = load_owned(ctx, owner, &req).await?;
    let step_id = awaiting_step(&execution, &runs, &req)?;
    let edited = input.output.is_some();
    if let Some(output) = &input.output {
        check_edit(&execution, &step_id, output)?;
        // The agent's own answer is kept beside the edit.
        let key = output_key(&execution, &step_id);
        let proposed: Value = ctx.engine.blobs.get_json(&key).await?;
        ctx.engine
            .blobs
            .put_json(&key.replace(".json", ".proposed.json"), &proposed)
            .await?;
        ctx.engine.blobs.put_json(&key, output).await?;
    }
    let finished = ctx
        .engine
        .approve(&execution, &step_id)
        .await
        .map_err(|err| decision_refused(err, &step_id))?;
    tracing::info!(execution_id = %execution.id, step = step_id, edited, "approved");
    let event = ProgressEvent::ApprovalGiven {
        step: step_id.clone(),
        edited,
    };
    ctx.progress.publish(Topic::execution(execution.id), event).await;
    response::ok(&crate::reloaded(ctx, execution.id, finished).await?)
}

/// Rejects the step the run waits on: it runs again with your feedback in its prompt (its
/// attempts and cost add up), and waits for you again.
#[utoipa::path(
    post, path = "/executions/{id}/steps/{step}/reject", tag = "executions", operation_id = "executions-reject",
    security(("bearer" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "The execution's id"),
        ("step" = String, Path, description = "The step awaiting approval"),
    ),
    request_body = Reject,
    responses(
        (status = 200, description = "The execution, running the step again", body = ExecutionView),
        (status = 400, description = "Malformed body or id, or no feedback (`feedback`)"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such execution of the caller's, or no such step (`step`)"),
        (status = 409, description = "The step is not awaiting approval (`not_awaiting_approval`)"),
        (status = 413, description = "Body over 256 KiB"),
        (status = 415, description = "Body is not JSON"),
    ),
)]
pub async fn reject(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let input: Reject = request::json_body(&req)?;
    let feedback = input.feedback.trim();
    if feedback.is_empty() || feedback.chars().count() > 4000 {
        return Err(ApiError::bad_request("feedback", "must be 1 to 4000 characters"));
    }
    let (execution, runs) = load_owned(ctx, owner, &req).await?;
    let step_id = awaiting_step(&execution, &runs, &req)?;
    ctx.engine
        .reject(&execution, &step_id, feedback)
        .await
        .map_err(|err| decision_refused(err, &step_id))?;
    tracing::info!(execution_id = %execution.id, step = step_id, "rejected");
    let event = ProgressEvent::ApprovalRejected {
        step: step_id.clone(),
        feedback: feedback.to_owned(),
    };
    ctx.progress.publish(Topic::execution(execution.id), event).await;
    response::ok(&crate::reloaded(ctx, execution.id, false).await?)
}

/// The `{step}` of the path, which must be the step the run waits on.
fn awaiting_step(
    execution: &Execution,
    runs: &std::collections::BTreeMap<String, forgeflow_domain::execution::StepRun>,
    req: &Request,
) -> Result<String, ApiError> {
    let step_id: String = request::path_param(req, "step")?;
    let Some(run) = runs.get(&step_id) else {
        return Err(ApiError::NotFound("step"));
    };
    if execution.status != ExecutionStatus::AwaitingApproval || run.status != StepStatus::AwaitingApproval {
        return Err(not_awaiting(&step_id));
    }
    Ok(step_id)
}

fn not_awaiting(step: &str) -> ApiError {
    ApiError::Conflict {
        code: "not_awaiting_approval",
        message: format!("step `{step}` is not awaiting approval"),
    }
}

fn decision_refused(err: StoreError, step: &str) -> ApiError {
    match err {
        StoreError::Conflict(_) => not_awaiting(step),
        other => other.into(),
    }
}

/// An edit must meet the contract the agent's answer met, or the steps after it could not read it.
fn check_edit(execution: &Execution, step_id: &str, output: &Value) -> Result<(), ApiError> {
    let agent = execution
        .workflow
        .step(step_id)
        .and_then(|step| execution.agent(&step.agent))
        .ok_or(ApiError::NotFound("step"))?;
    // The draft the step-worker checks answers with (forgeflow-agents' `Contract`, which API
    // functions do not link); contracts were checked at creation: only local references.
    let validator = jsonschema::draft202012::new(&agent.output_contract)
        .map_err(|err| ApiError::bad_request("output", format!("the agent's contract cannot be used: {err}")))?;
    if let Some(error) = validator.iter_errors(output).next() {
        return Err(ApiError::bad_request(
            "output",
            format!(
                "does not meet the agent's output contract at `{}`: {error}",
                error.instance_path()
            ),
        ));
    }
    Ok(())
}
