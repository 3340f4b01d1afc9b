//! `/credentials/{provider}`: a user's GitHub or GitLab token, or their own OpenAI-compatible or
//! Anthropic key with its base URL and allowed models. The secret is write-only: it is stored
//! encrypted (KMS), and these endpoints only ever say whether one is set, and its settings.

use chrono::Utc;
use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, request, response};
use forgeflow_domain::credential::{CredentialSettings, Provider, PutCredential};
use forgeflow_store::StoreError;
use forgeflow_store::credentials::StoredCredential;
use serde::Serialize;
use utoipa::ToSchema;

/// This crate's functions, by the names the manifests give them.
pub const FUNCTIONS: &[forgeflow_api::HttpFunction] = &[
    forgeflow_api::http_function!("credentials-put", put),
    forgeflow_api::http_function!("credentials-get", get),
    forgeflow_api::http_function!("credentials-delete", delete),
];

/// Whether the caller has a credential for a provider, and its settings; the secret itself is
/// never returned.
#[derive(Serialize, ToSchema)]
pub struct CredentialStatus {
    pub provider: Provider,
    pub set: bool,
    /// When the token was stored (RFC 3339); null when none is set.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<String>,
    #[serde(flatten)]
    pub settings: CredentialSettings,
}

impl CredentialStatus {
    fn of(provider: Provider, stored: Option<StoredCredential>) -> Self {
        let (updated_at, settings) = match stored {
            Some(stored) => (Some(stored.updated_at), stored.settings),
            None => (None, CredentialSettings::default()),
        };
        Self {
            provider,
            set: updated_at.is_some(),
            updated_at,
            settings,
        }
    }
}

fn provider(req: &Request) -> Result<Provider, ApiError> {
    request::path_param(req, "provider")
}

const PROVIDERS: &str = "`github`, `gitlab`, `openai` or `anthropic`";

/// Sets (or replaces) the token or key. The answer, like every log line, leaves it out.
#[utoipa::path(
    put, path = "/credentials/{provider}", tag = "credentials", operation_id = "credentials-put",
    security(("bearer" = [])),
    params(("provider" = Provider, Path, description = PROVIDERS)),
    request_body = PutCredential,
    responses(
        (status = 200, description = "Stored, encrypted", body = CredentialStatus),
        (status = 400, description = "Malformed body, an unknown provider, an empty, spaced or oversize token, a base URL that is not https or not for `openai`, or malformed models"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 413, description = "Body over 256 KiB"),
        (status = 415, description = "Body is not JSON"),
    ),
)]
pub async fn put(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let provider = provider(&req)?;
    let input: PutCredential = request::json_body(&req)?;
    let (token, settings) = input.parse(provider)?;
    let now = Utc::now();
    ctx.credentials.put(owner, provider, &token, &settings, now).await?;
    tracing::info!(provider = provider.as_str(), "credential stored");
    let stored = StoredCredential {
        updated_at: now.to_rfc3339(),
        settings,
    };
    response::ok(&CredentialStatus::of(provider, Some(stored)))
}

/// Whether a token is set for the provider, and its settings.
#[utoipa::path(
    get, path = "/credentials/{provider}", tag = "credentials", operation_id = "credentials-get",
    security(("bearer" = [])),
    params(("provider" = Provider, Path, description = PROVIDERS)),
    responses(
        (status = 200, description = "Whether a token is set, and its settings", body = CredentialStatus),
        (status = 400, description = "An unknown provider"),
        (status = 401, description = "Missing, expired or invalid token"),
    ),
)]
pub async fn get(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let provider = provider(&req)?;
    let stored = ctx.credentials.stored(owner, provider).await?;
    response::ok(&CredentialStatus::of(provider, stored))
}

/// Removes the provider's credential.
#[utoipa::path(
    delete, path = "/credentials/{provider}", tag = "credentials", operation_id = "credentials-delete",
    security(("bearer" = [])),
    params(("provider" = Provider, Path, description = PROVIDERS)),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "An unknown provider"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No credential is set for this provider"),
    ),
)]
pub async fn delete(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let provider = provider(&req)?;
    ctx.credentials.delete(owner, provider).await.map_err(|err| match err {
        StoreError::NotFound => ApiError::NotFound("credential"),
        other => other.into(),
    })?;
    response::no_content()
}
