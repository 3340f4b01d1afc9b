//! Reading a branch from GitHub: its head commit and its whole tree in one download.
//!
//! Calls: `GET /repos/{o}/{r}`, `GET /git/ref/heads/{b}`, `GET /repos/{o}/{r}/tarball/{sha}` — 3.
//! The repository is read even when a branch is named, so that a missing repository and a missing
//! branch get different answers. The archive is asked for by sha, not branch, so a push in between
//! cannot make the bytes disagree with `commit_sha`. GitHub answers it with a 302 to
//! codeload.github.com, which reqwest follows within the same call; it drops the Authorization
//! header on the way to that other host (codeload's URL carries a short-lived token of its own).

use http_body_util::BodyExt;

use super::GitHub;
use super::api::Api;
use crate::capped::Capped;
use crate::error::ForgeError;
use crate::session::{Repeat, Session};
use crate::{Tarball, names};

impl GitHub {
    /// The branch's head commit and its tree as GitHub archives it (a gzip'd tar whose entries
    /// sit under `{owner}-{repo}-{sha7}/`). `branch`: the default branch when `None`. A body over
    /// `max_bytes` is refused ([`ForgeError::Invalid`]); a missing repository or branch is
    /// [`ForgeError::NotFound`].
    pub async fn tarball(
        &self,
        owner: &str,
        repo: &str,
        branch: Option<&str>,
        max_bytes: u64,
    ) -> Result<Tarball, ForgeError> {
        names::github_owner(owner)?;
        names::repo_name(repo)?;
        if let Some(branch) = branch {
            names::branch(branch)?;
        }
        let session = Session::new(self.wait_budget);
        let mut api = Api::new(&self.octo, &self.token, session, owner, repo);
        let repository = api.repository().await.map_err(|error| match error {
            ForgeError::NotFound(_) => ForgeError::NotFound(format!(
                "the GitHub repository {owner}/{repo} does not exist or the token cannot see it"
            )),
            other => other,
        })?;
        let branch = match branch {
            Some(branch) => branch.to_owned(),
            None => repository.default_branch.unwrap_or_else(|| "main".to_owned()),
        };
        // The default branch comes from GitHub's answer and goes into a URL path.
        names::branch(&branch)?;
        let commit_sha = match api.get_ref(&branch).await {
            Ok(sha) => sha,
            Err(ForgeError::NotFound(_)) => {
                return Err(ForgeError::NotFound(format!(
                    "the GitHub repository {owner}/{repo} has no branch {branch:?}"
                )));
            }
            // GitHub's words for a repository without commits ("Git Repository is empty.").
            Err(ForgeError::Conflict(message)) if message.contains("Repository is empty") => {
                return Err(ForgeError::NotFound(format!(
                    "the GitHub repository {owner}/{repo} is empty: it has no branch {branch:?}"
                )));
            }
            Err(error) => return Err(error),
        };
        if commit_sha.is_empty() || !commit_sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ForgeError::Transport(format!(
                "GitHub answered {commit_sha:?} as the head of {branch:?}, which is not a commit id"
            )));
        }
        let bytes = download(&mut api, &commit_sha, max_bytes).await?;
        Ok(Tarball {
            commit_sha,
            branch,
            bytes,
        })
    }
}

/// The archive's bytes. A dropped connection mid-body is an octocrab error like any other, so
/// the session retries the whole download; a body over the limit is final.
async fn download(api: &mut Api<'_>, sha: &str, max_bytes: u64) -> Result<Vec<u8>, ForgeError> {
    let route = api.route(&format!("/tarball/{sha}"));
    let described = format!(
        "GitHub's archive of {}/{} at {}",
        api.owner,
        api.repo,
        &sha[..sha.len().min(7)]
    );
    let (route, described) = (route.as_str(), described.as_str());
    api.call(format!("GET {route}"), Repeat::Safe, move |o| async move {
        // The raw call: octocrab's typed ones would parse the body as JSON.
        let response = octocrab::map_github_error(o._get(route).await?).await?;
        let mut capped = match Capped::new(described, max_bytes, response.headers()) {
            Ok(capped) => capped,
            Err(refused) => return Ok(Err(refused)),
        };
        let mut body = response.into_body();
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame?.into_data()
                && let Err(refused) = capped.push(&data)
            {
                return Ok(Err(refused));
            }
        }
        Ok(Ok(capped.into_bytes()))
    })
    .await?
}
