//! Reading a branch from GitLab: its head commit and its whole tree in one download.
//!
//! Calls: `GET /projects/:path`, `GET /projects/:id/repository/branches/:branch`, `GET
//! /projects/:id/repository/archive.tar.gz?sha=<head>` — 3. The archive is asked for by sha, so a
//! push in between cannot make the bytes disagree with `commit_sha`. A redirect is refused like on
//! every other GitLab call (see `api.rs`): it would take the token past the SSRF check.

use reqwest::Url;
use serde_json::Value;

use super::api::Api;
use super::{GitLab, Project};
use crate::capped::Capped;
use crate::error::{ForgeError, describe, scrub};
use crate::session::{Failure, Repeat, Session, failure};
use crate::{Tarball, names};

/// An error's body is a line of JSON; more than this is not worth reading.
const ERROR_BODY_BYTES: usize = 16 * 1024;

impl GitLab {
    /// The branch's head commit and its tree as GitLab archives it (a gzip'd tar whose entries
    /// sit under `{name}-{sha}-{sha}/`). `branch`: the default branch when `None`. A body over
    /// `max_bytes` is refused ([`ForgeError::Invalid`]); a missing project or branch is
    /// [`ForgeError::NotFound`].
    pub async fn tarball(
        &self,
        project_path: &str,
        branch: Option<&str>,
        max_bytes: u64,
    ) -> Result<Tarball, ForgeError> {
        names::gitlab_project_path(project_path)?;
        if let Some(branch) = branch {
            names::branch(branch)?;
        }
        let mut api = Api::new(&self.http, &self.root, &self.token, Session::new(self.wait_budget));
        let url = api.url(&["projects", project_path], &[])?;
        let project: Project = api.get(url).await.map_err(|error| match error {
            ForgeError::NotFound(_) => ForgeError::NotFound(format!(
                "the GitLab project {project_path} does not exist or the token cannot see it"
            )),
            other => other,
        })?;
        let branch = match (branch, project.default_branch) {
            (Some(branch), _) => branch.to_owned(),
            (None, Some(default)) => default,
            (None, None) => {
                return Err(ForgeError::NotFound(format!(
                    "the GitLab project {project_path} is empty: it has no branch"
                )));
            }
        };
        names::branch(&branch)?;
        let id = project.id.to_string();
        let url = api.url(&["projects", &id, "repository", "branches", &branch], &[])?;
        let found: Value = api.get(url).await.map_err(|error| match error {
            ForgeError::NotFound(_) => {
                ForgeError::NotFound(format!("the GitLab project {project_path} has no branch {branch:?}"))
            }
            other => other,
        })?;
        let commit_sha = found["commit"]["id"].as_str().unwrap_or_default().to_owned();
        if commit_sha.is_empty() || !commit_sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ForgeError::Transport(format!(
                "GitLab answered {commit_sha:?} as the head of {branch:?}, which is not a commit id"
            )));
        }
        let url = api.url(
            &["projects", &id, "repository", "archive.tar.gz"],
            &[("sha", &commit_sha)],
        )?;
        let described = format!(
            "GitLab's archive of {project_path} at {}",
            &commit_sha[..commit_sha.len().min(8)]
        );
        let (http, token) = (&self.http, self.token.as_str());
        let bytes = api
            .session
            .run(Repeat::Safe, || {
                download(http, url.clone(), &described, token, max_bytes)
            })
            .await?;
        Ok(Tarball {
            commit_sha,
            branch,
            bytes,
        })
    }
}

/// One attempt at the archive. `api.rs` reads bodies whole, so this one streams on its own; its
/// refusals are classified the same way.
async fn download(
    http: &reqwest::Client,
    url: Url,
    described: &str,
    token: &str,
    max_bytes: u64,
) -> Result<Vec<u8>, Failure> {
    let what = format!("GET {}", url.path());
    let transient = |error: reqwest::Error| Failure::Transient(scrub(&format!("{what}: {}", describe(&error)), token));
    let mut response = http.get(url).send().await.map_err(transient)?;
    let status = response.status();
    if status.is_redirection() {
        let to = response
            .headers()
            .get("location")
            .and_then(|value| value.to_str().ok())
            .unwrap_or("?");
        return Err(Failure::Fatal(ForgeError::UnsafeUrl(scrub(
            &format!("{what}: GitLab redirected to {to}; configure the final URL instead"),
            token,
        ))));
    }
    if !status.is_success() {
        let headers = response.headers().clone();
        let mut body = Vec::new();
        while body.len() < ERROR_BODY_BYTES
            && let Ok(Some(chunk)) = response.chunk().await
        {
            body.extend_from_slice(&chunk);
        }
        let reason = reason(&body).unwrap_or_else(|| status.canonical_reason().unwrap_or("no reason").to_owned());
        return Err(failure(
            status.as_u16(),
            &headers,
            scrub(&format!("{what}: {reason}"), token),
        ));
    }
    let mut capped = Capped::new(described, max_bytes, response.headers()).map_err(Failure::Fatal)?;
    while let Some(chunk) = response.chunk().await.map_err(transient)? {
        capped.push(&chunk).map_err(Failure::Fatal)?;
    }
    Ok(capped.into_bytes())
}

/// GitLab's `message` (`404 File Not Found`), else its `error`, else the text itself.
fn reason(body: &[u8]) -> Option<String> {
    let text = |value: &Value| value.as_str().map_or_else(|| value.to_string(), str::to_owned);
    match serde_json::from_slice::<Value>(body) {
        Ok(json) if !json["message"].is_null() => Some(text(&json["message"])),
        Ok(json) if !json["error"].is_null() => Some(text(&json["error"])),
        _ => {
            let text = String::from_utf8_lossy(body).trim().to_owned();
            (!text.is_empty()).then_some(text)
        }
    }
}
