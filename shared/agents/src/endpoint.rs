//! Whose key a run's provider calls use. The step-worker picks one per step: the owner's own key
//! (bring your own key) when they stored one, else the deployment's key from Secrets Manager;
//! without either, the [`crate::AgentsConfig`] default (the in-process harness's key, or none).

use forgeflow_domain::credential::{CredentialSettings, Provider};

use crate::config::ApiKey;

#[derive(Debug, Clone)]
pub struct Endpoint {
    pub(crate) provider: Provider,
    pub(crate) key: ApiKey,
    /// An owner's base URL (called only after the egress checks, through a pinned client; none:
    /// the deployment's URL for the provider) and the models the key may run (none: any).
    pub(crate) settings: CredentialSettings,
}

impl Endpoint {
    /// The deployment's own key for `provider`, at the deployment's URL, for any model.
    pub fn deployment(provider: Provider, key: ApiKey) -> Self {
        Self::owner(provider, key, CredentialSettings::default())
    }

    /// An owner's key with its settings: its base URL (an `openai` key's) and allowed models.
    pub fn owner(provider: Provider, key: ApiKey, settings: CredentialSettings) -> Self {
        Endpoint {
            provider,
            key,
            settings,
        }
    }
}
