//! Reading a branch back: its head commit and its whole tree as one tarball, from GitHub (through
//! the redirect to codeload) and GitLab, unpacked here and compared with what the server holds.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use flate2::read::GzDecoder;
use forgeflow_forges::ForgeError;
use forgeflow_tests::forge_server::{Fail, ForgeServer};
use tar::{Archive, EntryType};

use super::gitlab::gitlab;
use super::{calls_since, github};

const LIMIT: u64 = 1 << 20;

/// Text, an executable, a binary file and nested directories.
const FILES: &[(&str, &str, &[u8])] = &[
    ("README.md", "100644", b"# Book Loans\n"),
    ("src/main.rs", "100644", b"fn main() {}\n"),
    ("scripts/check.sh", "100755", b"#!/bin/sh\nset -eu\n"),
    (
        "assets/img/logo.png",
        "100644",
        &[0x89, b'P', b'N', b'G', 0, 0xff, 0xfe],
    ),
];

/// The archive's one top folder and its files, `path → (git mode, content)`.
fn unpack(bytes: &[u8]) -> (String, BTreeMap<String, (String, Vec<u8>)>) {
    let mut archive = Archive::new(GzDecoder::new(bytes));
    let mut tops = BTreeSet::new();
    let mut files = BTreeMap::new();
    for entry in archive.entries().expect("a tar.gz") {
        let mut entry = entry.expect("a readable entry");
        let kind = entry.header().entry_type();
        if kind == EntryType::XGlobalHeader {
            continue;
        }
        let path = entry.path().expect("a path").to_string_lossy().into_owned();
        let (top, inner) = path.split_once('/').unwrap_or((&path, ""));
        tops.insert(top.to_owned());
        if kind == EntryType::Regular {
            let mode = match entry.header().mode().expect("a mode") {
                0o644 => "100644",
                0o755 => "100755",
                other => panic!("{path}: mode {other:o}"),
            };
            let inner = inner.to_owned();
            let mut content = Vec::new();
            entry.read_to_end(&mut content).expect("the content");
            files.insert(inner, (mode.to_owned(), content));
        }
    }
    assert_eq!(tops.len(), 1, "one top folder: {tops:?}");
    (tops.into_iter().next().expect("one"), files)
}

/// `(method, path, status)` of the calls from `from` on.
fn answered(server: &ForgeServer, from: usize) -> Vec<(String, String, u16)> {
    server.calls()[from..]
        .iter()
        .map(|call| (call.method.clone(), call.path.clone(), call.status))
        .collect()
}

#[tokio::test]
async fn github_reads_the_default_branch_as_one_tarball_through_codeload() {
    let server = ForgeServer::start().await;
    server.repo("acme/app", FILES);
    let head = server.push("acme/app", "main", &[("CHANGELOG.md", Some(b"- first\n"))]);
    let client = github(&server);

    let tarball = client.tarball("acme", "app", None, LIMIT).await.expect("the tarball");

    assert_eq!(tarball.branch, "main");
    assert_eq!(tarball.commit_sha, head);
    let (top, files) = unpack(&tarball.bytes);
    assert_eq!(top, format!("acme-app-{}", &head[..7]));
    assert_eq!(files, server.tree_of("acme/app", "main"));
    assert_eq!(files["scripts/check.sh"].0, "100755");
    let location = format!("/_codeload/acme/app/legacy.tar.gz/{head}");
    assert_eq!(
        answered(&server, 0),
        [
            ("GET", "/repos/acme/app".to_owned(), 200),
            ("GET", "/repos/acme/app/git/ref/heads/main".to_owned(), 200),
            ("GET", format!("/repos/acme/app/tarball/{head}"), 302),
            ("GET", location, 200),
        ]
        .map(|(method, path, status)| (method.to_owned(), path, status)),
        "the redirect to codeload is followed within the one call"
    );
    assert!(
        server.calls()[3].query.starts_with("token="),
        "codeload gets the redirect's own token: {:?}",
        server.calls()[3].query
    );
}

#[tokio::test]
async fn gitlab_reads_the_default_branch_as_one_tarball() {
    let server = ForgeServer::start().await;
    let path = "acme/platform/app";
    server.repo(path, FILES);
    let head = server.push(path, "main", &[("CHANGELOG.md", Some(b"- first\n"))]);
    let client = gitlab(&server).await;

    let tarball = client.tarball(path, None, LIMIT).await.expect("the tarball");

    assert_eq!(tarball.branch, "main");
    assert_eq!(tarball.commit_sha, head);
    let (top, files) = unpack(&tarball.bytes);
    assert_eq!(top, format!("app-{head}-{head}"));
    assert_eq!(files, server.tree_of(path, "main"));
    let id = server.repo_info(path).id;
    assert_eq!(
        calls_since(&server, 0),
        [
            "/api/v4/projects/acme%2Fplatform%2Fapp".to_owned(),
            format!("/api/v4/projects/{id}/repository/branches/main"),
            format!("/api/v4/projects/{id}/repository/archive.tar.gz"),
        ]
        .map(|path| ("GET".to_owned(), path))
    );
    assert_eq!(server.calls()[2].query, format!("sha={head}"), "asked by commit id");
}

#[tokio::test]
async fn a_named_branch_is_read_at_its_own_head() {
    let server = ForgeServer::start().await;
    for path in ["acme/app", "acme/platform/app"] {
        let main = server.repo(path, FILES).expect("seeded");
        server.branch(path, "feature/loans", &main);
        server.push(path, "feature/loans", &[("src/loans.rs", Some(b"pub struct Loan;\n"))]);
        server.push(path, "main", &[("README.md", Some(b"# moved on\n"))]);
    }
    let (github, gitlab) = (github(&server), gitlab(&server).await);
    let branch = Some("feature/loans");

    let from_github = github.tarball("acme", "app", branch, LIMIT).await.expect("GitHub");
    let from_gitlab = gitlab
        .tarball("acme/platform/app", branch, LIMIT)
        .await
        .expect("GitLab");

    for (tarball, path) in [(from_github, "acme/app"), (from_gitlab, "acme/platform/app")] {
        assert_eq!(tarball.branch, "feature/loans");
        assert_eq!(Some(&tarball.commit_sha), server.head(path, "feature/loans").as_ref());
        assert_ne!(Some(&tarball.commit_sha), server.head(path, "main").as_ref());
        let (_, files) = unpack(&tarball.bytes);
        assert_eq!(files, server.tree_of(path, "feature/loans"), "{path}");
        assert_eq!(files["README.md"].1, b"# Book Loans\n", "{path}: not main's");
    }
}

#[tokio::test]
async fn a_missing_repository_project_or_branch_is_not_found_and_nothing_is_downloaded() {
    let server = ForgeServer::start().await;
    server.repo("acme/app", FILES);
    server.repo("acme/empty", &[]);
    server.repo("acme/platform/app", FILES);
    server.repo("acme/platform/empty", &[]);
    let (github, gitlab) = (github(&server), gitlab(&server).await);

    let not_found = |result: Result<_, ForgeError>| match result {
        Err(ForgeError::NotFound(message)) => message,
        other => panic!("{other:?}"),
    };
    let repository = not_found(github.tarball("acme", "nope", None, LIMIT).await);
    assert!(repository.contains("acme/nope"), "{repository}");
    let branch = not_found(github.tarball("acme", "app", Some("gone"), LIMIT).await);
    assert!(branch.contains("acme/app") && branch.contains("\"gone\""), "{branch}");
    let empty = not_found(github.tarball("acme", "empty", None, LIMIT).await);
    assert!(empty.contains("empty"), "{empty}");
    let project = not_found(gitlab.tarball("acme/platform/nope", None, LIMIT).await);
    assert!(project.contains("acme/platform/nope"), "{project}");
    let branch = not_found(gitlab.tarball("acme/platform/app", Some("gone"), LIMIT).await);
    assert!(
        branch.contains("acme/platform/app") && branch.contains("\"gone\""),
        "{branch}"
    );
    let empty = not_found(gitlab.tarball("acme/platform/empty", None, LIMIT).await);
    assert!(empty.contains("empty"), "{empty}");

    let archives = server
        .calls()
        .iter()
        .filter(|call| call.path.contains("tarball") || call.path.contains("archive"))
        .count();
    assert_eq!(archives, 0);
}

#[tokio::test]
async fn an_archive_over_the_limit_is_refused_naming_the_limit() {
    let server = ForgeServer::start().await;
    server.repo("acme/app", FILES);
    server.repo("acme/platform/app", FILES);
    let (github, gitlab) = (github(&server), gitlab(&server).await);

    // codeload declares its length; GitLab streams chunked, so that refusal comes from counting.
    let results = [
        github.tarball("acme", "app", None, 64).await,
        gitlab.tarball("acme/platform/app", None, 64).await,
    ];

    for result in results {
        match result {
            Err(ForgeError::Invalid(message)) => {
                assert!(message.contains("limit of 64 bytes"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn a_failed_download_is_tried_again_and_a_gitlab_redirect_is_refused() {
    let server = ForgeServer::start().await;
    server.repo("acme/app", FILES);
    server.repo("acme/platform/app", FILES);
    server.fail(Fail::on("GET", "/_codeload/").status(502));
    server.fail(
        Fail::on("GET", "/archive.tar.gz")
            .status(302)
            .header("location", "http://169.254.169.254/latest/meta-data"),
    );
    let (github, gitlab) = (github(&server), gitlab(&server).await);

    let tarball = github
        .tarball("acme", "app", None, LIMIT)
        .await
        .expect("the retry works");
    let refused = gitlab.tarball("acme/platform/app", None, LIMIT).await;

    assert_eq!(unpack(&tarball.bytes).1, server.tree_of("acme/app", "main"));
    let codeload = server
        .calls()
        .iter()
        .filter(|call| call.path.starts_with("/_codeload/"))
        .count();
    assert_eq!(codeload, 2, "one 502, then the archive");
    assert!(
        matches!(&refused, Err(ForgeError::UnsafeUrl(why)) if why.contains("169.254.169.254")),
        "{refused:?}"
    );
    let metadata = server
        .calls()
        .iter()
        .filter(|call| call.path.starts_with("/latest"))
        .count();
    assert_eq!(metadata, 0, "the redirect is not followed");
}
