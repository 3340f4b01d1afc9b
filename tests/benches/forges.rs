//! `cargo bench -p forgeflow-tests --bench forges`: HTTP calls per export to GitHub and GitLab
//! (the local forge server) for 10, 1,000 and 10,000 text files, and their wall time.
//! Results go to BENCHMARKS.md.

use std::time::Instant;

use forgeflow_forges::github::{GitHub, GitHubTarget};
use forgeflow_forges::gitlab::{GitLab, GitLabTarget};
use forgeflow_forges::{CommitRequest, ForgeError, Outcome, RemoteFile};
use forgeflow_tests::bench::{machine, record};
use forgeflow_tests::forge_server::{ForgeServer, TOKEN};
use futures_util::FutureExt;
use sha1::{Digest, Sha1};

fn files(count: usize) -> Vec<(RemoteFile, Vec<u8>)> {
    (0..count)
        .map(|i| {
            let content = format!("// file {i}\nfn f{i}() -> u32 {{ {i} }}\n").into_bytes();
            let mut hasher = Sha1::new();
            hasher.update(format!("blob {}\0", content.len()));
            hasher.update(&content);
            let id: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
            let file = RemoteFile {
                path: format!("src/m{:02}/f{i:05}.rs", i % 40),
                mode: "100644".into(),
                git_blob_id: id,
                size: content.len() as u64,
            };
            (file, content)
        })
        .collect()
}

async fn run(server: &ForgeServer, gitlab: bool, count: usize) -> (Outcome, f64) {
    let files = files(count);
    let remote: Vec<RemoteFile> = files.iter().map(|(file, _)| file.clone()).collect();
    let contents: std::collections::HashMap<String, Vec<u8>> =
        files.into_iter().map(|(file, content)| (file.path, content)).collect();
    let read = |file: &RemoteFile| {
        let content = contents[&file.path].clone();
        async move { Ok::<_, ForgeError>(content) }.boxed()
    };
    let on_commit = |_: &str| async { Ok::<_, ForgeError>(()) }.boxed();
    let request = CommitRequest {
        files: &remote,
        read: &read,
        previous: None,
        message: "bench",
        change: None,
        author_name: "bench",
        author_email: "bench@example.com",
        already_created: None,
        on_commit: &on_commit,
    };
    let started = Instant::now();
    let outcome = if gitlab {
        let client = GitLab::new(TOKEN, &server.url(), true).await.unwrap();
        let target = GitLabTarget {
            project_path: format!("acme/bench-{count}"),
            private: true,
            branch: None,
            merge_request: false,
        };
        client.export(&target, request).await.unwrap()
    } else {
        let client = GitHub::new(TOKEN, Some(&server.url())).unwrap();
        let target = GitHubTarget {
            owner: "acme".into(),
            repo: format!("bench-{count}"),
            private: true,
            branch: None,
            pull_request: false,
        };
        client.export(&target, request).await.unwrap()
    };
    (outcome, started.elapsed().as_secs_f64())
}

#[tokio::main]
async fn main() {
    let server = ForgeServer::start().await;
    let mut rows = Vec::new();
    for count in [10usize, 1_000, 10_000] {
        let (github, github_s) = run(&server, false, count).await;
        let (gitlab, gitlab_s) = run(&server, true, count).await;
        rows.push(format!(
            "| {count} | {} | {github_s:.2} s | {} | {gitlab_s:.2} s |",
            github.api_calls, gitlab.api_calls
        ));
    }
    record(
        "forges",
        &format!(
            "## API calls per forge export ([4/8])\n\n\
             Command: `cargo bench -p forgeflow-tests --bench forges` · machine: {} · against the local forge server \
             (tests/support/forge_server.rs), a new repository/project each time, text files only.\n\n\
             | files | GitHub calls | GitHub wall | GitLab calls | GitLab wall |\n|---|---|---|---|---|\n{}\n\n\
             GitHub: the calls do not grow with the file count (repository lookup and creation, ref, commit, one tree \
             request — more only past 16 MiB of inline text — one commit, one ref update); each binary file would add \
             one blob upload. GitLab: one atomic commit with every action; listing the remote tree of an existing \
             project adds one call per 100 entries.",
            machine(),
            rows.join("\n")
        ),
    );
}
