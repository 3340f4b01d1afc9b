//! The Git Data calls: refs, commits, trees, blobs (see [`Api`] for how each call is made).

use base64::Engine;
use octocrab::models::repos::{CommitAuthor, Ref};
use octocrab::models::{commits::GitCommitObject, git::GitTree};
use octocrab::params::repos::Reference;
use serde_json::Value;

use super::api::Api;
use crate::error::ForgeError;
use crate::session::Repeat;

impl Api<'_> {
    pub(super) async fn get_ref(&mut self, branch: &str) -> Result<String, ForgeError> {
        let (owner, repo) = (self.owner, self.repo);
        let what = format!("GET {}", self.route(&format!("/git/ref/heads/{branch}")));
        let reference = Reference::Branch(branch.to_owned());
        let reference = &reference;
        let found = self
            .call(what, Repeat::Safe, move |o| async move {
                o.repos(owner, repo).get_ref(reference).await
            })
            .await?;
        ref_sha(found)
    }

    pub(super) async fn get_commit(&mut self, sha: &str) -> Result<GitCommitObject, ForgeError> {
        let (owner, repo) = (self.owner, self.repo);
        let what = format!("GET {}", self.route(&format!("/git/commits/{sha}")));
        self.call(what, Repeat::Safe, move |o| async move {
            o.repos(owner, repo).get_commit(sha).await
        })
        .await
    }

    pub(super) async fn get_tree_recursive(&mut self, sha: &str) -> Result<GitTree, ForgeError> {
        let (owner, repo) = (self.owner, self.repo);
        let what = format!("GET {}", self.route(&format!("/git/trees/{sha}?recursive=1")));
        self.call(what, Repeat::Safe, move |o| async move {
            o.repos(owner, repo).get_tree(sha).recursive(true).send().await
        })
        .await
    }

    /// Raw JSON: octocrab's `CreateTreeEntry` cannot say `"sha": null`, which is how a path is deleted.
    pub(super) async fn create_tree(&mut self, body: &Value) -> Result<GitTree, ForgeError> {
        let route = self.route("/git/trees");
        let what = format!("POST {route}");
        let route = route.as_str();
        self.call(
            what,
            Repeat::Safe,
            move |o| async move { o.post(route, Some(body)).await },
        )
        .await
    }

    pub(super) async fn create_blob(&mut self, base64: &str) -> Result<String, ForgeError> {
        let (owner, repo) = (self.owner, self.repo);
        let what = format!("POST {}", self.route("/git/blobs"));
        let blob = self
            .call(what, Repeat::Safe, move |o| async move {
                o.repos(owner, repo).create_blob(base64).encoding("base64").send().await
            })
            .await?;
        Ok(blob.sha)
    }

    /// A blob's bytes (`GET /git/blobs/{sha}`: base64 in JSON, line-wrapped).
    pub(super) async fn get_blob(&mut self, sha: &str) -> Result<Vec<u8>, ForgeError> {
        let route = self.route(&format!("/git/blobs/{sha}"));
        let what = format!("GET {route}");
        let route = route.as_str();
        let blob: Value = self
            .call(
                what,
                Repeat::Safe,
                move |o| async move { o.get(route, None::<&()>).await },
            )
            .await?;
        let encoded: String = blob["content"]
            .as_str()
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|error| ForgeError::Transport(format!("GitHub sent blob {sha} in bad base64: {error}")))
    }

    pub(super) async fn create_commit(
        &mut self,
        message: &str,
        tree: &str,
        parent: &str,
        author: &CommitAuthor,
    ) -> Result<String, ForgeError> {
        let (owner, repo) = (self.owner, self.repo);
        let what = format!("POST {}", self.route("/git/commits"));
        let commit = self
            .call(what, Repeat::Safe, move |o| async move {
                o.git(owner, repo)
                    .create_commit(message, tree)
                    .parents(vec![parent.to_owned()])
                    .author(author.clone())
                    .send()
                    .await
            })
            .await?;
        Ok(commit.sha)
    }

    /// A fast-forward only move: a branch someone else moved meanwhile makes GitHub refuse.
    pub(super) async fn update_ref(&mut self, branch: &str, sha: &str) -> Result<(), ForgeError> {
        let (owner, repo) = (self.owner, self.repo);
        let what = format!("PATCH {}", self.route(&format!("/git/refs/heads/{branch}")));
        let reference = Reference::Branch(branch.to_owned());
        let reference = &reference;
        let moved = self
            .call(what, Repeat::Safe, move |o| async move {
                o.repos(owner, repo)
                    .update_ref(reference, sha)
                    .force(false)
                    .send()
                    .await
            })
            .await;
        match moved {
            Ok(_) => Ok(()),
            Err(ForgeError::Invalid(message)) if message.contains("fast forward") => Err(ForgeError::Conflict(
                format!("the branch {branch:?} moved during the export ({message}); export again"),
            )),
            Err(error) => Err(error),
        }
    }

    pub(super) async fn create_ref(&mut self, branch: &str, sha: &str) -> Result<(), ForgeError> {
        let (owner, repo) = (self.owner, self.repo);
        let what = format!("POST {}", self.route("/git/refs"));
        let reference = Reference::Branch(branch.to_owned());
        let reference = &reference;
        self.call(what, Repeat::Once, move |o| async move {
            o.repos(owner, repo).create_ref(reference, sha).await
        })
        .await
        .map(drop)
    }
}

fn ref_sha(found: Ref) -> Result<String, ForgeError> {
    match found.object {
        octocrab::models::repos::Object::Commit { sha, .. } => Ok(sha),
        other => Err(ForgeError::Invalid(format!(
            "the branch does not point at a commit: {other:?}"
        ))),
    }
}
