//! Whose API key a step's agent calls with. The owner's own key (`PUT /credentials/{provider}`,
//! decrypted with KMS per step) comes first; else the deployment's, read from its Secrets Manager
//! secret (`{"key": "…"}`, empty for none) and kept for a few minutes so a rotation lands without
//! a redeploy. A key never passes through an environment variable.

use std::time::{Duration, Instant};

use forgeflow_agents::{ApiKey, Endpoint};
use forgeflow_domain::Id;
use forgeflow_domain::agent::ProviderKind;
use forgeflow_domain::credential::Provider;
use forgeflow_domain::user::User;
use forgeflow_store::{Clients, CredentialStore, Resources, StoreError};
use tokio::sync::Mutex;

/// How long a container trusts the deployment key it read.
const DEPLOYMENT_KEY_TTL: Duration = Duration::from_secs(300);

pub struct ProviderKeys {
    credentials: CredentialStore,
    secrets: aws_sdk_secretsmanager::Client,
    openai: DeploymentKey,
    anthropic: DeploymentKey,
}

struct DeploymentKey {
    secret_id: String,
    cached: Mutex<Option<(Instant, Option<ApiKey>)>>,
}

impl DeploymentKey {
    fn new(secret_id: &str) -> Self {
        Self {
            secret_id: secret_id.to_owned(),
            cached: Mutex::new(None),
        }
    }
}

impl ProviderKeys {
    pub fn from_clients(clients: &Clients, resources: &Resources) -> Self {
        Self {
            credentials: CredentialStore::new(
                clients.dynamo.clone(),
                clients.kms.clone(),
                &resources.table,
                &resources.credentials_key,
            ),
            secrets: clients.secrets.clone(),
            openai: DeploymentKey::new(&resources.openai_key_secret),
            anthropic: DeploymentKey::new(&resources.anthropic_key_secret),
        }
    }

    /// The endpoint for an agent of `owner` on `kind`: `None` for the offline provider, or when
    /// neither the owner nor the deployment has a key (the agent then says which key is missing).
    pub async fn endpoint(&self, owner: Id<User>, kind: ProviderKind) -> Result<Option<Endpoint>, StoreError> {
        let Some(provider) = Provider::for_agent(kind) else {
            return Ok(None);
        };
        if let Some((token, settings)) = self.credentials.reveal_with_settings(owner, provider).await? {
            let key =
                ApiKey::new(token.expose()).ok_or_else(|| StoreError::backend("read key", "stored key is empty"))?;
            return Ok(Some(Endpoint::owner(provider, key, settings)));
        }
        let deployment = match provider {
            Provider::Anthropic => &self.anthropic,
            _ => &self.openai,
        };
        Ok(self
            .deployment_key(deployment)
            .await?
            .map(|key| Endpoint::deployment(provider, key)))
    }

    async fn deployment_key(&self, key: &DeploymentKey) -> Result<Option<ApiKey>, StoreError> {
        let mut cached = key.cached.lock().await;
        if let Some((read_at, value)) = cached.as_ref()
            && read_at.elapsed() < DEPLOYMENT_KEY_TTL
        {
            return Ok(value.clone());
        }
        let text = forgeflow_store::secrets::secret_string(&self.secrets, &key.secret_id).await?;
        let value = parse_secret(&text)?;
        *cached = Some((Instant::now(), value.clone()));
        Ok(value)
    }
}

/// `{"key": "…"}`; an empty or blank key is none (the deployment offers no key of its own).
fn parse_secret(text: &str) -> Result<Option<ApiKey>, StoreError> {
    #[derive(serde::Deserialize)]
    struct Secret {
        #[serde(default)]
        key: String,
    }
    let secret: Secret = serde_json::from_str(text)
        .map_err(|_| StoreError::backend("read key", "the provider secret is not {\"key\": \"…\"}"))?;
    Ok(ApiKey::new(secret.key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_holds_a_key_or_none() {
        assert_eq!(parse_secret(r#"{"key":"sk-x"}"#).unwrap().unwrap().expose(), "sk-x");
        assert!(parse_secret(r#"{"key":"  "}"#).unwrap().is_none());
        assert!(parse_secret(r#"{}"#).unwrap().is_none());
        let error = parse_secret("sk-plain-text").unwrap_err().to_string();
        assert!(!error.contains("sk-plain"), "the value is never echoed: {error}");
    }
}
