use forgeflow_api::{ApiContext, ApiResult, Request, response};
use forgeflow_domain::workflow;
use serde_json::json;

pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens.authenticate(&req)?;
    let mut workflows = workflow::builtin_workflows();
    workflows.extend(ctx.workflows.list(owner).await?);
    response::ok(&json!({ "items": workflows }))
}
