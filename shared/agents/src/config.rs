//! Where the providers live, their keys, and how hard to try.

use std::fmt;
use std::time::Duration;

pub const DEFAULT_OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
pub const DEFAULT_ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com";

/// An API key. Its `Debug` never shows it, so configs can be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// `None` for an empty or blank value, so an exported-but-empty variable counts as unset.
    pub fn new(key: impl Into<String>) -> Option<Self> {
        let key = key.into().trim().to_owned();
        (!key.is_empty()).then_some(ApiKey(key))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderConfig {
    /// Without a trailing slash: `https://api.openai.com/v1`, `https://api.anthropic.com`.
    pub base_url: String,
    pub api_key: Option<ApiKey>,
}

impl ProviderConfig {
    pub fn new(base_url: impl Into<String>, api_key: Option<&str>) -> Self {
        ProviderConfig {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            api_key: api_key.and_then(ApiKey::new),
        }
    }
}

/// How long to keep trying a provider that answers 429/5xx or does not answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// HTTP attempts in all, the first included.
    pub max_attempts: u32,
    /// The first backoff's ceiling; each retry doubles it (full jitter picks below it).
    pub base_delay: Duration,
    /// No single backoff is longer than this (a provider's `Retry-After` may be, within the budget).
    pub max_delay: Duration,
    /// Total sleeping allowed across one call's retries. A `Retry-After` that would overrun it ends
    /// the call at once rather than sleeping in vain.
    pub max_total_sleep: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(20),
            max_total_sleep: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AgentsConfig {
    pub openai: ProviderConfig,
    pub anthropic: ProviderConfig,
    pub retry: RetryPolicy,
    pub connect_timeout: Duration,
    /// Longest silence between two reads of a response; a stream that keeps talking is never cut.
    pub read_timeout: Duration,
    /// Anthropic requires a ceiling on the answer's length; engineers write whole files.
    pub max_output_tokens: u32,
    /// Local testing only: owners' base URLs may be plain http on private addresses (the fake
    /// providers listen on loopback). Off in every deployment.
    pub allow_private_network: bool,
}

impl Default for AgentsConfig {
    fn default() -> Self {
        AgentsConfig {
            openai: ProviderConfig::new(DEFAULT_OPENAI_BASE_URL, None),
            anthropic: ProviderConfig::new(DEFAULT_ANTHROPIC_BASE_URL, None),
            retry: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(120),
            max_output_tokens: forgeflow_domain::estimate::DEFAULT_MAX_OUTPUT_TOKENS as u32,
            allow_private_network: false,
        }
    }
}

impl AgentsConfig {
    /// What [`AgentsConfig::from_lookup`] reads: where the providers are, and the retry budget so
    /// the local stack and its tests can keep failures fast. Never a key: the deployment's keys
    /// are in Secrets Manager, owners' keys in their encrypted credentials.
    pub const VARIABLES: &[&str] = &[
        "FORGEFLOW_OPENAI_BASE_URL",
        "FORGEFLOW_ANTHROPIC_BASE_URL",
        "FORGEFLOW_AI_ALLOW_PRIVATE_NETWORK",
        "FORGEFLOW_AI_MAX_ATTEMPTS",
        "FORGEFLOW_AI_RETRY_BASE_MS",
        "FORGEFLOW_AI_RETRY_BUDGET_MS",
    ];

    /// The settings from a function's environment (`get` answers a variable's value). Unset or
    /// unparsable values keep their defaults.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let defaults = AgentsConfig::default();
        let url = |name: &str, default: &str| get(name).filter(|v| !v.trim().is_empty()).unwrap_or(default.into());
        let number = |name: &str| {
            let raw = get(name)?;
            let parsed = raw.trim().parse::<u64>().ok();
            if parsed.is_none() {
                tracing::warn!(variable = name, "ignoring a non-numeric value");
            }
            parsed
        };
        let mut retry = defaults.retry;
        if let Some(attempts) = number("FORGEFLOW_AI_MAX_ATTEMPTS") {
            retry.max_attempts = u32::try_from(attempts.max(1)).unwrap_or(u32::MAX);
        }
        if let Some(ms) = number("FORGEFLOW_AI_RETRY_BASE_MS") {
            retry.base_delay = Duration::from_millis(ms);
        }
        if let Some(ms) = number("FORGEFLOW_AI_RETRY_BUDGET_MS") {
            retry.max_total_sleep = Duration::from_millis(ms);
        }
        AgentsConfig {
            openai: ProviderConfig::new(url("FORGEFLOW_OPENAI_BASE_URL", DEFAULT_OPENAI_BASE_URL), None),
            anthropic: ProviderConfig::new(url("FORGEFLOW_ANTHROPIC_BASE_URL", DEFAULT_ANTHROPIC_BASE_URL), None),
            retry,
            allow_private_network: get("FORGEFLOW_AI_ALLOW_PRIVATE_NETWORK")
                .is_some_and(|v| matches!(v.trim(), "1" | "true")),
            ..defaults
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn config(vars: &[(&str, &str)]) -> AgentsConfig {
        let vars: BTreeMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        AgentsConfig::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_point_at_the_public_apis_without_keys() {
        let config = config(&[]);
        assert_eq!(config.openai.base_url, DEFAULT_OPENAI_BASE_URL);
        assert_eq!(config.anthropic.base_url, DEFAULT_ANTHROPIC_BASE_URL);
        assert!(config.openai.api_key.is_none() && config.anthropic.api_key.is_none());
        assert_eq!(config.retry.max_attempts, 5);
        assert_eq!(config.retry.max_total_sleep, Duration::from_secs(60));
    }

    #[test]
    fn environment_overrides_urls_and_budget_but_never_gives_a_key() {
        let config = config(&[
            ("FORGEFLOW_OPENAI_BASE_URL", "http://127.0.0.1:11434/v1/"),
            ("FORGEFLOW_OPENAI_API_KEY", "sk-local"),
            ("FORGEFLOW_AI_ALLOW_PRIVATE_NETWORK", "1"),
            ("FORGEFLOW_AI_MAX_ATTEMPTS", "3"),
            ("FORGEFLOW_AI_RETRY_BASE_MS", "10"),
            ("FORGEFLOW_AI_RETRY_BUDGET_MS", "nonsense"),
        ]);
        assert_eq!(config.openai.base_url, "http://127.0.0.1:11434/v1");
        assert!(
            config.openai.api_key.is_none(),
            "keys come from Secrets Manager, not the environment"
        );
        assert!(config.allow_private_network);
        assert!(!AgentsConfig::VARIABLES.iter().any(|name| name.ends_with("_KEY")));
        assert_eq!(config.retry.max_attempts, 3);
        assert_eq!(config.retry.base_delay, Duration::from_millis(10));
        assert_eq!(config.retry.max_total_sleep, Duration::from_secs(60));
    }

    #[test]
    fn debug_output_never_shows_a_key() {
        let config = AgentsConfig {
            openai: ProviderConfig::new(DEFAULT_OPENAI_BASE_URL, Some("sk-very-secret")),
            anthropic: ProviderConfig::new(DEFAULT_ANTHROPIC_BASE_URL, Some("ant")),
            ..AgentsConfig::default()
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("very-secret") && !shown.contains("\"ant\""), "{shown}");
        assert!(shown.contains("[redacted]"));
    }
}
