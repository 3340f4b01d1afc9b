//! The export's commit on GitLab: on the branch, or on a `forgeflow/…` branch with a merge
//! request (asked for, or because a merge with edits made on GitLab left conflicts). A branch
//! that moved since our last export is merged three-way, never overwritten. A redelivery
//! finishes what an earlier one started instead of committing twice.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Value, json};
use sha1::{Digest, Sha1};

use super::api::Api;
use super::{GitLabTarget, Project, actions};
use crate::diff::{Base, base_from_files};
use crate::error::ForgeError;
use crate::merge;
use crate::publish::{Describe, Published, request_branch};
use crate::{CommitRequest, RemoteFile};

#[derive(Debug, Deserialize)]
struct Branch {
    commit: CommitId,
}

#[derive(Debug, Deserialize)]
struct CommitId {
    id: String,
}

#[derive(Debug, Deserialize)]
struct MergeRequest {
    web_url: String,
    target_branch: String,
}

/// Where the commit goes: the branch, and the head it was read at.
struct Place<'a> {
    project: u64,
    branch: &'a str,
    /// `None` for an empty project.
    head: Option<String>,
    /// Set when `branch` does not exist yet: the commit starts it from this one.
    start_branch: Option<&'a str>,
}

impl Place<'_> {
    /// The branch `head` was read from: a merge request goes into it.
    fn from(&self) -> &str {
        self.start_branch.unwrap_or(self.branch)
    }
}

pub(super) async fn deliver(
    api: &mut Api<'_>,
    project: &Project,
    target: &GitLabTarget,
    branch: &str,
    default_branch: &str,
    request: &CommitRequest<'_>,
) -> Result<Published, ForgeError> {
    let place = place(api, project, branch, default_branch).await?;
    let merge = match (&place.head, request.previous) {
        (Some(head), Some(previous))
            if place.start_branch.is_none() && (previous.commit_sha != *head || !previous.exact) =>
        {
            let theirs = actions::tree(api, place.project, head).await?;
            let mut blobs = Blobs {
                api: &mut *api,
                project: place.project,
            };
            let merged = merge::three_way(&mut blobs, previous, &theirs, request.files, request.read).await?;
            Some((theirs, merged))
        }
        _ => None,
    };
    let merged = merge.as_ref().map(|(_, merged)| merged);
    let describe = Describe {
        message: request.message,
        change: request.change,
        conflicts: merged.map_or(&[], |merged| &merged.conflicts),
    };
    // A request needs a branch to go into: an empty project takes the commit itself.
    let to_request = place.head.is_some() && (target.merge_request || !describe.conflicts.is_empty());

    if let Some(created) = request.already_created
        && let Some(done) = redeliver(api, &place, created, to_request, &describe).await?
    {
        return Ok(done.with_merge(merged));
    }

    let listed;
    let (files, base) = match &merge {
        Some((theirs, merged)) => (merged.files.as_slice(), theirs),
        None => {
            listed = match (&place.head, request.previous) {
                (None, _) => Base::new(),
                (Some(head), Some(previous)) if previous.commit_sha == *head => base_from_files(&previous.files),
                (Some(head), _) => actions::tree(api, place.project, head).await?,
            };
            (request.files, &listed)
        }
    };
    let no_contents = HashMap::new();
    let read = merge::reading(merged.map_or(&no_contents, |merged| &merged.contents), request.read);
    let Some(actions) = actions::build(files, &read, base, place.head.as_deref()).await? else {
        // The branch already holds exactly this export: a commit would change nothing.
        let head = (place.head.as_deref())
            .ok_or_else(|| ForgeError::Invalid("the export has no files and the project is empty".into()))?;
        return Ok(Published::on_branch(head, branch).with_merge(merged));
    };
    if !to_request {
        let sha = commit(api, &place, branch, place.start_branch, actions, request).await?;
        return Ok(Published::on_branch(&sha, branch).with_merge(merged));
    }
    let export = request_branch(&content_key(place.head.as_deref(), files), request.change);
    let sha = match branch_head(api, place.project, &export).await? {
        // The name is a digest of the head and the files: an earlier delivery made this branch.
        Some(sha) => {
            (request.on_commit)(&sha).await?;
            sha
        }
        None => commit(api, &place, &export, Some(place.from()), actions, request).await?,
    };
    let url = merge_request(api, place.project, &export, place.from(), &describe).await?;
    Ok(Published {
        request_url: Some(url),
        ..Published::on_branch(&sha, &export)
    }
    .with_merge(merged))
}

/// The branch's head, falling back to the default branch's for a branch that does not exist yet.
async fn place<'a>(
    api: &mut Api<'_>,
    project: &Project,
    branch: &'a str,
    default_branch: &'a str,
) -> Result<Place<'a>, ForgeError> {
    let (head, start_branch) = match branch_head(api, project.id, branch).await? {
        Some(head) => (Some(head), None),
        None if project.empty_repo => (None, None),
        None => {
            let base = branch_head(api, project.id, default_branch).await?;
            let base = base.ok_or_else(|| ForgeError::NotFound(format!("the default branch {default_branch:?}")))?;
            (Some(base), Some(default_branch))
        }
    };
    Ok(Place {
        project: project.id,
        branch,
        head,
        start_branch,
    })
}

/// The branch's head commit, or `None` when the branch does not exist.
async fn branch_head(api: &mut Api<'_>, project: u64, branch: &str) -> Result<Option<String>, ForgeError> {
    let url = api.url(
        &["projects", &project.to_string(), "repository", "branches", branch],
        &[],
    )?;
    match api.get::<Branch>(url).await {
        Ok(found) => Ok(Some(found.commit.id)),
        Err(ForgeError::NotFound(_)) => Ok(None),
        Err(error) => Err(error),
    }
}

/// One atomic commit of `actions` on `branch` (created from `start_branch` when given).
async fn commit(
    api: &mut Api<'_>,
    place: &Place<'_>,
    branch: &str,
    start_branch: Option<&str>,
    actions: Vec<Value>,
    request: &CommitRequest<'_>,
) -> Result<String, ForgeError> {
    let mut body = json!({
        "branch": branch,
        "commit_message": request.message,
        "author_name": request.author_name,
        "author_email": request.author_email,
        "actions": actions,
    });
    if let Some(start) = start_branch {
        body["start_branch"] = json!(start);
    }
    let url = api.url(&["projects", &place.project.to_string(), "repository", "commits"], &[])?;
    let created: CommitId = match api.post(url, &body).await {
        Ok(created) => created,
        Err(ForgeError::Invalid(message)) if actions::is_concurrent_change(&message) => {
            return Err(ForgeError::Conflict(format!(
                "the branch {branch:?} changed during the export ({message}); export again"
            )));
        }
        Err(error) => return Err(error),
    };
    (request.on_commit)(&created.id).await?;
    Ok(created.id)
}

/// Finishes the job of the delivery that created `created`, or `None` when that commit reached
/// no branch (then a fresh commit on the current head is the right move).
async fn redeliver(
    api: &mut Api<'_>,
    place: &Place<'_>,
    created: &str,
    to_request: bool,
    describe: &Describe<'_>,
) -> Result<Option<Published>, ForgeError> {
    if !to_request && place.start_branch.is_none() && place.head.as_deref() == Some(created) {
        return Ok(Some(Published::on_branch(created, place.branch)));
    }
    let Some(holding) = actions::branches_with(api, place.project, created).await? else {
        return Ok(None);
    };
    if !to_request {
        let published = holding.iter().any(|name| name == place.branch);
        return Ok(published.then(|| Published::on_branch(created, place.branch)));
    }
    let Some(export) = holding.iter().find(|name| name.starts_with("forgeflow/")) else {
        return Ok(None);
    };
    let url = merge_request(api, place.project, export, place.from(), describe).await?;
    Ok(Some(Published {
        request_url: Some(url),
        ..Published::on_branch(created, export)
    }))
}

/// Opens the merge request from `source` into `target`, or finds the one already open.
async fn merge_request(
    api: &mut Api<'_>,
    project: u64,
    source: &str,
    target: &str,
    describe: &Describe<'_>,
) -> Result<String, ForgeError> {
    let (title, description) = describe.title_and_body(target);
    let body = json!({
        "source_branch": source,
        "target_branch": target,
        "title": title,
        "description": description,
        "remove_source_branch": true,
    });
    let url = api.url(&["projects", &project.to_string(), "merge_requests"], &[])?;
    match api.post::<MergeRequest>(url, &body).await {
        Ok(created) => return Ok(created.web_url),
        // "Another open merge request already exists for this source branch".
        Err(ForgeError::Conflict(_)) => {}
        Err(error) => return Err(error),
    }
    let query = [("source_branch", source), ("state", "opened")];
    let url = api.url(&["projects", &project.to_string(), "merge_requests"], &query)?;
    let open: Vec<MergeRequest> = api.get(url).await?;
    open.into_iter()
        .find(|found| found.target_branch == target)
        .map(|found| found.web_url)
        .ok_or_else(|| ForgeError::Conflict(format!("{source:?} has an open merge request into another branch")))
}

/// Names a request's branch after what it will hold: the head it starts from and every file.
fn content_key(head: Option<&str>, files: &[RemoteFile]) -> String {
    let mut hasher = Sha1::new();
    hasher.update(head.unwrap_or_default().as_bytes());
    for file in files {
        hasher.update(format!("\n{} {} {}", file.mode, file.git_blob_id, file.path).as_bytes());
    }
    hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Blob contents for the merge, raw (`GET /repository/blobs/:sha/raw`).
struct Blobs<'a, 'g> {
    api: &'a mut Api<'g>,
    project: u64,
}

impl merge::Blobs for Blobs<'_, '_> {
    async fn blob(&mut self, sha: &str) -> Result<Vec<u8>, ForgeError> {
        let project = self.project.to_string();
        let url = self
            .api
            .url(&["projects", &project, "repository", "blobs", sha, "raw"], &[])?;
        self.api.get_raw(url).await
    }
}
