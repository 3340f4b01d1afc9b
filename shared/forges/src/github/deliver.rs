//! Making a created commit visible (ref update, or export branch + pull request), and finishing
//! the job of an earlier delivery that created its commit but may not have published it.

use super::api::Api;
use super::{GitHubTarget, Head};
use crate::error::ForgeError;
use crate::publish::{Describe, Published, request_branch};

/// Moves the branch to `sha`, or (in pull-request mode, or when the merge left conflicts) puts
/// it on a branch of its own and opens a pull request whose description lists the conflicts.
pub(super) async fn publish(
    api: &mut Api<'_>,
    target: &GitHubTarget,
    request: &Describe<'_>,
    sha: &str,
    head: &Head,
    branch: &str,
) -> Result<Published, ForgeError> {
    if target.pull_request || !request.conflicts.is_empty() {
        let export = request_branch(sha, request.change);
        api.create_ref(&export, sha).await?;
        let url = open_pull(api, request, &export, &head.from).await?;
        return Ok(Published {
            request_url: Some(url),
            ..Published::on_branch(sha, &export)
        });
    }
    if head.exists {
        api.update_ref(branch, sha).await?;
    } else {
        api.create_ref(branch, sha).await?;
    }
    Ok(Published::on_branch(sha, branch))
}

async fn open_pull(api: &mut Api<'_>, request: &Describe<'_>, head: &str, base: &str) -> Result<String, ForgeError> {
    let (title, body) = request.title_and_body(base);
    api.create_pull(&title, head, base, &body).await
}

/// Finishes what the delivery that created `created` started, or returns `None` when that
/// commit never reached the branch (then a fresh commit on the current head is the right move;
/// the old one stays unreferenced and git collects it).
pub(super) async fn redeliver(
    api: &mut Api<'_>,
    target: &GitHubTarget,
    request: &Describe<'_>,
    created: &str,
    head: &Head,
    branch: &str,
) -> Result<Option<Published>, ForgeError> {
    let done = |branch: String, request_url| {
        Some(Published {
            request_url,
            ..Published::on_branch(created, &branch)
        })
    };
    if target.pull_request || !request.conflicts.is_empty() {
        let export = request_branch(created, request.change);
        match api.get_ref(&export).await {
            Ok(_) => {}
            Err(ForgeError::NotFound(_)) => {
                if exists(api, created).await?.is_none() {
                    return Ok(None);
                }
                api.create_ref(&export, created).await?;
            }
            Err(error) => return Err(error),
        }
        let url = match api.find_pull(&export).await? {
            Some(url) => url,
            None => open_pull(api, request, &export, &head.from).await?,
        };
        return Ok(done(export, Some(url)));
    }
    if head.exists && head.sha == created {
        return Ok(done(branch.to_owned(), None));
    }
    let Some(parents) = exists(api, created).await? else {
        return Ok(None);
    };
    if parents.iter().any(|parent| parent == &head.sha) {
        // Created and recorded, but the ref never moved: move it now.
        return publish(api, target, request, created, head, branch).await.map(Some);
    }
    if head.exists && matches!(api.compare(created, &head.sha).await?.as_str(), "ahead" | "identical") {
        // Published, and someone has built on it since.
        return Ok(done(branch.to_owned(), None));
    }
    Ok(None)
}

/// The commit's parents, or `None` when the repository does not have it.
async fn exists(api: &mut Api<'_>, sha: &str) -> Result<Option<Vec<String>>, ForgeError> {
    match api.get_commit(sha).await {
        Ok(commit) => Ok(Some(
            commit.parents.into_iter().filter_map(|parent| parent.sha).collect(),
        )),
        Err(ForgeError::NotFound(_) | ForgeError::Invalid(_)) => Ok(None),
        Err(error) => Err(error),
    }
}
