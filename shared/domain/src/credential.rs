//! Users' secrets for the git forges (tokens) and the AI providers (their own keys, "bring your
//! own key"). A secret is write-only: stored encrypted, used by the workers, never returned,
//! logged or put in an error. An AI provider's base URL and allowed models are settings, shown.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ValidationError;
use crate::agent::ProviderKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Forge {
    Github,
    Gitlab,
}

impl Forge {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Github => "github",
            Self::Gitlab => "gitlab",
        }
    }
}

impl FromStr for Forge {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "github" => Ok(Self::Github),
            "gitlab" => Ok(Self::Gitlab),
            _ => Err("must be github or gitlab".to_owned()),
        }
    }
}

/// What a credential is for: `/credentials/{provider}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Github,
    Gitlab,
    /// Any OpenAI-compatible chat completions API, at the base URL the user gives.
    Openai,
    Anthropic,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Github => "github",
            Self::Gitlab => "gitlab",
            Self::Openai => "openai",
            Self::Anthropic => "anthropic",
        }
    }

    /// The AI provider an agent names, when it takes a key.
    pub fn for_agent(kind: ProviderKind) -> Option<Self> {
        match kind {
            ProviderKind::Offline => None,
            ProviderKind::Openai => Some(Self::Openai),
            ProviderKind::Anthropic => Some(Self::Anthropic),
        }
    }

    fn is_ai(self) -> bool {
        matches!(self, Self::Openai | Self::Anthropic)
    }
}

impl From<Forge> for Provider {
    fn from(forge: Forge) -> Self {
        match forge {
            Forge::Github => Self::Github,
            Forge::Gitlab => Self::Gitlab,
        }
    }
}

impl FromStr for Provider {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "github" => Ok(Self::Github),
            "gitlab" => Ok(Self::Gitlab),
            "openai" => Ok(Self::Openai),
            "anthropic" => Ok(Self::Anthropic),
            _ => Err("must be github, gitlab, openai or anthropic".to_owned()),
        }
    }
}

/// A credential's settings, shown to its owner (unlike its token).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CredentialSettings {
    /// An OpenAI-compatible provider's API root (`https://api.openai.com/v1`, an OpenRouter or
    /// vLLM URL). The step-worker calls it only over https and only if it resolves to public addresses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// The only models agents may use with this key; none listed means any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub models: Option<Vec<String>>,
}

impl CredentialSettings {
    pub const MAX_MODELS: usize = 32;
    pub const MAX_URL_LEN: usize = 2048;

    /// Whether agents may run `model` on this key.
    pub fn allows(&self, model: &str) -> bool {
        self.models
            .as_ref()
            .is_none_or(|models| models.iter().any(|m| m == model))
    }
}

/// A forge token or an API key. `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub const MAX_LEN: usize = 4096;

    pub fn parse(raw: String) -> Result<Self, ValidationError> {
        let token = raw.trim().to_owned();
        if token.is_empty() {
            return Err(ValidationError::new("token", "must not be empty"));
        }
        if token.len() > Self::MAX_LEN {
            return Err(ValidationError::new("token", "must be at most 4096 bytes"));
        }
        if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ValidationError::new(
                "token",
                "must not contain spaces or control characters",
            ));
        }
        Ok(Self(token))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token([redacted])")
    }
}

/// Body of `PUT /credentials/{provider}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutCredential {
    /// The forge token or the provider's API key. No spaces or control characters; at most 4096 bytes.
    #[schema(min_length = 1, max_length = 4_096)]
    pub token: String,
    /// `openai` only: the API root, `https://…` (default `https://api.openai.com/v1`).
    #[serde(default)]
    #[schema(max_length = 2_048)]
    pub base_url: Option<String>,
    /// `openai` and `anthropic` only: the models agents may use with this key (at most 32);
    /// none means any.
    #[serde(default)]
    #[schema(max_items = 32)]
    pub models: Option<Vec<String>>,
}

/// The OpenAI API root, for an `openai` credential stored without a base URL.
pub const DEFAULT_OPENAI_BASE_URL: &str = "https://api.openai.com/v1";

impl PutCredential {
    /// The token and the settings, each checked for `provider`.
    pub fn parse(self, provider: Provider) -> Result<(Token, CredentialSettings), ValidationError> {
        let token = Token::parse(self.token)?;
        if !provider.is_ai() && self.models.is_some() {
            return Err(ValidationError::new("models", "only an AI provider's key has models"));
        }
        let base_url = match (provider, self.base_url) {
            (Provider::Openai, url) => Some(check_base_url(url.as_deref().unwrap_or(DEFAULT_OPENAI_BASE_URL))?),
            (_, Some(_)) => {
                return Err(ValidationError::new(
                    "base_url",
                    "only an openai credential has a base URL",
                ));
            }
            (_, None) => None,
        };
        let models = self.models.map(check_models).transpose()?;
        Ok((token, CredentialSettings { base_url, models }))
    }
}

/// The URL's shape; where it points is checked by the step-worker at each use (DNS can change).
fn check_base_url(raw: &str) -> Result<String, ValidationError> {
    let invalid = |why: &str| ValidationError::new("base_url", why);
    let url = raw.trim().trim_end_matches('/');
    if url.len() > CredentialSettings::MAX_URL_LEN {
        return Err(invalid("must be at most 2048 bytes"));
    }
    let Some(rest) = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")) else {
        return Err(invalid("must be an https:// URL"));
    };
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() {
        return Err(invalid("must name a host"));
    }
    if host.contains('@') {
        return Err(invalid("must not carry credentials; the key goes in token"));
    }
    if url.contains(['?', '#']) || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("must be a plain URL without query, fragment or spaces"));
    }
    Ok(url.to_owned())
}

fn check_models(models: Vec<String>) -> Result<Vec<String>, ValidationError> {
    let invalid = |why: &str| ValidationError::new("models", why);
    if models.is_empty() {
        return Err(invalid("must list at least one model (leave it out to allow any)"));
    }
    if models.len() > CredentialSettings::MAX_MODELS {
        return Err(invalid("must list at most 32 models"));
    }
    let mut checked: Vec<String> = Vec::with_capacity(models.len());
    for model in models {
        let model = model.trim().to_owned();
        let fits = (1..=128).contains(&model.len())
            && model
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '/' | '@'));
        if !fits {
            return Err(invalid(
                "each model is 1-128 characters of letters, digits and . - _ : / @",
            ));
        }
        if !checked.contains(&model) {
            checked.push(model);
        }
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_never_shows_in_debug_output() {
        let token = Token::parse("ghp_supersecretvalue".into()).unwrap();
        assert!(!format!("{token:?}").contains("supersecret"));
        assert_eq!(token.expose(), "ghp_supersecretvalue");
    }

    fn put(body: serde_json::Value) -> PutCredential {
        serde_json::from_value(body).unwrap()
    }

    #[test]
    fn an_openai_key_keeps_its_base_url_and_models() {
        let (token, settings) = put(serde_json::json!({
            "token": "sk-mine", "base_url": "https://openrouter.ai/api/v1/", "models": ["gpt-4o-mini", "gpt-4o-mini", "o3"]
        }))
        .parse(Provider::Openai)
        .unwrap();
        assert_eq!(token.expose(), "sk-mine");
        assert_eq!(settings.base_url.as_deref(), Some("https://openrouter.ai/api/v1"));
        assert_eq!(settings.models, Some(vec!["gpt-4o-mini".to_owned(), "o3".to_owned()]));
        assert!(settings.allows("o3") && !settings.allows("gpt-4o"));
        let (_, default) = put(serde_json::json!({"token": "sk"})).parse(Provider::Openai).unwrap();
        assert_eq!(default.base_url.as_deref(), Some(DEFAULT_OPENAI_BASE_URL));
        assert!(default.allows("anything"), "no list allows every model");
    }

    #[test]
    fn settings_are_refused_where_they_do_not_belong_or_are_malformed() {
        let field = |provider: Provider, body: serde_json::Value| put(body).parse(provider).unwrap_err().field;
        let cases = [
            (
                Provider::Anthropic,
                serde_json::json!({"token": "k", "base_url": "https://x.example"}),
                "base_url",
            ),
            (
                Provider::Github,
                serde_json::json!({"token": "k", "models": ["m"]}),
                "models",
            ),
            (
                Provider::Openai,
                serde_json::json!({"token": "k", "base_url": "ftp://x.example"}),
                "base_url",
            ),
            (
                Provider::Openai,
                serde_json::json!({"token": "k", "base_url": "https://u:p@x.example"}),
                "base_url",
            ),
            (
                Provider::Openai,
                serde_json::json!({"token": "k", "base_url": "https://x.example/v1?a=b"}),
                "base_url",
            ),
            (
                Provider::Openai,
                serde_json::json!({"token": "k", "base_url": "https:///v1"}),
                "base_url",
            ),
            (
                Provider::Openai,
                serde_json::json!({"token": "k", "models": []}),
                "models",
            ),
            (
                Provider::Anthropic,
                serde_json::json!({"token": "k", "models": ["has space"]}),
                "models",
            ),
            (
                Provider::Anthropic,
                serde_json::json!({"token": "k", "models": vec!["m"; 33].iter().enumerate().map(|(i, _)| format!("m{i}")).collect::<Vec<_>>()}),
                "models",
            ),
            (Provider::Openai, serde_json::json!({"token": ""}), "token"),
        ];
        for (provider, body, expected) in cases {
            assert_eq!(field(provider, body.clone()), expected, "{body}");
        }
    }

    #[test]
    fn providers_parse_from_the_path_and_follow_agents() {
        assert_eq!("openai".parse::<Provider>(), Ok(Provider::Openai));
        assert!("ollama".parse::<Provider>().is_err());
        assert_eq!(Provider::for_agent(ProviderKind::Anthropic), Some(Provider::Anthropic));
        assert_eq!(Provider::for_agent(ProviderKind::Offline), None);
        assert_eq!(Provider::from(Forge::Gitlab).as_str(), "gitlab");
    }

    #[test]
    fn empty_spaced_and_huge_tokens_are_refused() {
        for bad in ["".to_owned(), "a b".to_owned(), "x".repeat(4097)] {
            assert_eq!(Token::parse(bad).unwrap_err().field, "token");
        }
    }
}
