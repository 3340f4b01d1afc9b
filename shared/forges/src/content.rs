//! Reading the export's changed files through the caller's `read`, checked against the manifest.

use futures_util::{StreamExt, TryStreamExt, stream};

use crate::diff::blob_id;
use crate::error::ForgeError;
use crate::{ReadFn, RemoteFile};

/// Files read at once from the caller's store (S3): enough to hide latency, few enough to bound memory.
const READ_CONCURRENCY: usize = 16;

/// The contents of `files`, in order.
pub(crate) async fn read_all(read: &ReadFn<'_>, files: &[&RemoteFile]) -> Result<Vec<Vec<u8>>, ForgeError> {
    // The futures are built before the first await: a stream holding a closure over `&&RemoteFile`
    // would make callers' futures fail rustc's `Send` check ("FnOnce is not general enough").
    let reads: Vec<_> = files.iter().copied().map(|file| read_checked(read, file)).collect();
    stream::iter(reads).buffered(READ_CONCURRENCY).try_collect().await
}

/// A wrong blob id here would make every later incremental export diff against a lie, so the
/// content must be what the manifest says.
async fn read_checked(read: &ReadFn<'_>, file: &RemoteFile) -> Result<Vec<u8>, ForgeError> {
    let bytes = read(file).await?;
    if blob_id(&bytes) != file.git_blob_id {
        return Err(ForgeError::Read(format!(
            "{}: the content does not match its git blob id {}",
            file.path, file.git_blob_id
        )));
    }
    Ok(bytes)
}

/// Text that survives a JSON string unchanged (UTF-8 without NUL), or the bytes back.
pub(crate) fn text(bytes: Vec<u8>) -> Result<String, Vec<u8>> {
    if bytes.contains(&0) {
        return Err(bytes);
    }
    String::from_utf8(bytes).map_err(|error| error.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_utf8_without_nul() {
        assert_eq!(text(b"caf\xc3\xa9\r\n".to_vec()), Ok("café\r\n".to_owned()));
        assert!(text(vec![0xff, 0xfe]).is_err());
        assert!(text(b"a\0b".to_vec()).is_err());
    }
}
