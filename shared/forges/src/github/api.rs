//! The GitHub calls one export makes, each through [`Session::run`] (counted, rate limits waited
//! out, transient failures retried when repeating is harmless) and mapped to [`ForgeError`].
//! octocrab's typed endpoints are used where they exist; its error keeps the response headers,
//! which is what the rate-limit handling needs.

use std::future::Future;

use octocrab::Octocrab;
use octocrab::models::{Repository, pulls::PullRequest};
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::error::{ForgeError, describe, scrub};
use crate::session::{Failure, Repeat, Session, failure};

pub(super) struct Api<'g> {
    octo: &'g Octocrab,
    token: &'g str,
    pub(super) session: Session,
    pub(super) owner: &'g str,
    pub(super) repo: &'g str,
}

impl<'g> Api<'g> {
    pub(super) fn new(octo: &'g Octocrab, token: &'g str, session: Session, owner: &'g str, repo: &'g str) -> Self {
        Api {
            octo,
            token,
            session,
            owner,
            repo,
        }
    }

    pub(super) async fn call<T, F, Fut>(&mut self, what: String, repeat: Repeat, f: F) -> Result<T, ForgeError>
    where
        F: Fn(&'g Octocrab) -> Fut,
        Fut: Future<Output = octocrab::Result<T>>,
    {
        let (octo, token, what) = (self.octo, self.token, what.as_str());
        self.session
            .run(repeat, || {
                let pending = f(octo);
                async move { pending.await.map_err(|error| classify(error, what, token)) }
            })
            .await
    }

    pub(super) fn route(&self, tail: &str) -> String {
        format!("/repos/{}/{}{tail}", self.owner, self.repo)
    }

    pub(super) async fn repository(&mut self) -> Result<Repository, ForgeError> {
        let (owner, repo) = (self.owner, self.repo);
        let what = format!("GET {}", self.route(""));
        self.call(
            what,
            Repeat::Safe,
            move |o| async move { o.repos(owner, repo).get().await },
        )
        .await
    }

    pub(super) async fn login(&mut self) -> Result<String, ForgeError> {
        let user = self
            .call(
                "GET /user".into(),
                Repeat::Safe,
                |o| async move { o.current().user().await },
            )
            .await?;
        Ok(user.login)
    }

    /// `auto_init` so the repository is born with a commit and the Git Data API works at once.
    pub(super) async fn create_repository(
        &mut self,
        org: Option<&str>,
        private: bool,
    ) -> Result<Repository, ForgeError> {
        let repo = self.repo;
        match org {
            None => {
                let what = "POST /user/repos".to_owned();
                self.call(what, Repeat::Once, move |o| async move {
                    o.current()
                        .create_repo(repo)
                        .private(private)
                        .auto_init(true)
                        .send()
                        .await
                })
                .await
            }
            Some(org) => {
                let what = format!("POST /orgs/{org}/repos");
                self.call(what, Repeat::Once, move |o| async move {
                    o.orgs(org)
                        .create_repo(repo)
                        .private(private)
                        .auto_init(true)
                        .send()
                        .await
                })
                .await
            }
        }
    }

    /// An empty repository answers 409 to every Git Data call; one file through the contents API
    /// gives it a first commit on its default branch.
    pub(super) async fn seed(&mut self) -> Result<(), ForgeError> {
        let (owner, repo) = (self.owner, self.repo);
        let what = format!("PUT {}", self.route("/contents/README.md"));
        let readme = format!("# {repo}\n");
        let readme = readme.as_str();
        let seeded = self
            .call(what, Repeat::Once, move |o| async move {
                o.repos(owner, repo)
                    .create_file("README.md", "Initial commit", readme)
                    .send()
                    .await
            })
            .await;
        match seeded {
            // Someone else's first commit landed in between: the repository is no longer empty.
            Ok(_) | Err(ForgeError::Invalid(_)) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// GitHub's `status` of `head` against `base`: `ahead`, `behind`, `identical` or `diverged`.
    pub(super) async fn compare(&mut self, base: &str, head: &str) -> Result<String, ForgeError> {
        let route = self.route(&format!("/compare/{base}...{head}"));
        let what = format!("GET {route}");
        let route = route.as_str();
        let answer: Value = self
            .call(
                what,
                Repeat::Safe,
                move |o| async move { o.get(route, None::<&()>).await },
            )
            .await?;
        Ok(answer["status"].as_str().unwrap_or_default().to_owned())
    }

    pub(super) async fn find_pull(&mut self, branch: &str) -> Result<Option<String>, ForgeError> {
        let (owner, repo) = (self.owner, self.repo);
        let what = format!("GET {}", self.route("/pulls"));
        let head = format!("{owner}:{branch}");
        let head = head.as_str();
        let page = self
            .call(what, Repeat::Safe, move |o| async move {
                let pulls = o.pulls(owner, repo);
                pulls.list().head(head).state(octocrab::params::State::All).send().await
            })
            .await?;
        Ok(page.items.into_iter().find_map(pull_url))
    }

    pub(super) async fn create_pull(
        &mut self,
        title: &str,
        head: &str,
        base: &str,
        body: &str,
    ) -> Result<String, ForgeError> {
        let (owner, repo) = (self.owner, self.repo);
        let what = format!("POST {}", self.route("/pulls"));
        let pull = self
            .call(what, Repeat::Once, move |o| async move {
                o.pulls(owner, repo).create(title, head, base).body(body).send().await
            })
            .await?;
        pull_url(pull).ok_or_else(|| ForgeError::Transport("GitHub created the pull request without a URL".into()))
    }
}

fn pull_url(pull: PullRequest) -> Option<String> {
    pull.html_url
        .map(|url| url.to_string())
        .filter(|url| forgeflow_domain::export::is_web_link(url))
}

fn classify(error: octocrab::Error, what: &str, token: &str) -> Failure {
    match error {
        octocrab::Error::GitHub { source, .. } => {
            let mut message = source.message.clone();
            for detail in source.errors.iter().flatten() {
                let detail = detail["message"]
                    .as_str()
                    .map_or_else(|| detail.to_string(), str::to_owned);
                message = format!("{message}; {detail}");
            }
            let message = scrub(&format!("{what}: {message}"), token);
            let empty = HeaderMap::new();
            failure(
                source.status_code.as_u16(),
                source.headers.as_ref().unwrap_or(&empty),
                message,
            )
        }
        other => Failure::Transient(scrub(&format!("{what}: {}", describe(&other)), token)),
    }
}
