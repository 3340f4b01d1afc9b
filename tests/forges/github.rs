//! GitHub: the tree is rebuilt from the server, one commit with one parent, a constant number
//! of calls, incremental diffs, pull requests, empty repositories, repository creation.

use forgeflow_tests::forge_server::{ForgeServer, TOKEN};
use serde_json::Value;

use forgeflow_forges::Previous;

use super::{AUTHOR, Export, Forge, MESSAGE, With, calls_since, export, github, target};

pub const README: &[(&str, &str, &[u8])] = &[("README.md", "100644", b"# old\n"), ("old.txt", "100644", b"stale\n")];

#[tokio::test]
async fn exporting_to_github_makes_one_commit_whose_tree_is_exactly_the_export() {
    let server = ForgeServer::start().await;
    let initial = server.repo("acme/app", README).unwrap();
    let client = github(&server);
    let files = Export::project();

    let run = export(Forge::GitHub(&client, &target("acme", "app")), &files, With::default()).await;

    let outcome = run.outcome();
    assert_eq!(
        server.tree_of("acme/app", "main"),
        files.tree(),
        "the branch holds exactly the export"
    );
    let history = server.commits_on("acme/app", "main");
    assert_eq!(history.len(), 2);
    let commit = &history[0];
    assert_eq!(commit.sha, outcome.commit_sha);
    assert_eq!(commit.parents, vec![initial], "exactly one parent: the previous head");
    assert_eq!((commit.author_name.as_str(), commit.author_email.as_str()), AUTHOR);
    assert_eq!(commit.message, MESSAGE);
    assert_eq!(outcome.branch, "main");
    assert_eq!(outcome.repository_url, format!("{}/acme/app", server.url()));
    assert!(!outcome.created_repository);
    assert_eq!(outcome.pull_request_url, None);

    let calls = calls_since(&server, 0);
    let expected = [
        ("GET", "/repos/acme/app".to_owned()),
        ("GET", "/repos/acme/app/git/ref/heads/main".to_owned()),
        ("GET", format!("/repos/acme/app/git/commits/{}", history[1].sha)),
        ("GET", format!("/repos/acme/app/git/trees/{}", history[1].tree)),
        ("POST", "/repos/acme/app/git/blobs".to_owned()),
        ("POST", "/repos/acme/app/git/trees".to_owned()),
        ("POST", "/repos/acme/app/git/commits".to_owned()),
        ("PATCH", "/repos/acme/app/git/refs/heads/main".to_owned()),
    ];
    let expected: Vec<(String, String)> = expected.iter().map(|(m, p)| (m.to_string(), p.clone())).collect();
    assert_eq!(
        calls, expected,
        "one blob for the one binary file, one tree, one commit, one ref update"
    );
    assert_eq!(outcome.api_calls, 8);
    let all = server.calls();
    assert!(
        all.iter()
            .all(|call| call.auth.as_deref() == Some(&format!("Bearer {TOKEN}")))
    );
    let tree = &all[5].body;
    assert_eq!(tree["base_tree"], history[1].tree.as_str(), "built on the head's tree");
    let deleted: Vec<&Value> = tree["tree"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e.get("sha") == Some(&Value::Null))
        .collect();
    assert_eq!(deleted.len(), 1, "the stale file is deleted with sha: null");
    assert_eq!(deleted[0]["path"], "old.txt");

    // on_commit saw the commit before the ref moved.
    assert_eq!(run.recorded.len(), 1);
    assert_eq!(run.recorded[0].0, outcome.commit_sha);
    assert!(run.recorded[0].1 <= all[7].at);
}

#[tokio::test]
async fn the_number_of_calls_is_the_same_for_10_1000_and_5000_text_files() {
    let server = ForgeServer::start().await;
    let client = github(&server);
    let mut counts = Vec::new();
    for count in [10, 1_000, 5_000] {
        let repo = format!("n{count}");
        server.repo(&format!("acme/{repo}"), README);
        let files = Export::many(count);
        let before = server.calls().len();
        let first = export(Forge::GitHub(&client, &target("acme", &repo)), &files, With::default()).await;
        let fresh = server.calls().len() - before;
        assert_eq!(server.tree_of(&format!("acme/{repo}"), "main"), files.tree());

        let mut changed = files.clone();
        changed.set("src/m0/f0.rs", "100644", b"changed\n");
        let previous = files.previous(&first.outcome().commit_sha);
        let with = With {
            previous: Some(&previous),
            ..With::default()
        };
        let before = server.calls().len();
        let second = export(Forge::GitHub(&client, &target("acme", &repo)), &changed, with).await;
        let incremental = server.calls().len() - before;
        assert_eq!(second.reads, vec!["src/m0/f0.rs"], "only the changed file is read");
        counts.push((
            count,
            first.outcome().api_calls,
            fresh,
            second.outcome().api_calls,
            incremental,
        ));
    }
    println!("(files, calls, calls seen by the server, incremental calls, seen) = {counts:?}");
    for (_, calls, fresh, incremental_calls, incremental) in &counts {
        assert_eq!(
            (*calls, *fresh),
            (7, 7),
            "repo, ref, commit, tree listing, tree, commit, ref"
        );
        assert_eq!(
            (*incremental_calls, *incremental),
            (6, 6),
            "no tree listing when previous is the head"
        );
    }
}

#[tokio::test]
async fn an_incremental_export_commits_only_the_changed_added_deleted_and_chmodded_paths() {
    let server = ForgeServer::start().await;
    server.repo("acme/inc", README);
    let client = github(&server);
    let first = Export::project();
    let run = export(Forge::GitHub(&client, &target("acme", "inc")), &first, With::default()).await;
    let first_commit = run.outcome().commit_sha.clone();

    let mut second = first.clone();
    second.set("src/main.rs", "100644", b"fn main() {}\n");
    second.set("src/lib.rs", "100644", b"pub fn added() {}\n");
    second.remove("docs/windows.txt");
    second.chmod("README.md", "100755");
    let previous = first.previous(&first_commit);
    let before = server.calls().len();
    let with = With {
        previous: Some(&previous),
        ..With::default()
    };
    let run = export(Forge::GitHub(&client, &target("acme", "inc")), &second, with).await;

    assert_eq!(server.tree_of("acme/inc", "main"), second.tree());
    let history = server.commits_on("acme/inc", "main");
    assert_eq!(
        history[0].parents,
        vec![first_commit.clone()],
        "one parent: the previous export"
    );
    let base = server.files_at(&first_commit);
    let now = server.files_at(&history[0].sha);
    let mut differing: Vec<&String> = base
        .keys()
        .chain(now.keys())
        .filter(|p| base.get(*p) != now.get(*p))
        .collect();
    differing.sort();
    differing.dedup();
    assert_eq!(
        differing,
        ["README.md", "docs/windows.txt", "src/lib.rs", "src/main.rs"]
    );

    let mut reads = run.reads.clone();
    reads.sort();
    assert_eq!(
        reads,
        ["src/lib.rs", "src/main.rs"],
        "a chmod reuses the blob it already has"
    );
    let calls = server.calls();
    let tree_call = calls[before..].iter().find(|c| c.path.ends_with("/git/trees")).unwrap();
    let entries = tree_call.body["tree"].as_array().unwrap();
    assert_eq!(entries.len(), 4, "entries for the changed paths only: {entries:?}");
    let readme = entries.iter().find(|e| e["path"] == "README.md").unwrap();
    assert_eq!((readme["mode"].as_str(), readme.get("content")), (Some("100755"), None));
    let deleted = entries.iter().find(|e| e["path"] == "docs/windows.txt").unwrap();
    assert_eq!(deleted.get("sha"), Some(&Value::Null));
    assert!(
        !calls[before..]
            .iter()
            .any(|c| c.method == "GET" && c.path.contains("/git/trees/"))
    );
}

#[tokio::test]
async fn an_export_that_changes_nothing_makes_no_commit() {
    let server = ForgeServer::start().await;
    server.repo("acme/same", README);
    let client = github(&server);
    let files = Export::project();
    let first = export(Forge::GitHub(&client, &target("acme", "same")), &files, With::default()).await;
    let head = first.outcome().commit_sha.clone();
    let before = server.calls().len();

    let again = export(Forge::GitHub(&client, &target("acme", "same")), &files, With::default()).await;

    assert_eq!(again.outcome().commit_sha, head);
    assert_eq!(server.commits_on("acme/same", "main").len(), 2);
    assert!(again.reads.is_empty());
    assert!(calls_since(&server, before).iter().all(|(method, _)| method == "GET"));
}

#[tokio::test]
async fn hand_edits_on_the_branch_survive_and_our_changes_merge_around_them() {
    let server = ForgeServer::start().await;
    server.repo("acme/stale", README);
    let client = github(&server);
    let files = Export::project();
    let first = export(
        Forge::GitHub(&client, &target("acme", "stale")),
        &files,
        With::default(),
    )
    .await;
    let previous = files.previous(&first.outcome().commit_sha);
    let hand = server.push(
        "acme/stale",
        "main",
        &[
            ("README.md", Some(b"edited by hand\n")),
            ("notes.txt", Some(b"x\n")),
            ("docs/windows.txt", None),
        ],
    );
    let mut second = files.clone();
    second.set("src/main.rs", "100644", b"fn main() {}\n");
    second.set("src/lib.rs", "100644", b"pub fn added() {}\n");

    let with = With {
        previous: Some(&previous),
        ..With::default()
    };
    let run = export(Forge::GitHub(&client, &target("acme", "stale")), &second, with).await;

    let outcome = run.outcome();
    assert!(outcome.merged && outcome.conflicts.is_empty(), "{outcome:?}");
    assert!(outcome.pull_request_url.is_none());
    let tree = server.tree_of("acme/stale", "main");
    assert_eq!(tree["README.md"].1, b"edited by hand\n", "their edit stays");
    assert_eq!(tree["notes.txt"].1, b"x\n", "their file stays");
    assert!(!tree.contains_key("docs/windows.txt"), "their deletion stays");
    assert_eq!(tree["src/main.rs"].1, b"fn main() {}\n", "our change lands");
    assert_eq!(tree["src/lib.rs"].1, b"pub fn added() {}\n", "our new file lands");
    let commit = server.commit(&outcome.commit_sha).unwrap();
    assert_eq!(commit.parents, vec![hand], "on top of their commit, never over it");
    let mut reads = run.reads.clone();
    reads.sort();
    assert_eq!(reads, ["src/lib.rs", "src/main.rs"], "only our changes are read");

    // Exported again unchanged: the merged tree is not ours, so nothing is trusted blindly and
    // nothing changes.
    let merged_previous = Previous {
        exact: false,
        ..second.previous(&outcome.commit_sha)
    };
    let again = export(
        Forge::GitHub(&client, &target("acme", "stale")),
        &second,
        With {
            previous: Some(&merged_previous),
            ..With::default()
        },
    )
    .await;
    assert_eq!(again.outcome().commit_sha, outcome.commit_sha, "no new commit");
    assert_eq!(server.tree_of("acme/stale", "main")["README.md"].1, b"edited by hand\n");
}

#[tokio::test]
async fn edits_that_overlap_go_to_a_pull_request_listing_the_conflicts_and_the_branch_stays() {
    let server = ForgeServer::start().await;
    server.repo("acme/clash", README);
    let client = github(&server);
    let mut files = Export::project();
    files.set(
        "src/lib.rs",
        "100644",
        b"pub const A: u8 = 1;\npub const B: u8 = 2;\npub const C: u8 = 3;\n",
    );
    let first = export(
        Forge::GitHub(&client, &target("acme", "clash")),
        &files,
        With::default(),
    )
    .await;
    let previous = files.previous(&first.outcome().commit_sha);
    let hand = server.push(
        "acme/clash",
        "main",
        &[
            ("README.md", Some(b"# Book Loans, by hand\n")),
            (
                "src/lib.rs",
                Some(b"pub const A: u8 = 10;\npub const B: u8 = 2;\npub const C: u8 = 3;\n"),
            ),
        ],
    );
    let mut second = files.clone();
    second.set("README.md", "100644", b"# Book Loans, generated\n");
    second.set(
        "src/lib.rs",
        "100644",
        b"pub const A: u8 = 1;\npub const B: u8 = 2;\npub const C: u8 = 30;\n",
    );

    let with = With {
        previous: Some(&previous),
        change: Some("Rename the title!"),
        ..With::default()
    };
    let run = export(Forge::GitHub(&client, &target("acme", "clash")), &second, with).await;

    let outcome = run.outcome();
    assert_eq!(
        server.head("acme/clash", "main"),
        Some(hand),
        "the branch is left as they left it"
    );
    assert_eq!(outcome.conflicts.len(), 1, "{outcome:?}");
    assert_eq!(outcome.conflicts[0].path, "README.md");
    assert!(
        outcome.branch.starts_with("forgeflow/rename-the-title-"),
        "{}",
        outcome.branch
    );
    assert!(outcome.pull_request_url.is_some());
    let proposed = server.tree_of("acme/clash", &outcome.branch);
    let readme = String::from_utf8_lossy(&proposed["README.md"].1).into_owned();
    assert!(
        readme.contains("<<<<<<<") && readme.contains("by hand") && readme.contains("generated"),
        "{readme}"
    );
    assert_eq!(
        proposed["src/lib.rs"].1, b"pub const A: u8 = 10;\npub const B: u8 = 2;\npub const C: u8 = 30;\n",
        "edits to other lines of one file merge"
    );
    let pulls = server.repo_info("acme/clash").pulls;
    assert_eq!(pulls.len(), 1);
    assert_eq!(
        (pulls[0].head.as_str(), pulls[0].base.as_str()),
        (outcome.branch.as_str(), "main")
    );
    assert!(
        pulls[0].body.contains("`README.md`: both changed the same lines"),
        "{}",
        pulls[0].body
    );
}

#[tokio::test]
async fn inline_text_beyond_the_request_size_goes_into_chained_tree_requests() {
    let server = ForgeServer::start().await;
    server.repo("acme/chunks", README);
    let client = github(&server).with_tree_request_bytes(1_000);
    let files = Export::many(100);

    let run = export(
        Forge::GitHub(&client, &target("acme", "chunks")),
        &files,
        With::default(),
    )
    .await;

    assert_eq!(
        server.tree_of("acme/chunks", "main"),
        files.tree(),
        "no chunk lost a file"
    );
    assert_eq!(server.commits_on("acme/chunks", "main").len(), 2, "still one commit");
    let trees = server.calls().iter().filter(|c| c.path.ends_with("/git/trees")).count();
    assert!(trees >= 5, "~6 KB of text in 1 KB requests, got {trees}");
    assert_eq!(run.outcome().api_calls as usize, 6 + trees);
}
