//! GitHub when things go wrong: refusals, rate limits, redeliveries, concurrent writers, and
//! the token never showing in an error.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use forgeflow_forges::ForgeError;
use forgeflow_forges::github::GitHub;
use forgeflow_tests::forge_server::{Fail, ForgeServer, TOKEN};

use super::{Export, Forge, With, export, github, target};

pub const SEED: &[(&str, &str, &[u8])] = &[("README.md", "100644", b"# seed\n")];

/// Whether an error is the one a case expects.
type Expect = fn(&ForgeError) -> bool;

fn epoch_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

#[tokio::test]
async fn each_refusal_maps_to_its_error_and_leaves_the_branch_untouched() {
    let server = ForgeServer::start().await;
    let client = github(&server);
    let cases: [(Fail, Expect); 5] = [
        (
            Fail::on("GET", "/f401/git/ref/").status(401).message("Bad credentials"),
            |e| *e == ForgeError::Unauthorized,
        ),
        (
            Fail::on("POST", "/f403/git/trees")
                .status(403)
                .message("Resource not accessible by personal access token"),
            |e| matches!(e, ForgeError::Forbidden(m) if m.contains("Resource not accessible")),
        ),
        (
            Fail::on("POST", "/f404/git/commits").status(404).message("Not Found"),
            |e| matches!(e, ForgeError::NotFound(m) if m.contains("POST /repos/acme/f404/git/commits")),
        ),
        (
            Fail::on("POST", "/f409/git/trees").status(409).message("Conflict"),
            |e| matches!(e, ForgeError::Conflict(_)),
        ),
        (
            Fail::on("PATCH", "/f422/git/refs/")
                .status(422)
                .message("Reference update failed"),
            |e| matches!(e, ForgeError::Invalid(m) if m.contains("Reference update failed")),
        ),
    ];
    for (fail, expected) in cases {
        let repo = fail.path.split('/').nth(1).unwrap().to_owned();
        let path = format!("acme/{repo}");
        let head = server.repo(&path, SEED);
        server.fail(fail.clone());

        let run = export(
            Forge::GitHub(&client, &target("acme", &repo)),
            &Export::project(),
            With::default(),
        )
        .await;

        assert!(expected(run.error()), "{repo}: {:?}", run.error());
        assert_eq!(server.head(&path, "main"), head, "{repo}: the branch did not move");
        assert_eq!(server.commits_on(&path, "main").len(), 1, "{repo}");
        let attempts = server
            .calls()
            .iter()
            .filter(|c| c.method == fail.method && c.path.contains(&fail.path))
            .count();
        assert_eq!(attempts, 1, "{repo}: a refusal is not retried");
    }
}

#[tokio::test]
async fn the_token_never_appears_in_an_error_or_a_debug_print() {
    let server = ForgeServer::start().await;
    let client = github(&server);
    assert!(!format!("{client:?}").contains(TOKEN));
    let echo = |fail: Fail| fail.message("token {token} may not do this");
    let cases = [
        echo(Fail::on("GET", "/t1/git/ref/").status(403)),
        echo(Fail::on("POST", "/t2/git/trees").status(422)),
        echo(Fail::on("POST", "/t3/git/commits").status(404)),
        echo(Fail::on("POST", "/t4/git/trees").status(500).times(10)),
        echo(Fail::on("GET", "/t5/git/ref/").status(401)),
    ];
    for (index, fail) in cases.into_iter().enumerate() {
        let repo = format!("t{}", index + 1);
        server.repo(&format!("acme/{repo}"), SEED);
        server.fail(fail);
        let run = export(
            Forge::GitHub(&client, &target("acme", &repo)),
            &Export::project(),
            With::default(),
        )
        .await;
        let error = run.error();
        for shown in [error.to_string(), format!("{error:?}")] {
            assert!(!shown.contains(TOKEN), "{shown}");
        }
    }
    let wrong = GitHub::new("wrong-token-0123456789", Some(&server.url())).unwrap();
    let run = export(
        Forge::GitHub(&wrong, &target("acme", "t1")),
        &Export::project(),
        With::default(),
    )
    .await;
    assert_eq!(run.error(), &ForgeError::Unauthorized);
    assert!(!run.error().is_retryable());
}

#[tokio::test]
async fn a_primary_rate_limit_is_waited_out_until_its_reset() {
    let server = ForgeServer::start().await;
    server.repo("acme/primary", SEED);
    let reset = epoch_now() + 1;
    server.fail(
        Fail::on("POST", "/git/trees")
            .status(403)
            .message("API rate limit exceeded for user ID 1.")
            .header("x-ratelimit-limit", 5000)
            .header("x-ratelimit-remaining", 0)
            .header("x-ratelimit-reset", reset),
    );
    let files = Export::project();

    let run = export(
        Forge::GitHub(&github(&server), &target("acme", "primary")),
        &files,
        With::default(),
    )
    .await;

    assert_eq!(server.tree_of("acme/primary", "main"), files.tree());
    let calls = server.calls();
    let trees: Vec<_> = calls.iter().filter(|c| c.path.ends_with("/git/trees")).collect();
    assert_eq!(trees.len(), 2);
    assert!(
        trees[1].wall >= UNIX_EPOCH + Duration::from_secs(reset),
        "retried only after the reset"
    );
    assert_eq!(run.outcome().api_calls, 9, "8 calls and one retry");
}

#[tokio::test]
async fn secondary_rate_limits_are_waited_out_after_retry_after() {
    let server = ForgeServer::start().await;
    server.repo("acme/secondary", SEED);
    server
        .fail(
            Fail::on("GET", "/repos/acme/secondary")
                .status(429)
                .header("retry-after", 1),
        )
        .fail(
            Fail::on("POST", "/git/commits")
                .status(403)
                .message("You have exceeded a secondary rate limit. Please wait a few minutes before you try again.")
                .header("retry-after", 1),
        );
    let files = Export::project();

    let run = export(
        Forge::GitHub(&github(&server), &target("acme", "secondary")),
        &files,
        With::default(),
    )
    .await;

    assert_eq!(server.tree_of("acme/secondary", "main"), files.tree());
    let calls = server.calls();
    for path in ["/repos/acme/secondary", "/repos/acme/secondary/git/commits"] {
        let tries: Vec<_> = calls.iter().filter(|c| c.path == path).collect();
        assert_eq!(tries.len(), 2, "{path}");
        assert!(
            tries[1].at - tries[0].at >= Duration::from_secs(1),
            "{path}: waited Retry-After"
        );
    }
    assert_eq!(run.outcome().api_calls, 10);
}

#[tokio::test]
async fn a_rate_limit_beyond_the_wait_budget_hands_the_job_back_with_its_time() {
    let server = ForgeServer::start().await;
    let head = server.repo("acme/later", SEED);
    let reset = epoch_now() + 3600;
    server.fail(
        Fail::on("GET", "/git/ref/")
            .status(403)
            .message("API rate limit exceeded")
            .header("x-ratelimit-remaining", 0)
            .header("x-ratelimit-reset", reset),
    );
    let started = Instant::now();

    let run = export(
        Forge::GitHub(&github(&server), &target("acme", "later")),
        &Export::project(),
        With::default(),
    )
    .await;

    assert!(started.elapsed() < Duration::from_secs(5), "no sleeping in vain");
    let ForgeError::RateLimited { retry_at: Some(at) } = run.error() else {
        panic!("{:?}", run.error())
    };
    assert!((at.timestamp() - reset as i64).abs() <= 2, "{at} vs {reset}");
    assert!(run.error().is_retryable());
    assert_eq!(server.head("acme/later", "main"), head);
}

#[tokio::test]
async fn unsafe_input_is_refused_before_any_call() {
    let server = ForgeServer::start().await;
    let client = github(&server);
    let mut bad_path = Export::project();
    bad_path.set("../escape.txt", "100644", b"x");
    let mut bad_mode = Export::project();
    bad_mode.chmod("README.md", "120000");
    let mut bad_branch = target("acme", "app");
    bad_branch.branch = Some("a..b".into());
    let runs = [
        export(
            Forge::GitHub(&client, &target("acme/../x", "app")),
            &Export::project(),
            With::default(),
        )
        .await,
        export(
            Forge::GitHub(&client, &target("acme", "app?x=1")),
            &Export::project(),
            With::default(),
        )
        .await,
        export(Forge::GitHub(&client, &bad_branch), &Export::project(), With::default()).await,
        export(
            Forge::GitHub(&client, &target("acme", "app")),
            &bad_path,
            With::default(),
        )
        .await,
        export(
            Forge::GitHub(&client, &target("acme", "app")),
            &bad_mode,
            With::default(),
        )
        .await,
    ];
    for run in &runs {
        assert!(matches!(run.error(), ForgeError::Invalid(_)), "{:?}", run.error());
    }
    assert!(server.calls().is_empty());
    assert!(matches!(GitHub::new("two\nlines", None), Err(ForgeError::Invalid(_))));
}
