//! Everything a worker (the SQS consumers and the scheduled exporter) reads from its environment,
//! read once at init. [`WorkerConfig::variables`] lists each variable; the local stack's test
//! compares it with what the template sets.

use forgeflow_agents::AgentsConfig;
use forgeflow_progress::WS_ENDPOINT_VAR;
use forgeflow_store::{Env, Resources, StoreError};

use crate::export::ForgeSettings;

#[derive(Clone, Debug)]
pub struct WorkerConfig {
    pub resources: Resources,
    /// The WebSocket API's management endpoint; without one, progress is only stored.
    pub ws_endpoint: Option<String>,
    pub forges: ForgeSettings,
    pub agents: AgentsConfig,
}

impl WorkerConfig {
    /// Every variable read (the resources are required, the rest optional).
    pub fn variables() -> Vec<&'static str> {
        let mut all = Resources::VARIABLES.to_vec();
        all.push(WS_ENDPOINT_VAR);
        all.extend(ForgeSettings::VARIABLES);
        all.extend(AgentsConfig::VARIABLES);
        all
    }

    pub fn from_env(env: &Env) -> Result<Self, StoreError> {
        Ok(Self {
            resources: Resources::from_env(env)?,
            ws_endpoint: env.get(WS_ENDPOINT_VAR).map(str::to_owned),
            forges: ForgeSettings::from_env(env),
            agents: AgentsConfig::from_lookup(|name| env.get(name).map(str::to_owned)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_variable_reaches_its_setting() {
        let mut pairs: Vec<(&str, &str)> = Resources::VARIABLES.iter().map(|name| (*name, "r")).collect();
        pairs.extend([
            (WS_ENDPOINT_VAR, "http://gateway"),
            ("FORGEFLOW_GITHUB_API_URL", "http://github"),
            ("FORGEFLOW_GITLAB_ALLOW_PRIVATE_NETWORK", "1"),
            ("FORGEFLOW_OPENAI_BASE_URL", "http://openai/v1"),
        ]);
        let config = WorkerConfig::from_env(&Env::from_pairs(pairs.clone())).unwrap();
        assert_eq!(config.ws_endpoint.as_deref(), Some("http://gateway"));
        assert_eq!(config.forges.github_api_url.as_deref(), Some("http://github"));
        assert!(config.forges.gitlab_allow_private_network);
        assert_eq!(config.agents.openai.base_url, "http://openai/v1");
        for (name, _) in &pairs {
            assert!(WorkerConfig::variables().contains(name), "{name} is listed");
        }
        let without_table: Vec<_> = pairs.into_iter().filter(|(n, _)| *n != "FORGEFLOW_TABLE").collect();
        let error = WorkerConfig::from_env(&Env::from_pairs(without_table)).unwrap_err();
        assert!(error.to_string().contains("FORGEFLOW_TABLE"), "{error}");
    }
}
