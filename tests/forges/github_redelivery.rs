//! GitHub redeliveries (at-least-once SQS): a job that already created its commit never makes a
//! second one; and a concurrent writer is refused, not overwritten.

use forgeflow_forges::ForgeError;
use forgeflow_tests::forge_server::{Fail, ForgeServer};

use super::github_faults::SEED;
use super::{Export, Forge, With, calls_since, export, github, target};

#[tokio::test]
async fn a_redelivery_after_the_ref_moved_makes_no_second_commit() {
    let server = ForgeServer::start().await;
    server.repo("acme/again", SEED);
    let client = github(&server);
    let files = Export::project();
    let first = export(
        Forge::GitHub(&client, &target("acme", "again")),
        &files,
        With::default(),
    )
    .await;
    let created = first.recorded[0].0.clone();
    let before = server.calls().len();

    let with = With {
        already_created: Some(&created),
        ..With::default()
    };
    let again = export(Forge::GitHub(&client, &target("acme", "again")), &files, with).await;

    assert_eq!(again.outcome().commit_sha, created);
    assert!(again.recorded.is_empty() && again.reads.is_empty());
    assert_eq!(server.commits_on("acme/again", "main").len(), 2);
    assert_eq!(
        calls_since(&server, before).len(),
        2,
        "the repository and the ref: nothing else"
    );

    // Someone built on it since: still done, still no commit.
    let theirs = server.push("acme/again", "main", &[("notes.txt", Some(b"later\n"))]);
    let later = export(Forge::GitHub(&client, &target("acme", "again")), &files, with).await;
    assert_eq!(later.outcome().commit_sha, created);
    assert_eq!(server.head("acme/again", "main"), Some(theirs));
    assert_eq!(server.commits_on("acme/again", "main").len(), 3);
}

#[tokio::test]
async fn a_redelivery_before_the_ref_moved_only_moves_the_ref() {
    let server = ForgeServer::start().await;
    let seed = server.repo("acme/halfway", SEED);
    let client = github(&server);
    let files = Export::project();
    server.fail(
        Fail::on("PATCH", "/git/refs/heads/main")
            .status(403)
            .message("Forbidden"),
    );
    let first = export(
        Forge::GitHub(&client, &target("acme", "halfway")),
        &files,
        With::default(),
    )
    .await;
    assert!(matches!(first.error(), ForgeError::Forbidden(_)));
    assert_eq!(
        server.head("acme/halfway", "main"),
        seed,
        "the commit exists, the branch did not move"
    );
    let created = first.recorded[0].0.clone();
    let before = server.calls().len();

    let with = With {
        already_created: Some(&created),
        ..With::default()
    };
    let again = export(Forge::GitHub(&client, &target("acme", "halfway")), &files, with).await;

    assert_eq!(again.outcome().commit_sha, created);
    assert_eq!(server.head("acme/halfway", "main").as_deref(), Some(created.as_str()));
    assert_eq!(server.commits_on("acme/halfway", "main").len(), 2);
    let methods: Vec<String> = calls_since(&server, before).into_iter().map(|(m, _)| m).collect();
    assert_eq!(
        methods,
        ["GET", "GET", "GET", "PATCH"],
        "repo, ref, the created commit, the ref update"
    );
    assert!(again.recorded.is_empty());
    assert_eq!(server.tree_of("acme/halfway", "main"), files.tree());
}

#[tokio::test]
async fn a_pull_request_redelivery_opens_the_missing_pull_request_once() {
    let server = ForgeServer::start().await;
    server.repo("acme/prr", SEED);
    let client = github(&server);
    let files = Export::project();
    let mut pr = target("acme", "prr");
    pr.pull_request = true;
    server.fail(Fail::on("POST", "/pulls").status(502));
    let first = export(Forge::GitHub(&client, &pr), &files, With::default()).await;
    assert!(first.error().is_retryable(), "{:?}", first.error());
    let created = first.recorded[0].0.clone();

    let with = With {
        already_created: Some(&created),
        ..With::default()
    };
    let second = export(Forge::GitHub(&client, &pr), &files, with).await;
    let third = export(Forge::GitHub(&client, &pr), &files, with).await;

    assert_eq!(second.outcome().commit_sha, created);
    assert_eq!(second.outcome().pull_request_url, third.outcome().pull_request_url);
    assert_eq!(server.repo_info("acme/prr").pulls.len(), 1);
    assert!(
        server
            .calls()
            .iter()
            .filter(|c| c.path.ends_with("/git/commits") && c.method == "POST")
            .count()
            == 1
    );
}

#[tokio::test]
async fn a_concurrent_writer_makes_the_ref_update_fail_instead_of_being_overwritten() {
    let server = ForgeServer::start().await;
    server.repo("acme/race", SEED);
    let theirs = std::sync::Mutex::new(None);
    let push = || {
        let mut theirs = theirs.lock().unwrap();
        if theirs.is_none() {
            *theirs = Some(server.push("acme/race", "main", &[("theirs.txt", Some(b"mine!\n"))]));
        }
    };
    let with = With {
        during_read: Some(&push),
        ..With::default()
    };

    let run = export(
        Forge::GitHub(&github(&server), &target("acme", "race")),
        &Export::project(),
        with,
    )
    .await;

    assert!(
        matches!(run.error(), ForgeError::Conflict(m) if m.contains("moved")),
        "{:?}",
        run.error()
    );
    assert!(run.error().is_retryable());
    assert_eq!(server.head("acme/race", "main"), theirs.lock().unwrap().clone());
    assert!(server.tree_of("acme/race", "main").contains_key("theirs.txt"));
}
