//! `/credentials/{provider}`: a user's GitHub or GitLab token. Write-only: it is stored
//! encrypted (KMS), and these endpoints only ever say whether one is set.

use chrono::Utc;
use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, request, response};
use forgeflow_domain::credential::{Forge, PutCredential, Token};
use forgeflow_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// This crate's functions, by the names the manifests give them.
pub const FUNCTIONS: &[forgeflow_api::HttpFunction] = &[
    forgeflow_api::http_function!("credentials-put", put),
    forgeflow_api::http_function!("credentials-get", get),
    forgeflow_api::http_function!("credentials-delete", delete),
];

/// Whether the caller has a token for a forge; the token itself is never returned.
#[derive(Serialize, ToSchema)]
pub struct CredentialStatus {
    pub provider: Forge,
    pub set: bool,
    /// When the token was stored (RFC 3339); null when none is set.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<String>,
}

fn forge(req: &Request) -> Result<Forge, ApiError> {
    request::path_param(req, "provider")
}

/// Sets (or replaces) the token. The answer, like every log line, leaves it out.
#[utoipa::path(
    put, path = "/credentials/{provider}", tag = "credentials", operation_id = "credentials-put",
    security(("bearer" = [])),
    params(("provider" = Forge, Path, description = "`github` or `gitlab`")),
    request_body = PutCredential,
    responses(
        (status = 200, description = "Stored, encrypted", body = CredentialStatus),
        (status = 400, description = "Malformed body, an unknown provider, or an empty, spaced or oversize token"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 413, description = "Body over 256 KiB"),
        (status = 415, description = "Body is not JSON"),
    ),
)]
pub async fn put(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let forge = forge(&req)?;
    let input: PutCredential = request::json_body(&req)?;
    let token = Token::parse(input.token)?;
    let now = Utc::now();
    ctx.credentials.put(owner, forge, &token, now).await?;
    tracing::info!(forge = forge.as_str(), "credential stored");
    response::ok(&CredentialStatus {
        provider: forge,
        set: true,
        updated_at: Some(now.to_rfc3339()),
    })
}

/// Whether a token is set for the forge.
#[utoipa::path(
    get, path = "/credentials/{provider}", tag = "credentials", operation_id = "credentials-get",
    security(("bearer" = [])),
    params(("provider" = Forge, Path, description = "`github` or `gitlab`")),
    responses(
        (status = 200, description = "Whether a token is set", body = CredentialStatus),
        (status = 400, description = "An unknown provider"),
        (status = 401, description = "Missing, expired or invalid token"),
    ),
)]
pub async fn get(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let forge = forge(&req)?;
    let updated_at = ctx.credentials.updated_at(owner, forge).await?;
    response::ok(&CredentialStatus {
        provider: forge,
        set: updated_at.is_some(),
        updated_at,
    })
}

/// Removes the forge's token.
#[utoipa::path(
    delete, path = "/credentials/{provider}", tag = "credentials", operation_id = "credentials-delete",
    security(("bearer" = [])),
    params(("provider" = Forge, Path, description = "`github` or `gitlab`")),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "An unknown provider"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No token is set for this forge"),
    ),
)]
pub async fn delete(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let forge = forge(&req)?;
    ctx.credentials.delete(owner, forge).await.map_err(|err| match err {
        StoreError::NotFound => ApiError::NotFound("credential"),
        other => other.into(),
    })?;
    response::no_content()
}
