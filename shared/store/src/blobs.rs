use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::StoreError;

/// Objects in the artifacts bucket: step outputs (which outgrow a DynamoDB item), generated
/// files and manifests, archives.
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

    /// Deletes every object under `prefix`, a thousand per request; returns how many there were.
    pub async fn delete_prefix(&self, prefix: &str) -> Result<usize, StoreError> {
        let mut deleted = 0;
        loop {
            // Listing again from the start: what was deleted is gone from the listing.
            let listed = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .max_keys(1000)
                .send()
                .await
                .map_err(|err| StoreError::backend("list objects", aws_sdk_s3::Error::from(err)))?;
            let objects = listed
                .contents()
                .iter()
                .filter_map(|object| object.key())
                .map(|key| aws_sdk_s3::types::ObjectIdentifier::builder().key(key).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|err| StoreError::backend("name objects", err))?;
            if objects.is_empty() {
                return Ok(deleted);
            }
            let count = objects.len();
            let delete = aws_sdk_s3::types::Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|err| StoreError::backend("build delete", err))?;
            let output = self
                .client
                .delete_objects()
                .bucket(&self.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|err| StoreError::backend("delete objects", aws_sdk_s3::Error::from(err)))?;
            if let Some(error) = output.errors().first() {
                return Err(StoreError::backend(
                    "delete objects",
                    format!(
                        "{}: {}",
                        error.key().unwrap_or("?"),
                        error.message().unwrap_or("refused")
                    ),
                ));
            }
            deleted += count;
        }
    }

    pub async fn put_json(&self, key: &str, value: &impl Serialize) -> Result<(), StoreError> {
        let body = serde_json::to_vec(value).map_err(|err| StoreError::backend("encode blob", err))?;
        self.put_bytes(key, body, "application/json").await
    }

    pub async fn put_bytes(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), StoreError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|err| StoreError::backend("put object", aws_sdk_s3::Error::from(err)))?;
        Ok(())
    }

    /// Copies an object inside the bucket, server-side (a change keeps its base's unchanged files
    /// without downloading them).
    pub async fn copy(&self, from: &str, to: &str) -> Result<(), StoreError> {
        self.client
            .copy_object()
            .bucket(&self.bucket)
            .copy_source(format!("{}/{}", self.bucket, percent_encode_key(from)))
            .key(to)
            .send()
            .await
            .map_err(|err| StoreError::backend("copy object", aws_sdk_s3::Error::from(err)))?;
        Ok(())
    }

    /// Uploads a local file, streamed from disk (archives and packed histories can be large).
    pub async fn put_file(&self, key: &str, path: &std::path::Path, content_type: &str) -> Result<(), StoreError> {
        let body = ByteStream::from_path(path)
            .await
            .map_err(|err| StoreError::backend("read upload", err))?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(body)
            .send()
            .await
            .map_err(|err| StoreError::backend("put object", aws_sdk_s3::Error::from(err)))?;
        Ok(())
    }

    pub async fn get_bytes(&self, key: &str) -> Result<Vec<u8>, StoreError> {
        let output = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|err| match err.as_service_error() {
                Some(e) if e.is_no_such_key() => StoreError::NotFound,
                _ => StoreError::backend("get object", aws_sdk_s3::Error::from(err)),
            })?;
        let bytes = output
            .body
            .collect()
            .await
            .map_err(|err| StoreError::backend("read object", err))?;
        Ok(bytes.into_bytes().to_vec())
    }

    /// A URL that lets its holder PUT exactly `size` bytes at `key` for `expires_in`, and the
    /// headers the PUT must carry (signed: S3 refuses a body of another length).
    pub async fn presigned_put(
        &self,
        key: &str,
        size: u64,
        expires_in: std::time::Duration,
    ) -> Result<(String, Vec<(String, String)>), StoreError> {
        let config = PresigningConfig::expires_in(expires_in).map_err(|err| StoreError::backend("presign", err))?;
        let length = i64::try_from(size).map_err(|err| StoreError::backend("presign", err))?;
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_length(length)
            .presigned(config)
            .await
            .map_err(|err| StoreError::backend("presign", aws_sdk_s3::Error::from(err)))?;
        let headers = request
            .headers()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        Ok((request.uri().to_owned(), headers))
    }

    /// The object's size, or `None` when there is none at `key`.
    pub async fn size(&self, key: &str) -> Result<Option<u64>, StoreError> {
        match self.client.head_object().bucket(&self.bucket).key(key).send().await {
            Ok(head) => Ok(Some(head.content_length().unwrap_or(0).max(0) as u64)),
            Err(err) if err.as_service_error().is_some_and(|e| e.is_not_found()) => Ok(None),
            Err(err) => Err(StoreError::backend("head object", aws_sdk_s3::Error::from(err))),
        }
    }

    /// A URL that lets its holder GET the object for `expires_in`, without credentials.
    pub async fn presigned_get(&self, key: &str, expires_in: std::time::Duration) -> Result<String, StoreError> {
        let config = PresigningConfig::expires_in(expires_in).map_err(|err| StoreError::backend("presign", err))?;
        let request = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(|err| StoreError::backend("presign", aws_sdk_s3::Error::from(err)))?;
        Ok(request.uri().to_owned())
    }

    pub async fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<T, StoreError> {
        let bytes = self.get_bytes(key).await?;
        serde_json::from_slice(&bytes).map_err(|err| StoreError::backend("decode blob", err))
    }
}

/// `x-amz-copy-source` is a URL path: every byte but unreserved characters and `/` escaped.
fn percent_encode_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for byte in key.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_copy_source_escapes_everything_but_the_path_itself() {
        assert_eq!(
            super::percent_encode_key("generations/1/files/a b/ü+c?.rs"),
            "generations/1/files/a%20b/%C3%BC%2Bc%3F.rs"
        );
    }
}
