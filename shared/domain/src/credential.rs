//! Users' tokens for the git forges. A token is write-only: stored encrypted, used by the
//! export-worker, never returned, logged or put in an error.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ValidationError;

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

/// A forge token. `Debug` and `Display` never show it.
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
    /// No spaces or control characters; at most 4096 bytes.
    #[schema(min_length = 1, max_length = 4_096)]
    pub token: String,
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

    #[test]
    fn empty_spaced_and_huge_tokens_are_refused() {
        for bad in ["".to_owned(), "a b".to_owned(), "x".repeat(4097)] {
            assert_eq!(Token::parse(bad).unwrap_err().field, "token");
        }
    }
}
