//! The commit's `actions[]` against a base tree (what the last export left when it is still the
//! head, the head's tree listed page by page, or a merge's). Text goes as is, binary as base64; a mode change
//! is a separate `chmod` action (GitLab reads `execute_filemode` on that action only).

use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

use super::api::Api;
use crate::content::{read_all, text};
use crate::diff::{Base, Change, Entry, changes};
use crate::error::ForgeError;
use crate::{ReadFn, RemoteFile};

#[derive(Debug, Deserialize)]
struct TreeEntry {
    /// The blob's id (a submodule's commit for type `commit`).
    id: String,
    #[serde(rename = "type")]
    kind: String,
    path: String,
    mode: String,
}

#[derive(Debug, Deserialize)]
struct BranchRef {
    name: String,
}

/// The actions turning `base` (the tree at `head`) into `files`; `None` when nothing differs.
pub(super) async fn build(
    files: &[RemoteFile],
    read: &ReadFn<'_>,
    base: &Base,
    head: Option<&str>,
) -> Result<Option<Vec<Value>>, ForgeError> {
    let changes = changes(files, base);
    if changes.is_empty() {
        return Ok(None);
    }
    let to_read: Vec<&RemoteFile> = changes
        .iter()
        .filter_map(|change| match change {
            Change::Create(file) | Change::Update { file, .. } => Some(*file),
            _ => None,
        })
        .collect();
    let mut contents = read_all(read, &to_read).await?.into_iter();
    let guard = |mut action: Value| {
        if let Some(head) = head {
            action["last_commit_id"] = json!(head);
        }
        action
    };
    let chmod = |file: &RemoteFile| {
        guard(json!({"action": "chmod", "file_path": file.path, "execute_filemode": file.mode == "100755"}))
    };
    let mut actions = Vec::with_capacity(changes.len());
    for change in &changes {
        match change {
            Change::Delete { path, .. } => actions.push(guard(json!({"action": "delete", "file_path": path}))),
            Change::Chmod(file) => actions.push(chmod(file)),
            Change::Create(file) | Change::Update { file, .. } => {
                let bytes = contents
                    .next()
                    .ok_or_else(|| ForgeError::Read(format!("{}: content missing", file.path)))?;
                let (content, encoding) = match text(bytes) {
                    Ok(text) => (text, "text"),
                    Err(bytes) => (base64::engine::general_purpose::STANDARD.encode(bytes), "base64"),
                };
                let (verb, mode_changes) = match change {
                    Change::Update { chmod, .. } => ("update", *chmod),
                    _ => ("create", file.mode == "100755"),
                };
                let action = json!({"action": verb, "file_path": file.path, "content": content, "encoding": encoding});
                actions.push(if verb == "update" { guard(action) } else { action });
                if mode_changes {
                    actions.push(chmod(file));
                }
            }
        }
    }
    Ok(Some(actions))
}

/// The head's files, 100 a page (GitLab's maximum), following `x-next-page`.
pub(super) async fn tree(api: &mut Api<'_>, project: u64, head: &str) -> Result<Base, ForgeError> {
    let mut base = Base::new();
    let mut page = "1".to_owned();
    loop {
        let query = [
            ("ref", head),
            ("recursive", "true"),
            ("per_page", "100"),
            ("page", page.as_str()),
        ];
        let url = api.url(&["projects", &project.to_string(), "repository", "tree"], &query)?;
        let (headers, value) = api.get_page(url).await?;
        let entries: Vec<TreeEntry> = serde_json::from_value(value).map_err(|error| {
            ForgeError::Transport(format!("GitLab's tree listing is not what its API documents: {error}"))
        })?;
        for entry in entries
            .into_iter()
            .filter(|entry| entry.kind == "blob" || entry.kind == "commit")
        {
            base.insert(
                entry.path,
                Entry {
                    mode: entry.mode,
                    sha: entry.id,
                },
            );
        }
        let next = headers
            .get("x-next-page")
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
            .trim();
        if next.is_empty() || next == page {
            return Ok(base);
        }
        page = next.to_owned();
    }
}

/// The branches `sha` is on (as their head or an ancestor); `None` when GitLab does not know
/// the commit at all.
pub(super) async fn branches_with(
    api: &mut Api<'_>,
    project: u64,
    sha: &str,
) -> Result<Option<Vec<String>>, ForgeError> {
    let query = [("type", "branch"), ("per_page", "100")];
    let url = api.url(
        &["projects", &project.to_string(), "repository", "commits", sha, "refs"],
        &query,
    )?;
    match api.get::<Vec<BranchRef>>(url).await {
        Ok(refs) => Ok(Some(refs.into_iter().map(|found| found.name).collect())),
        Err(ForgeError::NotFound(_)) => Ok(None),
        Err(error) => Err(error),
    }
}

/// GitLab's 400s for a branch that moved under us: a guarded file changed, or a file we create
/// now exists, or one we update or delete is gone.
pub(super) fn is_concurrent_change(message: &str) -> bool {
    ["has changed since", "already exists", "does not exist", "doesn't exist"]
        .iter()
        .any(|phrase| message.contains(phrase))
}
