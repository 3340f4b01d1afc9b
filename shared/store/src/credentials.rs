use aws_sdk_kms::primitives::Blob;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use forgeflow_domain::Id;
use forgeflow_domain::credential::{Forge, Token};
use forgeflow_domain::user::User;

use crate::StoreError;
use crate::item::{Item, key, s, string_attr};

/// Forge tokens, encrypted with KMS under an encryption context naming the user and the forge
/// (a ciphertext copied to another user's row does not decrypt), kept at
/// `USER#{owner}` / `CREDENTIAL#{forge}`. Only the ciphertext is stored.
#[derive(Clone, Debug)]
pub struct CredentialStore {
    dynamo: aws_sdk_dynamodb::Client,
    kms: aws_sdk_kms::Client,
    table: String,
    key_id: String,
}

fn credential_key(owner: Id<User>, forge: Forge) -> Item {
    key(format!("USER#{owner}"), format!("CREDENTIAL#{}", forge.as_str()))
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
        forge: Forge,
        token: &Token,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let encrypted = self
            .kms
            .encrypt()
            .key_id(&self.key_id)
            .plaintext(Blob::new(token.expose().as_bytes()))
            .encryption_context("user", owner.to_string())
            .encryption_context("forge", forge.as_str())
            .send()
            .await
            .map_err(|err| StoreError::backend("encrypt token", aws_sdk_kms::Error::from(err)))?;
        let ciphertext = encrypted
            .ciphertext_blob
            .ok_or_else(|| StoreError::backend("encrypt token", "no ciphertext returned"))?;
        let mut item = credential_key(owner, forge);
        item.insert("ciphertext".into(), s(STANDARD.encode(ciphertext.as_ref())));
        item.insert("updated_at".into(), s(now.to_rfc3339()));
        self.dynamo
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|err| StoreError::backend("store token", aws_sdk_dynamodb::Error::from(err)))?;
        Ok(())
    }

    /// When the token was last set, if one is.
    pub async fn updated_at(&self, owner: Id<User>, forge: Forge) -> Result<Option<String>, StoreError> {
        Ok(self
            .item(owner, forge)
            .await?
            .and_then(|item| string_attr(&item, "updated_at").map(String::from)))
    }

    /// The decrypted token, for the export-worker alone.
    pub async fn reveal(&self, owner: Id<User>, forge: Forge) -> Result<Option<Token>, StoreError> {
        let Some(item) = self.item(owner, forge).await? else {
            return Ok(None);
        };
        let ciphertext = string_attr(&item, "ciphertext")
            .and_then(|text| STANDARD.decode(text).ok())
            .ok_or_else(|| StoreError::backend("read token", "stored ciphertext is malformed"))?;
        let decrypted = self
            .kms
            .decrypt()
            .ciphertext_blob(Blob::new(ciphertext))
            .encryption_context("user", owner.to_string())
            .encryption_context("forge", forge.as_str())
            .send()
            .await
            .map_err(|err| StoreError::backend("decrypt token", aws_sdk_kms::Error::from(err)))?;
        let plaintext = decrypted
            .plaintext
            .ok_or_else(|| StoreError::backend("decrypt token", "no plaintext returned"))?;
        let token =
            String::from_utf8(plaintext.into_inner()).map_err(|_| StoreError::backend("decrypt token", "not UTF-8"))?;
        Token::parse(token)
            .map(Some)
            .map_err(|_| StoreError::backend("decrypt token", "stored token is invalid"))
    }

    /// Removes the token; `NotFound` if none was set.
    pub async fn delete(&self, owner: Id<User>, forge: Forge) -> Result<(), StoreError> {
        self.dynamo
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(credential_key(owner, forge)))
            .condition_expression("attribute_exists(pk)")
            .send()
            .await
            .map_err(|err| match crate::error::dynamo("delete token", "", err) {
                StoreError::Conflict(_) => StoreError::NotFound,
                other => other,
            })?;
        Ok(())
    }

    async fn item(&self, owner: Id<User>, forge: Forge) -> Result<Option<Item>, StoreError> {
        let output = self
            .dynamo
            .get_item()
            .table_name(&self.table)
            .set_key(Some(credential_key(owner, forge)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| StoreError::backend("read token", aws_sdk_dynamodb::Error::from(err)))?;
        Ok(output.item)
    }
}
