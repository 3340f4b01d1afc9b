//! GitHub through octocrab and the Git Data API: one tree, one commit, one ref update.
//!
//! Calls for an export to an existing repository, whatever the number of text files:
//! `GET /repos/{o}/{r}`, `GET /git/ref/heads/{b}`, `GET /git/commits/{head}`, [`GET
//! /git/trees/{t}?recursive=1` only when `previous` is not the head], `POST /git/trees`, `POST
//! /git/commits`, `PATCH /git/refs/heads/{b}` — 6 or 7. Add `GET /user` + `POST .../repos` when
//! the repository is created, `PUT /contents/README.md` + one `GET /git/ref` when it is empty,
//! one `POST /git/blobs` per changed binary file, `POST /git/refs` + `POST /pulls` in
//! pull-request mode (instead of the `PATCH`). Reading a branch as one archive: `read.rs`.

mod api;
mod deliver;
mod git;
mod read;
mod tree;

use std::fmt;
use std::time::Duration;

use octocrab::Octocrab;
use octocrab::models::repos::CommitAuthor;

use crate::diff::{Base, Entry, base_from_files};
use crate::error::{ForgeError, scrub};
use crate::publish::{Describe, Published};
use crate::session::{DEFAULT_WAIT_BUDGET, Session};
use crate::{CommitRequest, Outcome, merge, names};
use api::Api;
use forgeflow_domain::export::is_web_link;

/// Inline text one `POST /git/trees` carries by default before the rest goes into a chained
/// request (GitHub documents no limit, but very large bodies time out).
pub const TREE_REQUEST_BYTES: usize = 16 * 1024 * 1024;

const USER_AGENT: &str = concat!("forgeflow/", env!("CARGO_PKG_VERSION"));

/// A GitHub client for one token. Build it once per container and reuse it.
pub struct GitHub {
    octo: Octocrab,
    token: String,
    wait_budget: Duration,
    tree_request_bytes: usize,
}

impl fmt::Debug for GitHub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitHub")
            .field("token", &"[redacted]")
            .field("wait_budget", &self.wait_budget)
            .finish_non_exhaustive()
    }
}

/// Where an export goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitHubTarget {
    /// A user (the token's own) or an organisation.
    pub owner: String,
    pub repo: String,
    /// Visibility when the repository has to be created; an existing one is left as it is.
    pub private: bool,
    /// Default: the repository's default branch. A branch that does not exist yet is created
    /// from the default branch's head.
    pub branch: Option<String>,
    /// Commit on `forgeflow/export-<12 hex of the commit>` and open a pull request into `branch`
    /// (the default branch when `branch` is unset or does not exist) instead of moving it.
    pub pull_request: bool,
}

/// The branch to commit on, as found.
#[derive(Debug, Clone)]
pub(super) struct Head {
    /// The commit the new one goes on top of.
    pub sha: String,
    /// `false`: the branch is new and `sha` is the default branch's head.
    pub exists: bool,
    /// The branch `sha` was read from: the pull request's base in pull-request mode.
    pub from: String,
}

impl GitHub {
    /// `base_url`: `None` for api.github.com; `https://HOST/api/v3` for GitHub Enterprise Server;
    /// the local forge server in tests. TLS is rustls, through the workspace's reqwest.
    pub fn new(token: &str, base_url: Option<&str>) -> Result<Self, ForgeError> {
        let token = token.trim();
        // octocrab turns the token into a header value and panics on one that cannot be.
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ForgeError::Invalid(
                "the GitHub token is empty or has characters an HTTP header cannot carry".into(),
            ));
        }
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|error| ForgeError::Transport(format!("building the HTTP client failed: {error}")))?;
        let mut builder = Octocrab::builder().personal_token(token.to_owned());
        if let Some(base) = base_url {
            builder = builder
                .base_uri(base.trim_end_matches('/'))
                .map_err(|_| ForgeError::Invalid(format!("{base:?} is not a valid GitHub API base URL")))?;
        }
        let octo = builder.build_with_reqwest(http).map_err(|error| {
            ForgeError::Transport(scrub(&format!("building the GitHub client failed: {error}"), token))
        })?;
        Ok(GitHub {
            octo,
            token: token.to_owned(),
            wait_budget: DEFAULT_WAIT_BUDGET,
            tree_request_bytes: TREE_REQUEST_BYTES,
        })
    }

    /// How long one export may sleep on rate limits and retries before handing the job back.
    pub fn with_wait_budget(mut self, budget: Duration) -> Self {
        self.wait_budget = budget;
        self
    }

    /// Inline text per `POST /git/trees` ([`TREE_REQUEST_BYTES`] by default); beyond it the tree is
    /// built in chained requests, each on the previous one's result.
    pub fn with_tree_request_bytes(mut self, bytes: usize) -> Self {
        self.tree_request_bytes = bytes.max(1);
        self
    }

    pub async fn export(&self, target: &GitHubTarget, request: CommitRequest<'_>) -> Result<Outcome, ForgeError> {
        names::github_owner(&target.owner)?;
        names::repo_name(&target.repo)?;
        if let Some(branch) = &target.branch {
            names::branch(branch)?;
        }
        names::files(request.files)?;
        let session = Session::new(self.wait_budget);
        let mut api = Api::new(&self.octo, &self.token, session, &target.owner, &target.repo);
        let run = run(&mut api, target, &request, self.tree_request_bytes);
        let (repository_url, created_repository, published) = run.await?;
        Ok(Outcome {
            repository_url,
            commit_sha: published.commit_sha,
            branch: published.branch,
            pull_request_url: published.request_url.filter(|url| is_web_link(url)),
            created_repository,
            api_calls: api.session.calls,
            merged: published.merged,
            conflicts: published.conflicts,
        })
    }
}

async fn run(
    api: &mut Api<'_>,
    target: &GitHubTarget,
    request: &CommitRequest<'_>,
    tree_request_bytes: usize,
) -> Result<(String, bool, Published), ForgeError> {
    let (repository, created) = match api.repository().await {
        Ok(repository) => (repository, false),
        Err(ForgeError::NotFound(_)) => {
            let login = api.login().await?;
            let org = (!login.eq_ignore_ascii_case(&target.owner)).then_some(target.owner.as_str());
            (api.create_repository(org, target.private).await?, true)
        }
        Err(error) => return Err(error),
    };
    let repository_url = repository
        .html_url
        .map(|url| url.to_string())
        .filter(|url| is_web_link(url))
        .unwrap_or_else(|| format!("https://github.com/{}/{}", target.owner, target.repo));
    let default_branch = repository.default_branch.unwrap_or_else(|| "main".to_owned());
    let branch = target.branch.clone().unwrap_or_else(|| default_branch.clone());
    names::branch(&branch)?;
    let head = head(api, &branch, &default_branch).await?;
    // The branch moved since our last export (or a merge left it unlike our files): merge.
    let moved = request
        .previous
        .filter(|previous| head.exists && (previous.commit_sha != head.sha || !previous.exact));
    // The branch's tree, its listing and the merge, when the branch moved.
    let merge = match moved {
        Some(previous) => {
            let tree = api.get_commit(&head.sha).await?.tree.sha;
            let theirs = remote_base(api, &tree).await?;
            let merged = merge::three_way(api, previous, &theirs, request.files, request.read).await?;
            Some((tree, theirs, merged))
        }
        None => None,
    };
    let merged = merge.as_ref().map(|(_, _, merged)| merged);
    let describe = Describe {
        message: request.message,
        change: request.change,
        conflicts: merged.map_or(&[], |merged| &merged.conflicts),
    };

    if let Some(created_sha) = request.already_created
        && let Some(done) = deliver::redeliver(api, target, &describe, created_sha, &head, &branch).await?
    {
        return Ok((repository_url, created, done.with_merge(merged)));
    }

    let listed;
    let (base_tree, files, base): (String, &[crate::RemoteFile], &Base) = match &merge {
        Some((tree, theirs, merged)) => (tree.clone(), &merged.files, theirs),
        None => {
            let tree = api.get_commit(&head.sha).await?.tree.sha;
            listed = match request.previous.filter(|previous| previous.commit_sha == head.sha) {
                Some(previous) => base_from_files(&previous.files),
                None => remote_base(api, &tree).await?,
            };
            (tree, request.files, &listed)
        }
    };
    let no_contents = std::collections::HashMap::new();
    let read = merge::reading(merged.map_or(&no_contents, |merged| &merged.contents), request.read);
    let Some(tree) = tree::build(api, files, &read, &base_tree, base, tree_request_bytes).await? else {
        // The branch already holds exactly this export: a commit would change nothing.
        let unchanged = Published::on_branch(&head.sha, &branch);
        return Ok((repository_url, created, unchanged.with_merge(merged)));
    };
    let author = CommitAuthor {
        name: request.author_name.to_owned(),
        email: Some(request.author_email.to_owned()),
        date: None,
    };
    let sha = api.create_commit(request.message, &tree, &head.sha, &author).await?;
    (request.on_commit)(&sha).await?;
    let published = deliver::publish(api, target, &describe, &sha, &head, &branch).await?;
    Ok((repository_url, created, published.with_merge(merged)))
}

impl merge::Blobs for Api<'_> {
    fn blob(&mut self, sha: &str) -> impl Future<Output = Result<Vec<u8>, ForgeError>> + Send {
        self.get_blob(sha)
    }
}

/// The branch's head, seeding an empty repository and falling back to the default branch for
/// a branch that does not exist yet.
async fn head(api: &mut Api<'_>, branch: &str, default_branch: &str) -> Result<Head, ForgeError> {
    match api.get_ref(branch).await {
        Ok(sha) => {
            let from = branch.to_owned();
            return Ok(Head {
                sha,
                exists: true,
                from,
            });
        }
        // GitHub's words for a repository without commits ("Git Repository is empty.").
        Err(ForgeError::Conflict(message)) if message.contains("Repository is empty") => api.seed().await?,
        Err(ForgeError::NotFound(_)) if branch != default_branch => {}
        Err(error) => return Err(error),
    }
    let sha = api.get_ref(default_branch).await?;
    Ok(Head {
        sha,
        exists: branch == default_branch,
        from: default_branch.to_owned(),
    })
}

/// The head's files, listed in one call (GitHub's recursive tree).
async fn remote_base(api: &mut Api<'_>, tree: &str) -> Result<Base, ForgeError> {
    let listing = api.get_tree_recursive(tree).await?;
    if listing.truncated {
        return Err(ForgeError::Invalid(
            "the branch's tree is too large for GitHub to list in one call; export to a new branch or repository"
                .into(),
        ));
    }
    Ok(listing
        .tree
        .into_iter()
        .filter(|entry| entry.r#type == "blob" || entry.r#type == "commit")
        .map(|entry| {
            let value = Entry {
                mode: entry.mode,
                sha: entry.sha,
            };
            (entry.path, value)
        })
        .collect())
}
