//! The new tree: the branch's tree (`base_tree`) plus entries for the changed paths only.
//! Unchanged files are never read; a file whose blob the base already holds (a chmod, a moved
//! file) is referenced by id; text goes inline; binary content needs one `POST /git/blobs` each.

use base64::Engine;
use serde_json::{Value, json};

use super::api::Api;
use crate::content::{read_all, text};
use crate::diff::{Base, Change, changes, known_blobs};
use crate::error::ForgeError;
use crate::{ReadFn, RemoteFile};

/// What a changed path becomes in the tree request.
enum Content {
    Inline(String),
    Blob(String),
    Delete,
}

/// The id of the tree that makes the branch equal the export, or `None` when nothing changed.
pub(super) async fn build(
    api: &mut Api<'_>,
    files: &[RemoteFile],
    read: &ReadFn<'_>,
    base_tree: &str,
    base: &Base,
    request_bytes: usize,
) -> Result<Option<String>, ForgeError> {
    let changes = changes(files, base);
    if changes.is_empty() {
        return Ok(None);
    }
    let known = known_blobs(base);
    let to_read: Vec<&RemoteFile> = changes
        .iter()
        .filter_map(|change| match change {
            Change::Create(file) | Change::Update { file, .. } if !known.contains(file.git_blob_id.as_str()) => {
                Some(*file)
            }
            _ => None,
        })
        .collect();
    let contents = read_all(read, &to_read).await?;
    let mut contents = to_read.iter().zip(contents);

    let mut entries = Vec::with_capacity(changes.len());
    for change in &changes {
        let (path, mode, content) = match change {
            Change::Delete { path, mode } => (path.as_str(), mode.as_str(), Content::Delete),
            Change::Chmod(file) => (
                file.path.as_str(),
                file.mode.as_str(),
                Content::Blob(file.git_blob_id.clone()),
            ),
            Change::Create(file) | Change::Update { file, .. } if known.contains(file.git_blob_id.as_str()) => (
                file.path.as_str(),
                file.mode.as_str(),
                Content::Blob(file.git_blob_id.clone()),
            ),
            Change::Create(file) | Change::Update { file, .. } => {
                let Some((_, bytes)) = contents.next() else {
                    return Err(ForgeError::Read(format!("{}: content missing", file.path)));
                };
                let content = match text(bytes) {
                    Ok(text) => Content::Inline(text),
                    Err(bytes) => Content::Blob(upload(api, file, &bytes).await?),
                };
                (file.path.as_str(), file.mode.as_str(), content)
            }
        };
        entries.push(entry(path, mode, content));
    }

    // Chained requests (each on the previous result) only when the inline text is huge.
    let mut tree = base_tree.to_owned();
    let mut chunk = Vec::new();
    let mut chunk_bytes = 0;
    let last = entries.len();
    for (index, (entry, bytes)) in entries.into_iter().enumerate() {
        chunk.push(entry);
        chunk_bytes += bytes;
        if chunk_bytes >= request_bytes || index + 1 == last {
            let body = json!({ "base_tree": tree, "tree": std::mem::take(&mut chunk) });
            tree = api.create_tree(&body).await?.sha;
            chunk_bytes = 0;
        }
    }
    Ok(Some(tree))
}

async fn upload(api: &mut Api<'_>, file: &RemoteFile, bytes: &[u8]) -> Result<String, ForgeError> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    let sha = api.create_blob(&encoded).await?;
    if sha != file.git_blob_id {
        return Err(ForgeError::Transport(format!(
            "GitHub stored {} as blob {sha}, expected {}",
            file.path, file.git_blob_id
        )));
    }
    Ok(sha)
}

/// One tree entry and the bytes it adds to the request.
fn entry(path: &str, mode: &str, content: Content) -> (Value, usize) {
    match content {
        Content::Inline(text) => {
            let bytes = text.len() + path.len();
            (
                json!({"path": path, "mode": mode, "type": "blob", "content": text}),
                bytes,
            )
        }
        Content::Blob(sha) => (json!({"path": path, "mode": mode, "type": "blob", "sha": sha}), 100),
        Content::Delete => {
            let kind = if mode == "160000" { "commit" } else { "blob" };
            (json!({"path": path, "mode": mode, "type": kind, "sha": null}), 100)
        }
    }
}
