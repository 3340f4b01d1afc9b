use aws_sdk_s3::primitives::ByteStream;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::StoreError;

/// JSON documents in the artifacts bucket (step outputs, which outgrow a DynamoDB item).
#[derive(Clone, Debug)]
pub struct Blobs {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl Blobs {
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    pub async fn put_json(&self, key: &str, value: &impl Serialize) -> Result<(), StoreError> {
        let body = serde_json::to_vec(value).map_err(|err| StoreError::backend("encode blob", err))?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type("application/json")
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|err| StoreError::backend("put blob", aws_sdk_s3::Error::from(err)))?;
        Ok(())
    }

    pub async fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<T, StoreError> {
        let output = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|err| StoreError::backend("get blob", aws_sdk_s3::Error::from(err)))?;
        let bytes = output
            .body
            .collect()
            .await
            .map_err(|err| StoreError::backend("read blob", err))?
            .into_bytes();
        serde_json::from_slice(&bytes).map_err(|err| StoreError::backend("decode blob", err))
    }
}
