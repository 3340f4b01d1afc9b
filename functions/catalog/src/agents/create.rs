use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, request, response};
use forgeflow_domain::agent::CreateAgent;

/// A user's own agent. A custom one's output contract must itself be a valid JSON Schema, or no
/// step could ever satisfy it.
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens.authenticate(&req)?;
    let input: CreateAgent = request::json_body(&req)?;
    let agent = input.into_agent(owner)?;
    if let Err(err) = jsonschema::meta::validate(&agent.output_contract) {
        return Err(ApiError::bad_request(
            "output_contract",
            format!("is not a valid JSON Schema: {err}"),
        ));
    }
    ctx.agents.create(owner, &agent.id, &agent).await?;
    response::created(&agent)
}
