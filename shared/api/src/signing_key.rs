//! The JWT signing key, and the [`Tokens`] made from it. Functions that issue or verify tokens read
//! it during init ([`KeyLoad::AtInit`]): the Secrets Manager call is paid before the first request.
//! The few that never handle a token (the webhook, the WebSocket's disconnect and messages) read it
//! on first use ([`KeyLoad::OnFirstUse`]), so they start without the call and without the IAM grant.

use std::time::Instant;

use forgeflow_store::secrets;
use tokio::sync::OnceCell;

use crate::context::{AUDIENCE, ContextError, ISSUER, SecretSource, TOKEN_LIFETIME};
use crate::token::Tokens;

/// When a function reads the signing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyLoad {
    AtInit,
    OnFirstUse,
}

pub struct SigningKey {
    source: SecretSource,
    secrets: aws_sdk_secretsmanager::Client,
    tokens: OnceCell<Tokens>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("loaded", &self.tokens.initialized())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A key already in hand (the local stack and tests).
    pub fn ready(tokens: Tokens, secrets: aws_sdk_secretsmanager::Client) -> Self {
        Self {
            source: SecretSource::Value(String::new()),
            secrets,
            tokens: OnceCell::new_with(Some(tokens)),
        }
    }

    pub async fn load(
        source: SecretSource,
        secrets: aws_sdk_secretsmanager::Client,
        when: KeyLoad,
    ) -> Result<Self, ContextError> {
        let key = Self {
            source,
            secrets,
            tokens: OnceCell::new(),
        };
        if when == KeyLoad::AtInit {
            key.tokens().await?;
        }
        Ok(key)
    }

    pub async fn tokens(&self) -> Result<&Tokens, ContextError> {
        self.tokens
            .get_or_try_init(|| async {
                let secret = match &self.source {
                    SecretSource::Value(secret) => secret.clone(),
                    SecretSource::SecretsManager(id) => {
                        let started = Instant::now();
                        let secret = secrets::secret_string(&self.secrets, id).await?;
                        tracing::info!(ms = started.elapsed().as_secs_f64() * 1e3, "jwt key read");
                        secret
                    }
                };
                Ok(Tokens::new(secret.as_bytes(), ISSUER, AUDIENCE, TOKEN_LIFETIME)?)
            })
            .await
    }
}
