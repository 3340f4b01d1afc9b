use std::collections::BTreeSet;

use forgeflow_api::{ApiContext, ApiResult, Request, request, response};
use forgeflow_domain::catalog;
use forgeflow_domain::workflow::CreateWorkflow;

/// A user's workflow: its steps must form a DAG over agents the user can use.
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens.authenticate(&req)?;
    let input: CreateWorkflow = request::json_body(&req)?;
    let mut known: BTreeSet<String> = catalog::builtin_agents().into_iter().map(|agent| agent.id).collect();
    known.extend(ctx.agents.list(owner).await?.into_iter().map(|agent| agent.id));
    let workflow = input.into_workflow(owner, |agent| known.contains(agent))?;
    ctx.workflows.create(owner, &workflow.id, &workflow).await?;
    response::created(&workflow)
}
