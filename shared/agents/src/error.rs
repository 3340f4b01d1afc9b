//! Why an agent run failed. Every message is safe to store and show: API keys are stripped
//! before a provider's words reach one of these.

/// The ways an agent run can fail.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AgentError {
    /// The provider kept failing with retryable errors (429, 5xx, 529, timeouts) until the retry
    /// budget ran out. Worth trying again later: the step may be redelivered.
    #[error("{provider} gave up after {attempts} attempt(s){}: {reason}", status_suffix(*status))]
    Exhausted {
        provider: &'static str,
        /// The last HTTP status, if the last failure had one (none for a timeout or a refused connection).
        status: Option<u16>,
        attempts: u32,
        reason: String,
    },
    /// The provider refused the request for a reason retrying cannot fix (401, 403, 400, 404…).
    #[error("{provider} refused the request (HTTP {status}): {message}")]
    Rejected {
        provider: &'static str,
        status: u16,
        attempts: u32,
        message: String,
    },
    /// The output did not meet the agent's output contract, even after the one repair attempt.
    #[error("the agent's output does not meet its contract: {reason}")]
    Contract { reason: String, attempts: u32 },
    /// The answer met its contract but cannot be used on the project: a change's patch that does
    /// not apply, even after one more answer given the conflicts as feedback.
    #[error("the agent's patch does not apply to the project: {reason}")]
    Unusable { reason: String, attempts: u32 },
    /// The agent names a provider for which neither its owner nor the deployment has a key.
    #[error(
        "the {provider} provider needs an API key: store yours with PUT /credentials/{provider}, or set the deployment's {provider} secret"
    )]
    MissingKey { provider: &'static str },
    /// The owner's key for the provider does not allow the agent's model.
    #[error(
        "your {provider} key does not allow the model {model:?}: add it to the key's models (PUT /credentials/{provider})"
    )]
    ModelNotAllowed { provider: &'static str, model: String },
    /// The owner's base URL is refused (not https, or it points into a private network).
    #[error("your {provider} base URL is refused: {reason}")]
    UnsafeUrl { provider: &'static str, reason: String },
    /// The agent's output contract is not a usable JSON Schema.
    #[error("the agent's output contract is not a valid JSON Schema: {0}")]
    InvalidContract(String),
    /// The next provider call could pass a budget: it was not made.
    #[error("{reason}")]
    Budget {
        scope: forgeflow_domain::budget::BudgetScope,
        reason: String,
        attempts: u32,
    },
    /// Spending could not be counted (the store failed): nothing was called; try again later.
    #[error("spending could not be counted: {0}")]
    Metering(String),
}

fn status_suffix(status: Option<u16>) -> String {
    status
        .map(|status| format!(" (last HTTP {status})"))
        .unwrap_or_default()
}

impl AgentError {
    /// HTTP attempts made before the failure, so a failed step still records them.
    pub fn attempts(&self) -> u32 {
        match self {
            AgentError::Exhausted { attempts, .. }
            | AgentError::Rejected { attempts, .. }
            | AgentError::Contract { attempts, .. }
            | AgentError::Unusable { attempts, .. }
            | AgentError::Budget { attempts, .. } => *attempts,
            AgentError::MissingKey { .. }
            | AgentError::ModelNotAllowed { .. }
            | AgentError::UnsafeUrl { .. }
            | AgentError::InvalidContract(_)
            | AgentError::Metering(_) => 0,
        }
    }

    /// Whether running the step again later could succeed without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(self, AgentError::Exhausted { .. } | AgentError::Metering(_))
    }
}

/// Removes secrets from text that came from outside (a provider's error body): the key itself,
/// anything shaped like a provider key (`sk-…`), and bounds the length.
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().filter(|secret| secret.len() >= 4) {
        out = out.replace(secret, "[redacted]");
    }
    let out = mask_key_shapes(&out);
    let out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    truncate(&out, 300)
}

fn mask_key_shapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("sk-") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 3..];
        let len = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '*' | '.')))
            .unwrap_or(tail.len());
        out.push_str("[redacted]");
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}

pub(crate) fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_the_key_and_key_shaped_words() {
        let key = "test-key-0123456789";
        let text = format!("Incorrect API key provided: {key}. Also sk-proj-abc_DEF-123 here.");
        let clean = scrub(&text, &[key]);
        assert!(!clean.contains(key), "{clean}");
        assert!(!clean.contains("abc_DEF"), "{clean}");
        assert!(clean.contains("Incorrect API key provided"));
    }

    #[test]
    fn scrub_bounds_the_length_and_flattens_whitespace() {
        let clean = scrub(&format!("a\n\n b {}", "x".repeat(1000)), &[]);
        assert!(clean.starts_with("a b x"));
        assert_eq!(clean.chars().count(), 301);
    }

    #[test]
    fn attempts_are_reported_for_every_kind() {
        let error = AgentError::Exhausted {
            provider: "openai",
            status: Some(500),
            attempts: 5,
            reason: "x".into(),
        };
        assert_eq!(error.attempts(), 5);
        assert!(error.is_transient());
        assert!(error.to_string().contains("last HTTP 500"));
        let error = AgentError::MissingKey { provider: "openai" };
        assert_eq!(error.attempts(), 0);
        assert!(!error.is_transient());
        assert!(error.to_string().contains("PUT /credentials/openai"));
    }
}
