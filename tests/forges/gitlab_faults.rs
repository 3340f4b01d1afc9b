//! GitLab project creation, rate limits, refusals, and the SSRF checks on the base URL.

use std::time::Duration;

use forgeflow_forges::ForgeError;
use forgeflow_forges::gitlab::GitLab;
use forgeflow_tests::forge_server::{Fail, ForgeServer, TOKEN};

use super::gitlab::{PROJECT, gitlab, seeded, target};
use super::{Export, Forge, With, export};

#[tokio::test]
async fn a_missing_project_is_created_in_its_group_with_a_readme() {
    let server = ForgeServer::start().await;
    let client = gitlab(&server).await;
    let files = Export::project();

    let run = export(
        Forge::GitLab(&client, &target("acme/platform/fresh")),
        &files,
        With::default(),
    )
    .await;

    assert!(run.outcome().created_repository);
    let calls = server.calls();
    assert_eq!(calls[1].path, "/api/v4/namespaces/acme%2Fplatform");
    let create = &calls[2];
    assert_eq!(
        (create.method.as_str(), create.path.as_str()),
        ("POST", "/api/v4/projects")
    );
    assert_eq!(create.body["path"], "fresh");
    assert_eq!(create.body["visibility"], "private");
    assert_eq!(create.body["initialize_with_readme"], true);
    assert!(create.body["namespace_id"].is_u64());
    assert_eq!(server.tree_of("acme/platform/fresh", "main"), files.tree());
    let missing = export(Forge::GitLab(&client, &target("nobody/x")), &files, With::default()).await;
    assert!(
        matches!(missing.error(), ForgeError::NotFound(m) if m.contains("Namespace")),
        "{:?}",
        missing.error()
    );
}

#[tokio::test]
async fn gitlab_rate_limits_are_waited_out_and_refusals_are_mapped() {
    let server = ForgeServer::start().await;
    seeded(&server, PROJECT);
    server.fail(
        Fail::on("POST", "/repository/commits")
            .status(429)
            .header("retry-after", 1),
    );
    let client = gitlab(&server).await;
    let files = Export::project();

    let run = export(Forge::GitLab(&client, &target(PROJECT)), &files, With::default()).await;

    assert_eq!(
        server.tree_of(PROJECT, "main"),
        files.tree(),
        "a 429 means not processed: retried"
    );
    let posts: Vec<_> = server.calls().into_iter().filter(|c| c.method == "POST").collect();
    assert_eq!(posts.len(), 2);
    assert!(posts[1].at - posts[0].at >= Duration::from_secs(1));
    assert_eq!(run.outcome().api_calls, 5);

    let reset = chrono::Utc::now().timestamp() + 3600;
    server.fail(
        Fail::on("GET", "/repository/branches/")
            .status(429)
            .header("ratelimit-remaining", 0)
            .header("ratelimit-reset", reset),
    );
    let later = export(
        Forge::GitLab(&client, &target(PROJECT)),
        &Export::many(3),
        With::default(),
    )
    .await;
    assert!(
        matches!(later.error(), ForgeError::RateLimited { retry_at: Some(at) } if (at.timestamp() - reset).abs() <= 2)
    );

    server.fail(Fail::on("GET", "/projects/").status(403).message("403 Forbidden"));
    let forbidden = export(Forge::GitLab(&client, &target(PROJECT)), &files, With::default()).await;
    assert!(
        matches!(forbidden.error(), ForgeError::Forbidden(_)),
        "{:?}",
        forbidden.error()
    );

    let wrong = GitLab::new("wrong-token-987654321", &server.url(), true).await.unwrap();
    let refused = export(Forge::GitLab(&wrong, &target(PROJECT)), &files, With::default()).await;
    assert_eq!(refused.error(), &ForgeError::Unauthorized);
    assert!(!format!("{client:?}").contains(TOKEN));
}

#[tokio::test]
async fn unsafe_gitlab_urls_are_refused_unless_the_local_switch_is_on() {
    let refused = [
        ("http://gitlab.example.com", "https"),
        ("https://127.0.0.1", "loopback"),
        ("https://10.0.0.5", "private"),
        ("https://169.254.169.254", "link-local"),
        ("https://[::1]", "loopback"),
        ("https://localhost", "loopback"),
        ("https://100.64.1.1", "CGNAT"),
        ("https://[fd00::1]", "unique local"),
        ("https://token@gitlab.example.com", "credentials"),
    ];
    for (url, reason) in refused {
        match GitLab::new(TOKEN, url, false).await {
            Err(ForgeError::UnsafeUrl(why)) => assert!(why.contains(reason), "{url}: {why}"),
            other => panic!("{url}: {other:?}"),
        }
    }
    let server = ForgeServer::start().await;
    assert!(
        GitLab::new(TOKEN, &server.url(), false).await.is_err(),
        "http on loopback needs the switch"
    );
    assert!(GitLab::new(TOKEN, &server.url(), true).await.is_ok());
}
