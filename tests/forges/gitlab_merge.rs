//! GitLab when the branch moved since our last export, and in merge-request mode: their edits
//! kept by a three-way merge, conflicts sent to a merge request that lists them, and a
//! redelivery that finds the request instead of opening a second one.

use forgeflow_forges::Previous;
use forgeflow_forges::gitlab::GitLab;
use forgeflow_tests::forge_server::ForgeServer;

use super::gitlab::{gitlab, seeded, target};
use super::{Export, Forge, With, export};

const PROJECT: &str = "acme/merging";

/// The seeded project exported once: the client, and what that export left as `previous`.
async fn exported_once(server: &ForgeServer, files: &Export) -> (GitLab, Previous) {
    seeded(server, PROJECT);
    let client = gitlab(server).await;
    let first = export(Forge::GitLab(&client, &target(PROJECT)), files, With::default()).await;
    let previous = files.previous(&first.outcome().commit_sha);
    (client, previous)
}

#[tokio::test]
async fn hand_edits_on_a_gitlab_branch_survive_and_our_changes_merge_around_them() {
    let server = ForgeServer::start().await;
    let mut files = Export::project();
    files.set("src/lib.rs", "100644", b"one\ntwo\nthree\nfour\nfive\n");
    let (client, previous) = exported_once(&server, &files).await;
    let hand = server.push(
        PROJECT,
        "main",
        &[
            ("README.md", Some(b"edited by hand\n")),
            ("src/lib.rs", Some(b"ONE\ntwo\nthree\nfour\nfive\n")),
            ("notes.txt", Some(b"x\n")),
            ("docs/windows.txt", None),
        ],
    );
    let mut second = files.clone();
    second.set("src/main.rs", "100644", b"fn main() {}\n");
    second.set("src/lib.rs", "100644", b"one\ntwo\nthree\nfour\nFIVE\n");
    second.set("src/new.rs", "100644", b"pub fn added() {}\n");
    let before = server.calls().len();

    let with = With {
        previous: Some(&previous),
        ..With::default()
    };
    let run = export(Forge::GitLab(&client, &target(PROJECT)), &second, with).await;

    let outcome = run.outcome();
    assert!(outcome.merged && outcome.conflicts.is_empty(), "{outcome:?}");
    assert!(outcome.pull_request_url.is_none());
    let tree = server.tree_of(PROJECT, "main");
    assert_eq!(tree["README.md"].1, b"edited by hand\n", "their edit stays");
    assert_eq!(tree["notes.txt"].1, b"x\n", "their file stays");
    assert!(!tree.contains_key("docs/windows.txt"), "their deletion stays");
    assert_eq!(tree["src/main.rs"].1, b"fn main() {}\n", "our change lands");
    assert_eq!(tree["src/new.rs"].1, b"pub fn added() {}\n", "our new file lands");
    assert_eq!(
        tree["src/lib.rs"].1, b"ONE\ntwo\nthree\nfour\nFIVE\n",
        "both edits to one file merge line by line"
    );
    let commit = server.commit(&outcome.commit_sha).unwrap();
    assert_eq!(commit.parents, vec![hand], "on top of their commit, never over it");
    let blob_reads = server.calls()[before..]
        .iter()
        .filter(|call| call.path.ends_with("/raw"))
        .count();
    assert_eq!(blob_reads, 2, "base and theirs of the one file both sides changed");
}

#[tokio::test]
async fn overlapping_edits_on_gitlab_go_to_a_merge_request_listing_the_conflicts() {
    let server = ForgeServer::start().await;
    let files = Export::project();
    let (client, previous) = exported_once(&server, &files).await;
    let hand = server.push(PROJECT, "main", &[("README.md", Some(b"# Book Loans, by hand\n"))]);
    let mut second = files.clone();
    second.set("README.md", "100644", b"# Book Loans, generated\n");
    second.set("src/lib.rs", "100644", b"pub fn added() {}\n");

    let with = With {
        previous: Some(&previous),
        change: Some("Rename the title"),
        ..With::default()
    };
    let run = export(Forge::GitLab(&client, &target(PROJECT)), &second, with).await;

    let outcome = run.outcome();
    assert_eq!(
        server.head(PROJECT, "main"),
        Some(hand.clone()),
        "the branch is left as they left it"
    );
    assert_eq!(outcome.conflicts.len(), 1, "{outcome:?}");
    assert_eq!(outcome.conflicts[0].path, "README.md");
    assert!(
        outcome.branch.starts_with("forgeflow/rename-the-title-"),
        "{}",
        outcome.branch
    );
    let proposed = server.tree_of(PROJECT, &outcome.branch);
    let readme = String::from_utf8_lossy(&proposed["README.md"].1).into_owned();
    assert!(
        readme.contains("<<<<<<<") && readme.contains("by hand") && readme.contains("generated"),
        "{readme}"
    );
    assert_eq!(proposed["src/lib.rs"].1, b"pub fn added() {}\n");
    assert_eq!(server.commit(&outcome.commit_sha).unwrap().parents, vec![hand]);
    let requests = server.repo_info(PROJECT).pulls;
    assert_eq!(requests.len(), 1);
    assert_eq!(
        (requests[0].head.as_str(), requests[0].base.as_str()),
        (outcome.branch.as_str(), "main")
    );
    assert!(
        requests[0].body.contains("`README.md`: both changed the same lines"),
        "{}",
        requests[0].body
    );
    let url = outcome.pull_request_url.as_deref().unwrap();
    assert!(url.ends_with(&format!("/{PROJECT}/-/merge_requests/1")), "{url}");
}

#[tokio::test]
async fn merge_request_mode_commits_on_a_change_branch_and_a_redelivery_opens_no_second_request() {
    let server = ForgeServer::start().await;
    let head = seeded(&server, PROJECT);
    let client = gitlab(&server).await;
    let mut asked = target(PROJECT);
    asked.merge_request = true;
    let files = Export::project();
    let with = With {
        change: Some("Add a Tag resource"),
        ..With::default()
    };

    let run = export(Forge::GitLab(&client, &asked), &files, with).await;

    let outcome = run.outcome();
    assert_eq!(server.head(PROJECT, "main"), Some(head.clone()), "main does not move");
    assert!(
        outcome.branch.starts_with("forgeflow/add-a-tag-resource-"),
        "{}",
        outcome.branch
    );
    assert_eq!(server.tree_of(PROJECT, &outcome.branch), files.tree());
    assert_eq!(server.commit(&outcome.commit_sha).unwrap().parents, vec![head]);
    assert_eq!(run.recorded.len(), 1);
    let requests = server.repo_info(PROJECT).pulls;
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].base, "main");
    assert_eq!(requests[0].title, "Book Loans: export of generation 42");

    // Redelivered after the commit was recorded, then again as if the record had been lost.
    let created = run.recorded[0].0.clone();
    let recorded = With {
        already_created: Some(&created),
        ..with
    };
    for again in [recorded, with] {
        let run = export(Forge::GitLab(&client, &asked), &files, again).await;
        assert_eq!(run.outcome().commit_sha, created);
        assert_eq!(run.outcome().branch, outcome.branch);
        assert_eq!(run.outcome().pull_request_url, outcome.pull_request_url);
    }
    assert_eq!(server.repo_info(PROJECT).pulls.len(), 1, "one merge request");
    assert_eq!(server.commits_on(PROJECT, &outcome.branch).len(), 2, "one commit");
}

/// GitLab's answers become links on the page: a `web_url` that is no http(s) address (a
/// `javascript:` one would run in the page) is never passed on, for the project or the request.
#[tokio::test]
async fn gitlab_addresses_that_are_not_web_links_are_not_passed_on() {
    let server = ForgeServer::start().await;
    let files = Export::project();
    let (client, previous) = exported_once(&server, &files).await;
    server.push(PROJECT, "main", &[("README.md", Some(b"# by hand\n"))]);
    server.web_links_at("javascript:alert(document.cookie)//");
    let mut second = files.clone();
    second.set("README.md", "100644", b"# generated\n");
    let with = With {
        previous: Some(&previous),
        ..With::default()
    };
    let run = export(Forge::GitLab(&client, &target(PROJECT)), &second, with).await;

    let outcome = run.outcome();
    assert_eq!(server.repo_info(PROJECT).pulls.len(), 1, "the merge request was opened");
    assert_eq!(outcome.pull_request_url, None, "{outcome:?}");
    assert_eq!(outcome.repository_url, format!("{}/{PROJECT}", server.url()));
}
