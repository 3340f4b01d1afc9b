//! Delivers a generated project to a forge as ONE commit, safely and idempotently.
//!
//! - **GitHub** ([`github::GitHub`], octocrab): repository created if missing (user or org, with
//!   `auto_init`), an empty repository seeded through the contents API, then the Git Data API:
//!   read the branch ref and its commit, list the remote tree only when the last export is not the
//!   head, ONE `POST /git/trees` with `base_tree` and entries for the changed paths only (text
//!   inline, deletions as `sha: null`), one commit, `on_commit`, one fast-forward ref update. The
//!   number of calls does not grow with the number of files — except that each changed
//!   *binary* (non-UTF-8) file costs one `POST /git/blobs`, and a tree request carries at most
//!   [`github::TREE_REQUEST_BYTES`] of inline text by default (one more chained request per
//!   such chunk; [`github::GitHub::with_tree_request_bytes`]).
//!   Pull-request mode commits on `forgeflow/export-<12 hex>` and opens a PR instead.
//! - **GitLab** ([`gitlab::GitLab`], reqwest): base URL checked against SSRF (https only, no
//!   private/loopback/link-local/CGNAT addresses, DNS answers pinned), project created if
//!   missing, then ONE atomic `POST /repository/commits` with `create`/`update`/`delete`/`chmod`
//!   actions; those that touch existing files carry `last_commit_id` = the head we read, so a
//!   concurrent writer makes GitLab refuse instead of being overwritten.
//! - **Branches that moved** ([`merge`]): when the branch is not where the last export left it
//!   (someone edited the repository), the export is a three-way merge that keeps their edits;
//!   what does not merge goes to a request of its own that lists the conflicts.
//! - **Idempotency**: [`CommitRequest::already_created`] (recorded through
//!   [`CommitRequest::on_commit`]) makes a redelivery finish the job instead of committing again;
//!   an export that changes nothing makes no commit at all.
//! - **Reads** ([`github::GitHub::tarball`], [`gitlab::GitLab::tarball`]): a branch's head commit
//!   and its whole tree as ONE gzip'd tar download ([`Tarball`]), three calls on either forge, the
//!   archive asked for by sha; GitHub's redirect to codeload is followed, GitLab's never (SSRF), and
//!   a body over the caller's `max_bytes` is refused as it arrives.
//! - **Failures** ([`ForgeError`]): mapped from the forge's status, rate limits waited out within
//!   a budget ([`DEFAULT_WAIT_BUDGET`]) or handed back with `retry_at`; the branch is never moved
//!   by a failed export, and no message ever contains the token.

mod capped;
mod content;
mod diff;
mod error;
pub mod github;
pub mod gitlab;
mod merge;
mod names;
mod publish;
mod session;

use futures_util::future::BoxFuture;

pub use error::ForgeError;
pub use session::DEFAULT_WAIT_BUDGET;

/// A branch's tree as the forge archives it: a gzip'd tar whose entries sit under one top folder.
#[derive(Clone, PartialEq, Eq)]
pub struct Tarball {
    /// The commit archived (the branch's head when it was read).
    pub commit_sha: String,
    /// The branch read (the default branch when none was asked for).
    pub branch: String,
    /// The gzip'd tar bytes, as downloaded.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Tarball {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tarball")
            .field("commit_sha", &self.commit_sha)
            .field("branch", &self.branch)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// One file of the export, as the generation's manifest describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteFile {
    /// Relative, `/`-separated.
    pub path: String,
    /// `"100644"` or `"100755"`.
    pub mode: String,
    /// Lowercase hex SHA-1 of `blob {len}\0{content}`.
    pub git_blob_id: String,
    pub size: u64,
}

/// What the previous export to this same target left (recorded by the worker), for incremental commits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Previous {
    pub commit_sha: String,
    pub files: Vec<RemoteFile>,
    /// The commit's tree was exactly `files` (false after a merge kept edits made on the forge):
    /// only then may the next export trust `files` as the branch's tree without listing it.
    pub exact: bool,
}

/// Reads one file's content (only changed files are read).
pub type ReadFn<'a> = dyn Fn(&RemoteFile) -> BoxFuture<'a, Result<Vec<u8>, ForgeError>> + Send + Sync + 'a;

/// Records the new commit's sha.
pub type CommitHook<'a> = dyn Fn(&str) -> BoxFuture<'a, Result<(), ForgeError>> + Send + Sync + 'a;

pub struct CommitRequest<'a> {
    pub files: &'a [RemoteFile],
    /// Content of a file, fetched lazily (only changed files are read).
    pub read: &'a ReadFn<'a>,
    pub previous: Option<&'a Previous>,
    pub message: &'a str,
    /// Names the branch of a pull/merge request: `forgeflow/<change>-<commit>` (a change
    /// request's slug), else `forgeflow/export-<commit>`.
    pub change: Option<&'a str>,
    pub author_name: &'a str,
    pub author_email: &'a str,
    /// A commit this job already created on an earlier delivery (the worker records it): if the
    /// branch already points at it (or has moved past it), nothing is done; if the commit exists
    /// but the branch was not moved yet, only the ref is updated. Never a second commit.
    pub already_created: Option<&'a str>,
    /// Called with the new commit's sha after it is created and BEFORE the ref moves (GitHub), so
    /// the worker can record it. GitLab creates the commit and moves the branch in one atomic call,
    /// so there it is called right after that call.
    pub on_commit: &'a CommitHook<'a>,
}

impl std::fmt::Debug for CommitRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommitRequest")
            .field("files", &self.files.len())
            .field("previous", &self.previous.map(|previous| &previous.commit_sha))
            .field("message", &self.message)
            .field("already_created", &self.already_created)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The repository's web page.
    pub repository_url: String,
    /// The commit the branch now holds for this export (the head itself when nothing changed).
    pub commit_sha: String,
    /// The branch that holds it (in pull-request mode, the export branch).
    pub branch: String,
    pub pull_request_url: Option<String>,
    pub created_repository: bool,
    /// HTTP requests made, retries included.
    pub api_calls: u32,
    /// The branch had moved since the last export: the commit merges its edits with ours.
    pub merged: bool,
    /// What did not merge; non-empty means the commit went to a pull/merge request's branch.
    pub conflicts: Vec<forgeflow_domain::merge::MergeConflict>,
}
