//! GitLab: one atomic commit with actions, `last_commit_id` guarding against concurrent
//! writers, project creation, rate limits, redelivery, and the SSRF checks on the base URL.

use forgeflow_forges::ForgeError;
use forgeflow_forges::gitlab::{GitLab, GitLabTarget};
use forgeflow_tests::forge_server::{ForgeServer, TOKEN};
use serde_json::Value;

use super::{AUTHOR, Export, Forge, MESSAGE, With, calls_since, export};

pub const PROJECT: &str = "acme/platform/app";

pub async fn gitlab(server: &ForgeServer) -> GitLab {
    GitLab::new(TOKEN, &server.url(), true)
        .await
        .expect("the local switch allows http on loopback")
}

pub fn target(path: &str) -> GitLabTarget {
    GitLabTarget {
        project_path: path.to_owned(),
        private: true,
        branch: None,
        merge_request: false,
    }
}

pub fn seeded(server: &ForgeServer, path: &str) -> String {
    let files: &[(&str, &str, &[u8])] = &[
        ("README.md", "100644", b"# old\n"),
        ("old.txt", "100644", b"stale\n"),
        ("scripts/check.sh", "100644", b"#!/bin/sh\nset -eu\ncargo test\n"),
    ];
    server.repo(path, files).unwrap()
}

fn actions(body: &Value) -> Vec<(String, String)> {
    body["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["action"].as_str().unwrap().to_owned(),
                a["file_path"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn exporting_to_gitlab_makes_one_commit_whose_tree_is_exactly_the_export() {
    let server = ForgeServer::start().await;
    let head = seeded(&server, PROJECT);
    let client = gitlab(&server).await;
    let files = Export::project();

    let run = export(Forge::GitLab(&client, &target(PROJECT)), &files, With::default()).await;

    let outcome = run.outcome();
    assert_eq!(server.tree_of(PROJECT, "main"), files.tree());
    let history = server.commits_on(PROJECT, "main");
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].sha, outcome.commit_sha);
    assert_eq!(history[0].parents, vec![head.clone()]);
    assert_eq!(
        (history[0].author_name.as_str(), history[0].author_email.as_str()),
        AUTHOR
    );
    assert_eq!(history[0].message, MESSAGE);
    assert_eq!(outcome.repository_url, format!("{}/{PROJECT}", server.url()));
    assert_eq!(run.recorded.len(), 1);

    let calls = server.calls();
    assert!(
        calls.iter().all(|c| c.auth.as_deref() == Some(TOKEN)),
        "PRIVATE-TOKEN on every call"
    );
    let paths: Vec<(String, String)> = calls_since(&server, 0);
    assert_eq!(
        paths[0],
        ("GET".into(), "/api/v4/projects/acme%2Fplatform%2Fapp".into())
    );
    assert!(
        paths[2].1.ends_with("/repository/tree"),
        "no previous: the remote tree is listed"
    );
    assert_eq!(paths.iter().filter(|(m, _)| m == "POST").count(), 1, "one commit call");
    let commit = calls.iter().find(|c| c.method == "POST").unwrap();
    let mut got = actions(&commit.body);
    got.sort();
    let expected = [
        ("chmod", "scripts/check.sh"),
        ("create", "assets/logo.png"),
        ("create", "docs/windows.txt"),
        ("create", "src/main.rs"),
        ("delete", "old.txt"),
        ("update", "README.md"),
    ];
    assert_eq!(got, expected.map(|(a, p)| (a.to_owned(), p.to_owned())));
    for action in commit.body["actions"].as_array().unwrap() {
        if action["action"] != "create" {
            assert_eq!(action["last_commit_id"], head.as_str(), "{action}");
        }
        if action["file_path"] == "assets/logo.png" {
            assert_eq!(action["encoding"], "base64");
        } else if action["action"] == "create" {
            assert_eq!(action["encoding"], "text");
        }
    }
    assert_eq!(commit.body["branch"], "main");
    assert_eq!(outcome.api_calls, 4, "project, branch, tree page, commit");
}

#[tokio::test]
async fn an_incremental_gitlab_export_sends_actions_for_the_changed_paths_only() {
    let server = ForgeServer::start().await;
    seeded(&server, PROJECT);
    let client = gitlab(&server).await;
    let first = Export::project();
    let run = export(Forge::GitLab(&client, &target(PROJECT)), &first, With::default()).await;
    let first_commit = run.outcome().commit_sha.clone();
    let mut second = first.clone();
    second.set("src/main.rs", "100755", b"fn main() {}\n");
    second.set("src/lib.rs", "100644", b"pub fn added() {}\n");
    second.remove("assets/logo.png");
    second.chmod("README.md", "100755");
    let previous = first.previous(&first_commit);
    let before = server.calls().len();

    let with = With {
        previous: Some(&previous),
        ..With::default()
    };
    let run = export(Forge::GitLab(&client, &target(PROJECT)), &second, with).await;

    assert_eq!(server.tree_of(PROJECT, "main"), second.tree());
    assert_eq!(server.commits_on(PROJECT, "main")[0].parents, vec![first_commit]);
    let calls = &server.calls()[before..];
    assert_eq!(calls.len(), 3, "project, branch, commit: no tree listing");
    let mut got = actions(&calls[2].body);
    got.sort();
    let expected = [
        ("chmod", "README.md"),
        ("chmod", "src/main.rs"),
        ("create", "src/lib.rs"),
        ("delete", "assets/logo.png"),
        ("update", "src/main.rs"),
    ];
    assert_eq!(got, expected.map(|(a, p)| (a.to_owned(), p.to_owned())));
    let mut reads = run.reads.clone();
    reads.sort();
    assert_eq!(reads, ["src/lib.rs", "src/main.rs"]);
}

#[tokio::test]
async fn a_large_gitlab_tree_is_listed_page_by_page() {
    let server = ForgeServer::start().await;
    let client = gitlab(&server).await;
    let files = Export::many(250);
    server.repo("umbrella/big", &[("README.md", "100644", b"x\n")]);
    export(Forge::GitLab(&client, &target("umbrella/big")), &files, With::default()).await;
    let before = server.calls().len();
    let mut changed = files.clone();
    changed.set("src/m1/f1.rs", "100644", b"changed\n");

    let run = export(
        Forge::GitLab(&client, &target("umbrella/big")),
        &changed,
        With::default(),
    )
    .await;

    assert_eq!(server.tree_of("umbrella/big", "main"), changed.tree());
    let pages = server.calls()[before..]
        .iter()
        .filter(|c| c.path.ends_with("/repository/tree"))
        .count();
    assert!(
        pages >= 3,
        "250 files and their directories need 3+ pages of 100, got {pages}"
    );
    assert_eq!(run.reads, ["src/m1/f1.rs"]);
}

#[tokio::test]
async fn a_concurrent_change_to_a_guarded_file_is_refused_not_overwritten() {
    let server = ForgeServer::start().await;
    seeded(&server, PROJECT);
    let theirs = std::sync::Mutex::new(None);
    let push = || {
        let mut theirs = theirs.lock().unwrap();
        if theirs.is_none() {
            *theirs = Some(server.push(PROJECT, "main", &[("README.md", Some(b"their edit\n"))]));
        }
    };
    let with = With {
        during_read: Some(&push),
        ..With::default()
    };

    let run = export(
        Forge::GitLab(&gitlab(&server).await, &target(PROJECT)),
        &Export::project(),
        with,
    )
    .await;

    assert!(
        matches!(run.error(), ForgeError::Conflict(m) if m.contains("README.md")),
        "{:?}",
        run.error()
    );
    assert_eq!(server.head(PROJECT, "main"), theirs.lock().unwrap().clone());
    assert_eq!(
        server.tree_of(PROJECT, "main")["README.md"].1,
        b"their edit\n",
        "their edit survives"
    );
    assert!(run.recorded.is_empty());
}

#[tokio::test]
async fn a_gitlab_redelivery_makes_no_second_commit() {
    let server = ForgeServer::start().await;
    seeded(&server, PROJECT);
    let client = gitlab(&server).await;
    let files = Export::project();
    let first = export(Forge::GitLab(&client, &target(PROJECT)), &files, With::default()).await;
    let created = first.recorded[0].0.clone();

    let with = With {
        already_created: Some(&created),
        ..With::default()
    };
    let before = server.calls().len();
    let again = export(Forge::GitLab(&client, &target(PROJECT)), &files, with).await;
    assert_eq!(again.outcome().commit_sha, created);
    assert_eq!(server.calls().len() - before, 2, "project and branch");

    server.push(PROJECT, "main", &[("notes.txt", Some(b"later\n"))]);
    let later = export(Forge::GitLab(&client, &target(PROJECT)), &files, with).await;
    assert_eq!(
        later.outcome().commit_sha,
        created,
        "already on the branch, under someone's newer commit"
    );
    assert_eq!(server.commits_on(PROJECT, "main").len(), 3);
    assert!(later.recorded.is_empty());
}
