//! GitHub targets that need more than a commit: pull requests, empty repositories, repositories
//! that do not exist yet.

use forgeflow_tests::forge_server::{ForgeServer, USER};

use super::github::README;
use super::{Export, Forge, With, calls_since, export, github, target};

#[tokio::test]
async fn pull_request_mode_commits_on_an_export_branch_and_opens_a_pull_request() {
    let server = ForgeServer::start().await;
    let initial = server.repo("acme/pr", README).unwrap();
    let client = github(&server);
    let files = Export::project();
    let mut pr_target = target("acme", "pr");
    pr_target.pull_request = true;

    let run = export(Forge::GitHub(&client, &pr_target), &files, With::default()).await;

    let outcome = run.outcome();
    assert_eq!(
        server.head("acme/pr", "main"),
        Some(initial),
        "the base branch is not moved"
    );
    assert_eq!(
        outcome.branch,
        format!("forgeflow/export-{}", &outcome.commit_sha[..12])
    );
    assert_eq!(
        server.head("acme/pr", &outcome.branch).as_deref(),
        Some(outcome.commit_sha.as_str())
    );
    assert_eq!(server.tree_of("acme/pr", &outcome.branch), files.tree());
    let pulls = server.repo_info("acme/pr").pulls;
    assert_eq!(pulls.len(), 1);
    assert_eq!(
        (pulls[0].head.as_str(), pulls[0].base.as_str()),
        (outcome.branch.as_str(), "main")
    );
    assert_eq!(pulls[0].title, "Book Loans: export of generation 42");
    assert_eq!(
        outcome.pull_request_url,
        Some(format!("{}/acme/pr/pull/1", server.url()))
    );
}

#[tokio::test]
async fn an_empty_repository_is_seeded_through_the_contents_api_first() {
    let server = ForgeServer::start().await;
    server.repo("acme/empty", &[]);
    let client = github(&server);
    let files = Export::project();

    let run = export(
        Forge::GitHub(&client, &target("acme", "empty")),
        &files,
        With::default(),
    )
    .await;

    run.outcome();
    let calls = calls_since(&server, 0);
    assert_eq!(calls[1].1, "/repos/acme/empty/git/ref/heads/main");
    assert_eq!(
        server.calls()[1].status,
        409,
        "an empty repository refuses Git Data calls"
    );
    assert_eq!(calls[2], ("PUT".into(), "/repos/acme/empty/contents/README.md".into()));
    assert_eq!(server.tree_of("acme/empty", "main"), files.tree());
    let history = server.commits_on("acme/empty", "main");
    assert_eq!(history.len(), 2, "the seed commit and the export");
}

#[tokio::test]
async fn a_missing_repository_is_created_for_the_token_user_or_for_the_org() {
    let server = ForgeServer::start().await;
    let client = github(&server);
    let files = Export::project();

    let mine = export(Forge::GitHub(&client, &target(USER, "fresh")), &files, With::default()).await;
    let before = server.calls().len();
    let org = export(
        Forge::GitHub(&client, &target("acme", "fresh")),
        &files,
        With::default(),
    )
    .await;

    assert!(mine.outcome().created_repository && org.outcome().created_repository);
    let calls = server.calls();
    let user_repo = calls.iter().find(|c| c.path == "/user/repos").unwrap();
    assert_eq!(user_repo.body["private"], true);
    assert_eq!(user_repo.body["auto_init"], true);
    assert!(
        calls[before..]
            .iter()
            .any(|c| c.method == "POST" && c.path == "/orgs/acme/repos")
    );
    assert!(!calls[before..].iter().any(|c| c.path == "/user/repos"));
    for repo in [format!("{USER}/fresh"), "acme/fresh".to_owned()] {
        assert_eq!(server.tree_of(&repo, "main"), files.tree(), "{repo}");
        assert_eq!(
            server.commits_on(&repo, "main").len(),
            2,
            "auto_init's commit, then the export"
        );
        assert!(server.repo_info(&repo).private);
    }

    let nowhere = export(Forge::GitHub(&client, &target("nobody", "x")), &files, With::default()).await;
    assert!(
        matches!(nowhere.error(), forgeflow_forges::ForgeError::NotFound(_)),
        "{:?}",
        nowhere.error()
    );
}
