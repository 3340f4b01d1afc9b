//! Everything an API function (HTTP or WebSocket route) reads from its environment, read once at
//! init. [`ApiConfig::variables`] lists each variable; the local stack's test compares it with what
//! the template sets.

use forgeflow_progress::WS_ENDPOINT_VAR;
use forgeflow_store::{Env, Resources};

use crate::context::{ContextError, SECRET_ID_VAR, SECRET_VAR, SecretSource};
use crate::guard::RateLimits;

#[derive(Clone)]
pub struct ApiConfig {
    pub resources: Resources,
    /// Where the JWT signing key is.
    pub secret: SecretSource,
    /// The WebSocket API's management endpoint, for functions that post progress.
    pub ws_endpoint: Option<String>,
    pub rate_limits: RateLimits,
}

impl ApiConfig {
    /// Every variable read: the resources, the key, the endpoint, then the optional rate limits.
    pub fn variables() -> Vec<&'static str> {
        let mut all = Resources::VARIABLES.to_vec();
        all.extend([SECRET_ID_VAR, SECRET_VAR, WS_ENDPOINT_VAR]);
        all.extend([
            RateLimits::PER_USER_VAR,
            RateLimits::AUTH_PER_IP_VAR,
            RateLimits::WINDOW_VAR,
            RateLimits::WS_PER_CONNECTION_VAR,
            RateLimits::WS_PER_USER_VAR,
        ]);
        all
    }

    pub fn from_env(env: &Env) -> Result<Self, ContextError> {
        Ok(Self {
            resources: Resources::from_env(env)?,
            secret: SecretSource::from_env(env)?,
            ws_endpoint: env.get(WS_ENDPOINT_VAR).map(str::to_owned),
            rate_limits: RateLimits::from_env(env),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_variable_is_read_and_the_required_ones_are_named() {
        let full: Vec<(&str, String)> = ApiConfig::variables()
            .into_iter()
            .map(|name| (name, format!("{}", name.len())))
            .collect();
        let config = ApiConfig::from_env(&Env::from_pairs(full.clone())).unwrap();
        assert_eq!(config.resources.table, "FORGEFLOW_TABLE".len().to_string());
        assert!(
            matches!(config.secret, SecretSource::Value(_)),
            "a plain key wins over an id"
        );
        assert_eq!(config.ws_endpoint.as_deref(), Some("21"));
        assert_eq!(config.rate_limits.per_user.limit, "FORGEFLOW_RATE_LIMIT".len() as u64);
        for required in Resources::VARIABLES {
            let without: Vec<_> = full.iter().filter(|(name, _)| name != required).cloned().collect();
            let error = ApiConfig::from_env(&Env::from_pairs(without)).err().expect(required);
            assert!(error.to_string().contains(required), "{error}");
        }
    }

    #[test]
    fn the_key_must_come_from_somewhere() {
        let env = Env::from_pairs(Resources::VARIABLES.iter().map(|name| (*name, "x")));
        assert!(matches!(ApiConfig::from_env(&env), Err(ContextError::NoSecret)));
    }
}
