use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, request, response};
use forgeflow_domain::agent::{Agent, CreateAgent};

/// A user's own agent. A custom one's output contract must itself be a valid JSON Schema, or no
/// step could ever satisfy it.
#[utoipa::path(
    post, path = "/agents", tag = "agents", operation_id = "agents-create",
    security(("bearer" = [])),
    request_body = CreateAgent,
    responses(
        (status = 201, description = "The new agent", body = Agent),
        (status = 400, description = "Malformed body, a bad text field, or a contract that is no JSON Schema"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 413, description = "Body over 256 KiB"),
        (status = 415, description = "Body is not JSON"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
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
