//! `/credentials/{provider}`: a user's GitHub or GitLab token. Write-only: it is stored
//! encrypted (KMS), and these endpoints only ever say whether one is set.

use chrono::Utc;
use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, request, response};
use forgeflow_domain::credential::{Forge, PutCredential, Token};
use forgeflow_store::StoreError;
use serde_json::json;

fn forge(req: &Request) -> Result<Forge, ApiError> {
    request::path_param(req, "provider")
}

/// Sets (or replaces) the token. The answer, like every log line, leaves it out.
pub async fn put(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens.authenticate(&req)?;
    let forge = forge(&req)?;
    let input: PutCredential = request::json_body(&req)?;
    let token = Token::parse(input.token)?;
    let now = Utc::now();
    ctx.credentials.put(owner, forge, &token, now).await?;
    tracing::info!(forge = forge.as_str(), "credential stored");
    response::ok(&json!({"provider": forge, "set": true, "updated_at": now}))
}

pub async fn get(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens.authenticate(&req)?;
    let forge = forge(&req)?;
    let updated_at = ctx.credentials.updated_at(owner, forge).await?;
    response::ok(&json!({"provider": forge, "set": updated_at.is_some(), "updated_at": updated_at}))
}

pub async fn delete(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens.authenticate(&req)?;
    let forge = forge(&req)?;
    ctx.credentials.delete(owner, forge).await.map_err(|err| match err {
        StoreError::NotFound => ApiError::NotFound("credential"),
        other => other.into(),
    })?;
    response::no_content()
}
