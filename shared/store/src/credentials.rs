use aws_sdk_kms::primitives::Blob;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use forgeflow_domain::Id;
use forgeflow_domain::credential::{CredentialSettings, Provider, Token};
use forgeflow_domain::user::User;

use crate::StoreError;
use crate::item::{Item, key, s, string_attr};

/// Forge tokens and AI providers' keys, encrypted with KMS under an encryption context naming the
/// user and the provider (a ciphertext copied to another user's or provider's row does not
/// decrypt), kept at `USER#{owner}` / `CREDENTIAL#{provider}` with the credential's settings
/// (base URL, allowed models) beside. Only the ciphertext of the secret is stored.
#[derive(Clone, Debug)]
pub struct CredentialStore {
    dynamo: aws_sdk_dynamodb::Client,
    kms: aws_sdk_kms::Client,
    table: String,
    key_id: String,
}

fn credential_key(owner: Id<User>, provider: Provider) -> Item {
    key(format!("USER#{owner}"), format!("CREDENTIAL#{}", provider.as_str()))
}

/// What the owner may see of a stored credential: when, and its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCredential {
    pub updated_at: String,
    pub settings: CredentialSettings,
}

impl CredentialStore {
    pub fn new(
        dynamo: aws_sdk_dynamodb::Client,
        kms: aws_sdk_kms::Client,
        table: impl Into<String>,
        key_id: impl Into<String>,
    ) -> Self {
        Self {
            dynamo,
            kms,
            table: table.into(),
            key_id: key_id.into(),
        }
    }

    pub async fn put(
        &self,
        owner: Id<User>,
        provider: impl Into<Provider>,
        token: &Token,
        settings: &CredentialSettings,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let provider = provider.into();
        let encrypted = self
            .kms
            .encrypt()
            .key_id(&self.key_id)
            .plaintext(Blob::new(token.expose().as_bytes()))
            .encryption_context("user", owner.to_string())
            .encryption_context("provider", provider.as_str())
            .send()
            .await
            .map_err(|err| StoreError::backend("encrypt token", aws_sdk_kms::Error::from(err)))?;
        let ciphertext = encrypted
            .ciphertext_blob
            .ok_or_else(|| StoreError::backend("encrypt token", "no ciphertext returned"))?;
        let mut item = credential_key(owner, provider);
        item.insert("ciphertext".into(), s(STANDARD.encode(ciphertext.as_ref())));
        item.insert("updated_at".into(), s(now.to_rfc3339()));
        let settings =
            serde_json::to_string(settings).map_err(|err| StoreError::backend("store token", err.to_string()))?;
        item.insert("settings".into(), s(settings));
        self.dynamo
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|err| StoreError::backend("store token", aws_sdk_dynamodb::Error::from(err)))?;
        Ok(())
    }

    /// When the credential was last set and its settings, if one is.
    pub async fn stored(&self, owner: Id<User>, provider: Provider) -> Result<Option<StoredCredential>, StoreError> {
        Ok(self.item(owner, provider).await?.map(|item| stored(&item)))
    }

    /// The decrypted token, for the workers alone.
    pub async fn reveal(&self, owner: Id<User>, provider: impl Into<Provider>) -> Result<Option<Token>, StoreError> {
        Ok(self
            .reveal_with_settings(owner, provider.into())
            .await?
            .map(|(token, _)| token))
    }

    /// The decrypted token with the credential's settings (an AI key's base URL and models).
    pub async fn reveal_with_settings(
        &self,
        owner: Id<User>,
        provider: Provider,
    ) -> Result<Option<(Token, CredentialSettings)>, StoreError> {
        let Some(item) = self.item(owner, provider).await? else {
            return Ok(None);
        };
        let settings = stored(&item).settings;
        let ciphertext = string_attr(&item, "ciphertext")
            .and_then(|text| STANDARD.decode(text).ok())
            .ok_or_else(|| StoreError::backend("read token", "stored ciphertext is malformed"))?;
        let decrypted = self
            .kms
            .decrypt()
            .ciphertext_blob(Blob::new(ciphertext))
            .encryption_context("user", owner.to_string())
            .encryption_context("provider", provider.as_str())
            .send()
            .await
            .map_err(|err| StoreError::backend("decrypt token", aws_sdk_kms::Error::from(err)))?;
        let plaintext = decrypted
            .plaintext
            .ok_or_else(|| StoreError::backend("decrypt token", "no plaintext returned"))?;
        let token =
            String::from_utf8(plaintext.into_inner()).map_err(|_| StoreError::backend("decrypt token", "not UTF-8"))?;
        let token = Token::parse(token).map_err(|_| StoreError::backend("decrypt token", "stored token is invalid"))?;
        Ok(Some((token, settings)))
    }

    /// Removes the token; `NotFound` if none was set.
    pub async fn delete(&self, owner: Id<User>, provider: Provider) -> Result<(), StoreError> {
        self.dynamo
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(credential_key(owner, provider)))
            .condition_expression("attribute_exists(pk)")
            .send()
            .await
            .map_err(|err| match crate::error::dynamo("delete token", "", err) {
                StoreError::Conflict(_) => StoreError::NotFound,
                other => other,
            })?;
        Ok(())
    }

    async fn item(&self, owner: Id<User>, provider: Provider) -> Result<Option<Item>, StoreError> {
        let output = self
            .dynamo
            .get_item()
            .table_name(&self.table)
            .set_key(Some(credential_key(owner, provider)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| StoreError::backend("read token", aws_sdk_dynamodb::Error::from(err)))?;
        Ok(output.item)
    }
}

/// A row's public part; settings stored before there were any read as none.
fn stored(item: &Item) -> StoredCredential {
    StoredCredential {
        updated_at: string_attr(item, "updated_at").unwrap_or_default().to_owned(),
        settings: string_attr(item, "settings")
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_default(),
    }
}
