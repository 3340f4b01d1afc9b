use std::collections::BTreeSet;

use forgeflow_api::{ApiContext, ApiResult, Request, request, response};
use forgeflow_domain::catalog;
use forgeflow_domain::workflow::{CreateWorkflow, Workflow};

/// A user's workflow: its steps must form a DAG over agents the user can use.
#[utoipa::path(
    post, path = "/workflows", tag = "workflows", operation_id = "workflows-create",
    security(("bearer" = [])),
    request_body = CreateWorkflow,
    responses(
        (status = 201, description = "The new workflow", body = Workflow),
        (status = 400, description = "Malformed body; a cycle, unknown agent, duplicate or missing step (named)"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 413, description = "Body over 256 KiB"),
        (status = 415, description = "Body is not JSON"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let input: CreateWorkflow = request::json_body(&req)?;
    // Only the agents the steps name are looked up, however many the caller owns.
    let mut known: BTreeSet<String> = catalog::builtin_agents().into_iter().map(|agent| agent.id).collect();
    let named: BTreeSet<&str> = input.steps.iter().map(|step| step.agent.as_str()).collect();
    // Agent ids are UUIDs; a longer name cannot be one (and is no valid key to look up).
    let unknown: Vec<&str> = named
        .into_iter()
        .filter(|id| !known.contains(*id) && id.len() <= 64)
        .collect();
    for id in unknown {
        if ctx.agents.get(owner, id).await?.is_some() {
            known.insert(id.to_owned());
        }
    }
    let workflow = input.into_workflow(owner, |agent| known.contains(agent))?;
    ctx.workflows.create(owner, &workflow.id, &workflow).await?;
    response::created(&workflow)
}
