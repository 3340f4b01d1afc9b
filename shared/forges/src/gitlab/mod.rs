//! GitLab through its v4 REST API and reqwest: one atomic commit with many actions.
//!
//! Calls for an export to an existing project: `GET /projects/:path`, `GET
//! /repository/branches/:branch`, [`GET /repository/tree` pages of 100, only when `previous` is
//! not the head], `POST /repository/commits` — 3, plus one per 100 files when the tree is listed.
//! Add `GET /repository/branches/:export` + `POST /merge_requests` in merge-request mode, and two
//! `GET /repository/blobs/:sha/raw` per file both sides changed when the branch moved.
//! Every `update`/`delete`/`chmod` action carries `last_commit_id` = the head we read: GitLab
//! then refuses (400 "has changed since you started editing it", mapped to
//! [`ForgeError::Conflict`]) when a concurrent writer touched one of those files, instead of
//! overwriting it. (GitLab ≥ 15.10 compares the file's last commit as of that id; older versions
//! required the file's own last commit and would refuse most updates.) Reading a branch as one
//! archive: `read.rs`.

mod actions;
mod api;
mod deliver;
mod read;

use std::fmt;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::{HeaderMap, HeaderValue};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::ForgeError;
use crate::session::{DEFAULT_WAIT_BUDGET, Session};
use forgeflow_domain::export::is_web_link;

use crate::{CommitRequest, Outcome, names};
use api::Api;

const USER_AGENT: &str = concat!("forgeflow/", env!("CARGO_PKG_VERSION"));

/// A GitLab client for one token and one instance.
pub struct GitLab {
    http: reqwest::Client,
    root: Url,
    token: String,
    wait_budget: Duration,
}

impl fmt::Debug for GitLab {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitLab")
            .field("root", &self.root.as_str())
            .field("token", &"[redacted]")
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitLabTarget {
    /// `group/sub/name`; a project that does not exist is created in the `group/sub` namespace
    /// (or the token's own namespace for a bare `name`).
    pub project_path: String,
    /// Visibility when the project has to be created.
    pub private: bool,
    /// Default: the project's default branch. A missing branch is created from the default one.
    pub branch: Option<String>,
    /// Commit on a `forgeflow/…` branch and open a merge request into `branch` (the default
    /// branch when `branch` is unset or does not exist) instead of moving it.
    pub merge_request: bool,
}

#[derive(Debug, Deserialize)]
struct Project {
    id: u64,
    web_url: String,
    default_branch: Option<String>,
    #[serde(default)]
    empty_repo: bool,
}

impl GitLab {
    /// `base_url`: the instance (`https://gitlab.com`, `https://git.example.com/gitlab`). It must be
    /// https and its host must resolve to public addresses only, unless `allow_private_network`
    /// (local testing only: it also allows plain http). Refusals are [`ForgeError::UnsafeUrl`].
    pub async fn new(token: &str, base_url: &str, allow_private_network: bool) -> Result<Self, ForgeError> {
        let token = token.trim();
        let invalid =
            || ForgeError::Invalid("the GitLab token is empty or has characters an HTTP header cannot carry".into());
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid());
        }
        let checked = forgeflow_egress::check("the GitLab URL", base_url, allow_private_network)
            .await
            .map_err(|error| match error {
                forgeflow_egress::EgressError::Unsafe(why) => ForgeError::UnsafeUrl(why),
                forgeflow_egress::EgressError::Unresolved(why) => ForgeError::Transport(why),
            })?;
        let mut secret = HeaderValue::from_str(token).map_err(|_| invalid())?;
        secret.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert("private-token", secret);
        let builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .default_headers(headers)
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .redirect(reqwest::redirect::Policy::none());
        let http = checked
            .pin(builder)
            .build()
            .map_err(|error| ForgeError::Transport(format!("building the HTTP client failed: {error}")))?;
        let mut root = checked.url;
        root.path_segments_mut()
            .map_err(|()| ForgeError::UnsafeUrl(format!("{base_url:?} cannot be a base URL")))?
            .pop_if_empty()
            .extend(["api", "v4"]);
        Ok(GitLab {
            http,
            root,
            token: token.to_owned(),
            wait_budget: DEFAULT_WAIT_BUDGET,
        })
    }

    /// How long one export may sleep on rate limits and retries before handing the job back.
    pub fn with_wait_budget(mut self, budget: Duration) -> Self {
        self.wait_budget = budget;
        self
    }

    pub async fn export(&self, target: &GitLabTarget, request: CommitRequest<'_>) -> Result<Outcome, ForgeError> {
        names::gitlab_project_path(&target.project_path)?;
        if let Some(branch) = &target.branch {
            names::branch(branch)?;
        }
        names::files(request.files)?;
        let mut api = Api::new(&self.http, &self.root, &self.token, Session::new(self.wait_budget));
        let (project, created_repository) = project(&mut api, target).await?;
        let default_branch = project.default_branch.clone().unwrap_or_else(|| "main".to_owned());
        let branch = target.branch.clone().unwrap_or_else(|| default_branch.clone());
        names::branch(&branch)?;
        let published = deliver::deliver(&mut api, &project, target, &branch, &default_branch, &request).await?;
        // The page links to it: an answer that is no http(s) address gives way to the path's.
        let repository_url = if is_web_link(&project.web_url) {
            project.web_url
        } else {
            let api = self.root.as_str().trim_end_matches('/');
            format!("{}/{}", api.trim_end_matches("/api/v4"), target.project_path)
        };
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

async fn project(api: &mut Api<'_>, target: &GitLabTarget) -> Result<(Project, bool), ForgeError> {
    let url = api.url(&["projects", &target.project_path], &[])?;
    match api.get::<Project>(url).await {
        Ok(project) => return Ok((project, false)),
        Err(ForgeError::NotFound(_)) => {}
        Err(error) => return Err(error),
    }
    let (namespace, name) = match target.project_path.rsplit_once('/') {
        Some((namespace, name)) => (Some(namespace), name),
        None => (None, target.project_path.as_str()),
    };
    let visibility = if target.private { "private" } else { "public" };
    // A README gives the project a first commit and a default branch, like GitHub's auto_init.
    let mut body = json!({"name": name, "path": name, "visibility": visibility, "initialize_with_readme": true});
    if let Some(namespace) = namespace {
        let url = api.url(&["namespaces", namespace], &[])?;
        let found: Value = api.get(url).await?;
        body["namespace_id"] = found["id"].clone();
    }
    let url = api.url(&["projects"], &[])?;
    Ok((api.post(url, &body).await?, true))
}
