//! Password hashing with argon2id (the crate's defaults follow OWASP: m=19 MiB, t=2, p=1).
//! Hashing is CPU-bound for tens of milliseconds, so it runs off the async executor.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::ApiError;

pub async fn hash(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|err| ApiError::internal(err.to_string()))
    })
    .await
    .map_err(ApiError::internal)?
}

/// Whether `password` matches `stored`. With no stored hash (unknown user) a hash is still
/// checked, so the response time does not tell whether an account exists.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || {
        let (hash, known) = match &stored {
            Some(hash) => (hash.as_str(), true),
            None => (decoy_hash(), false),
        };
        let parsed = PasswordHash::new(hash).map_err(|err| ApiError::internal(err.to_string()))?;
        let matches = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        Ok(known && matches)
    })
    .await
    .map_err(ApiError::internal)?
}

static DECOY: OnceLock<String> = OnceLock::new();

fn decoy_hash() -> &'static str {
    DECOY.get_or_init(|| {
        Argon2::default()
            .hash_password(b"forgeflow decoy password")
            .map(|hash| hash.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_no_other() {
        let stored = hash("correct horse".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse".into(), Some(stored.clone())).await.unwrap());
        assert!(!verify("wrong horse".into(), Some(stored)).await.unwrap());
    }

    #[tokio::test]
    async fn an_unknown_user_never_verifies_even_with_the_decoy_password() {
        assert!(!verify("forgeflow decoy password".into(), None).await.unwrap());
    }
}
