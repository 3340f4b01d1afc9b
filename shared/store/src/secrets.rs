use crate::StoreError;

/// The string value of a Secrets Manager secret, read once at cold start by whoever needs it.
pub async fn secret_string(client: &aws_sdk_secretsmanager::Client, secret_id: &str) -> Result<String, StoreError> {
    let output = client
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|err| StoreError::backend("read secret", aws_sdk_secretsmanager::Error::from(err)))?;
    output
        .secret_string
        .ok_or_else(|| StoreError::backend("read secret", "secret has no string value"))
}
