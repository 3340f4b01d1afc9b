//! A local stand-in for the GitHub REST API and the GitLab v4 API (127.0.0.1, a free port), one
//! server for both: GitHub under `/`, GitLab under `/api/v4`.
//!
//! It keeps a real git object store ([`store::Store`], git's object ids), so it can REBUILD the
//! tree a client's calls produced ([`ForgeServer::tree_of`]) and walk the history
//! ([`ForgeServer::commits_on`]). It checks the token like the real services (401 with their
//! bodies), answers an empty repository's Git Data calls with 409, refuses non-fast-forward ref
//! updates, honours `base_tree` and `"sha": null` deletions, GitLab's actions and its
//! `last_commit_id` rule. Failures are scriptable per endpoint and occurrence ([`Fail`]), and
//! every request is recorded ([`Call`]).
//!
//! ```ignore
//! let server = ForgeServer::start().await;
//! server.github_repo("acme", "app", &[("README.md", "100644", b"hi\n")]);
//! server.fail(Fail::on("POST", "/git/trees").status(422));
//! let github = GitHub::new(TOKEN, Some(&server.url()))?;
//! ```

mod archive;
mod github;
mod gitlab;
mod http;
mod script;
pub mod store;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::task::JoinHandle;

pub use script::{Call, Fail};
pub use store::CommitInfo;
use store::{Flat, Store};

use crate::loopback;

/// The one token both forges accept. Not shaped like a GitHub/GitLab token, so a test that
/// finds it absent from an error proves the exact-token scrub, not the shape mask.
pub const TOKEN: &str = "forge-test-token-5f2c9a7e1b04";
/// The token's user (GitHub login, GitLab user namespace).
pub const USER: &str = "forgeflow-bot";
/// Organisations (GitHub) / groups (GitLab) that exist.
pub const ORGS: [&str; 3] = ["acme", "acme/platform", "umbrella"];

/// A repository (GitHub) or project (GitLab).
#[derive(Debug, Clone)]
pub struct Repo {
    pub id: u64,
    /// `owner/name` or `group/sub/name`.
    pub path: String,
    pub private: bool,
    pub default_branch: String,
    pub branches: BTreeMap<String, String>,
    pub pulls: Vec<Pull>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pull {
    pub number: u64,
    pub head: String,
    pub base: String,
    pub title: String,
    pub body: String,
}

#[derive(Default)]
pub(crate) struct State {
    pub(crate) store: Store,
    pub(crate) repos: BTreeMap<String, Repo>,
    pub(crate) calls: Vec<Call>,
    pub(crate) fails: Vec<Fail>,
    pub(crate) base_url: String,
    /// Where GitLab's `web_url`s point, when a test makes them hostile.
    pub(crate) web_base: Option<String>,
    next_id: u64,
}

impl State {
    /// The base of the web (not API) addresses GitLab answers with.
    pub(crate) fn web_base(&self) -> &str {
        self.web_base.as_deref().unwrap_or(&self.base_url)
    }

    pub(crate) fn new_repo(&mut self, path: &str, private: bool) -> &mut Repo {
        self.next_id += 1;
        let repo = Repo {
            id: 1000 + self.next_id,
            path: path.to_owned(),
            private,
            default_branch: "main".to_owned(),
            branches: BTreeMap::new(),
            pulls: Vec::new(),
        };
        self.repos.entry(path.to_owned()).or_insert(repo)
    }

    /// A commit of `files` on top of `parent` (none for a root commit).
    pub(crate) fn commit_flat(
        &mut self,
        files: &Flat,
        parent: Option<&str>,
        message: &str,
        who: (&str, &str),
    ) -> String {
        let tree = self.store.put_flat(files);
        self.store.put_commit(CommitInfo {
            sha: String::new(),
            tree,
            parents: parent.map(str::to_owned).into_iter().collect(),
            message: message.to_owned(),
            author_name: who.0.to_owned(),
            author_email: who.1.to_owned(),
            time: chrono::Utc::now().timestamp(),
        })
    }
}

pub struct ForgeServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: JoinHandle<()>,
}

impl Drop for ForgeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ForgeServer {
    pub async fn start() -> Self {
        let (listener, addr) = loopback::bind("the forge server").await;
        let state = Arc::new(Mutex::new(State {
            base_url: format!("http://{addr}"),
            ..State::default()
        }));
        let task = loopback::serve(listener, state.clone(), |state, request| async move {
            http::handle(&state, request).await
        });
        ForgeServer { addr, state, task }
    }

    /// The API root for both `GitHub::new(.., Some(url))` and `GitLab::new(.., url, true)`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// GitLab answers every `web_url` under `base` (`javascript:…//`, say) from now on.
    pub fn web_links_at(&self, base: &str) {
        self.state().web_base = Some(base.to_owned());
    }

    pub fn fail(&self, fail: Fail) -> &Self {
        self.state().fails.push(fail);
        self
    }

    /// A repository (or project) whose default branch `main` holds `files` in one commit;
    /// returns that commit. With no files, the repository is empty (no branch at all).
    pub fn repo(&self, path: &str, files: &[(&str, &str, &[u8])]) -> Option<String> {
        let mut state = self.state();
        state.new_repo(path, true);
        if files.is_empty() {
            return None;
        }
        let mut flat = Flat::new();
        for (file, mode, content) in files {
            let sha = state.store.put_blob(content.to_vec());
            flat.insert((*file).to_owned(), ((*mode).to_owned(), sha));
        }
        let sha = state.commit_flat(&flat, None, "Initial commit", ("Octo Cat", "octo@example.com"));
        state
            .repos
            .get_mut(path)?
            .branches
            .insert("main".to_owned(), sha.clone());
        Some(sha)
    }

    /// Someone else writes to the branch: `None` content deletes the path. Returns the commit.
    pub fn push(&self, path: &str, branch: &str, changes: &[(&str, Option<&[u8]>)]) -> String {
        let mut state = self.state();
        let head = state.repos[path].branches[branch].clone();
        let mut flat = state.store.files_at(&head);
        for (file, content) in changes {
            match content {
                Some(content) => {
                    let sha = state.store.put_blob(content.to_vec());
                    flat.insert((*file).to_owned(), ("100644".to_owned(), sha));
                }
                None => {
                    flat.remove(*file);
                }
            }
        }
        let sha = state.commit_flat(
            &flat,
            Some(&head),
            "A concurrent change",
            ("Someone", "someone@example.com"),
        );
        let repo = state.repos.get_mut(path).expect("repo exists");
        repo.branches.insert(branch.to_owned(), sha.clone());
        sha
    }

    /// Someone starts `branch` at commit `from`, as pushing a new branch does.
    pub fn branch(&self, path: &str, branch: &str, from: &str) {
        let mut state = self.state();
        let repo = state.repos.get_mut(path).expect("repo exists");
        repo.branches.insert(branch.to_owned(), from.to_owned());
    }

    pub fn exists(&self, path: &str) -> bool {
        self.state().repos.contains_key(path)
    }

    pub fn repo_info(&self, path: &str) -> Repo {
        self.state().repos[path].clone()
    }

    pub fn head(&self, path: &str, branch: &str) -> Option<String> {
        self.state().repos.get(path)?.branches.get(branch).cloned()
    }

    /// The branch's files: `path → (mode, content)`, rebuilt from the object store.
    pub fn tree_of(&self, path: &str, branch: &str) -> BTreeMap<String, (String, Vec<u8>)> {
        let state = self.state();
        let Some(head) = state.repos.get(path).and_then(|repo| repo.branches.get(branch)) else {
            return BTreeMap::new();
        };
        state
            .store
            .files_at(head)
            .into_iter()
            .map(|(file, (mode, sha))| {
                let content = state.store.blob(&sha).unwrap_or_default().to_vec();
                (file, (mode, content))
            })
            .collect()
    }

    /// The branch's history along first parents, newest first.
    pub fn commits_on(&self, path: &str, branch: &str) -> Vec<CommitInfo> {
        let state = self.state();
        let mut out = Vec::new();
        let mut next = state
            .repos
            .get(path)
            .and_then(|repo| repo.branches.get(branch))
            .cloned();
        while let Some(sha) = next {
            let Some(commit) = state.store.commit(&sha) else { break };
            next = commit.parents.first().cloned();
            out.push(commit.clone());
        }
        out
    }

    /// A commit's files: `path → (mode, blob id)`.
    pub fn files_at(&self, sha: &str) -> BTreeMap<String, (String, String)> {
        self.state().store.files_at(sha)
    }

    pub fn commit(&self, sha: &str) -> Option<CommitInfo> {
        self.state().store.commit(sha).cloned()
    }

    /// Every request so far, in arrival order.
    pub fn calls(&self) -> Vec<Call> {
        self.state().calls.clone()
    }
}
