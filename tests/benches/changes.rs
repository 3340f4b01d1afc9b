//! `cargo bench -p forgeflow-tests --bench changes`: iterating on a project.
//!
//! 1. A change request on a 1,000-file project through the stack, its patch written by an agent on
//!    the OpenAI wire format (the local AI server): the bytes sent to the provider against sending
//!    the whole tree, and the time from `POST /changes` to the new generation being ready.
//! 2. `GET /generations/{id}/diff` between two 10,000-file generations, against reading the two
//!    manifests alone.
//! 3. A re-export to GitHub (the local forge server) whose branch moved: the three-way merge
//!    against the same re-export onto a branch that did not move.
//!
//! Results go to BENCHMARKS.md.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::Utc;
use forgeflow_domain::Id;
use forgeflow_domain::change::{CONTEXT_BUDGET_BYTES, relevant_files};
use forgeflow_domain::generation::{Generation, GenerationJob, GenerationStatus, files_prefix};
use forgeflow_domain::manifest::{FileMode, GeneratedFile, Manifest, Source};
use forgeflow_forges::github::{GitHub, GitHubTarget};
use forgeflow_forges::{CommitRequest, ForgeError, Outcome, Previous, RemoteFile};
use forgeflow_tests::ai_server::{AiServer, Reply};
use forgeflow_tests::bench::{machine, ms, percentile, record};
use forgeflow_tests::forge_server::{ForgeServer, TOKEN};
use forgeflow_tests::{Options, TestApp, User, spawn_app_with};
use futures_util::{FutureExt, StreamExt, TryStreamExt, stream};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const CONCURRENCY: usize = 32;

fn filler(i: usize, version: u32) -> GeneratedFile {
    GeneratedFile {
        path: format!("src/modules/m{:02}/part{i:05}.rs", i % 40),
        content: format!("//! Part {i}, version {version}.\n\npub fn part_{i}() -> u32 {{\n    {i}\n}}\n").into_bytes(),
        mode: FileMode::Regular,
        source: Source::Agent,
    }
}

/// A ready generation of `project` holding `files` (written to S3 with its manifest).
async fn stored_generation(app: &TestApp, template_of: &Generation, files: &[GeneratedFile]) -> Generation {
    let job = GenerationJob {
        generation_id: Id::new(),
        execution_id: template_of.execution_id,
        project_id: template_of.project_id,
        owner: template_of.owner,
        template: template_of.template,
        parent: None,
        change_request: None,
    };
    let mut generation = Generation::new(&job, Utc::now());
    let store = &app.context.generations;
    store.create(&generation).await.unwrap();
    let blobs = &app.context.engine.blobs;
    let prefix = files_prefix(generation.id);
    stream::iter(files)
        .map(|file| {
            let key = format!("{prefix}{}", file.path);
            async move { blobs.put_bytes(&key, file.content.clone(), "text/plain").await }
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect::<Vec<()>>()
        .await
        .unwrap();
    let manifest = Manifest {
        generation_id: generation.id.to_string(),
        files: files.iter().map(GeneratedFile::manifest_entry).collect(),
        conflicts: Vec::new(),
        refused: Vec::new(),
    };
    blobs.put_json(&generation.manifest_key(), &manifest).await.unwrap();
    let lease = "bench";
    store
        .claim(
            generation.id,
            lease,
            Utc::now() + chrono::Duration::minutes(5),
            Utc::now(),
        )
        .await
        .unwrap();
    generation.status = GenerationStatus::Ready;
    generation.file_count = manifest.files.len() as u64;
    generation.total_bytes = manifest.files.iter().map(|f| f.size).sum();
    generation.finished_at = Some(Utc::now());
    store.complete(&generation, lease).await.unwrap();
    generation
}

/// The files of a ready generation, read back from S3.
async fn files_of(app: &TestApp, generation: &Generation) -> Vec<GeneratedFile> {
    let blobs = &app.context.engine.blobs;
    let manifest: Manifest = blobs.get_json(&generation.manifest_key()).await.unwrap();
    let mut files = Vec::new();
    for entry in manifest.files {
        let content = blobs
            .get_bytes(&format!("{}{}", generation.files_prefix(), entry.path))
            .await
            .unwrap();
        files.push(GeneratedFile {
            path: entry.path,
            content,
            mode: entry.mode,
            source: entry.source,
        });
    }
    files
}

async fn first_generation(app: &TestApp, user: &User) -> Generation {
    let project = app.create_project(user, "Lending library").await;
    let execution = app.start_execution(user, project["id"].as_str().unwrap(), None).await;
    assert_eq!(app.wait_for_execution(user, &execution).await["status"], "succeeded");
    for _ in 0..600 {
        if let Some(generation) = app.context.generations.get(execution.parse().unwrap()).await.unwrap()
            && generation.status == GenerationStatus::Ready
        {
            return generation;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the first generation did not become ready");
}

async fn change_request_on_1000_files(app: &TestApp, user: &User, server: &AiServer) -> String {
    let first = first_generation(app, user).await;
    let mut files = files_of(app, &first).await;
    files.extend((0..1_000 - files.len()).map(|i| filler(i, 1)));
    let base = stored_generation(app, &first, &files).await;
    let manifest: Vec<_> = files.iter().map(GeneratedFile::manifest_entry).collect();
    let tree_bytes: u64 = manifest.iter().map(|e| e.size).sum();

    let agent = app
        .call(
            Method::POST,
            "/agents",
            Some(&user.token),
            Some(json!({
                "name": "Patcher",
                "system_prompt": "Answer the change request with a patch.",
                "provider": "openai",
                "output_contract": forgeflow_domain::catalog::patch_contract(),
            })),
        )
        .await;
    let workflow = app
        .create_workflow(user, json!([{"id": "patch", "agent": agent.body["id"]}]))
        .await;
    server.otherwise(|_| {
        Reply::value(&json!({"edits": [
            {"op": "add", "path": "src/routes/shelf.rs", "content": "pub struct Shelf;\n"},
            {"op": "modify", "path": "README.md", "content": "# Lending library\n\nNow with shelves.\n"}
        ]}))
    });
    let request = "Add a resource shelf next to loans";
    let shown: u64 = relevant_files(request, &manifest, CONTEXT_BUDGET_BYTES)
        .iter()
        .filter_map(|path| manifest.iter().find(|e| &e.path == path))
        .map(|e| e.size)
        .sum();
    let project = first.project_id.to_string();
    let mut times = Vec::new();
    let mut sent = Vec::new();
    for _ in 0..3 {
        let before = server.requests().len();
        let started = Instant::now();
        let change = app
            .call(
                Method::POST,
                &format!("/projects/{project}/changes"),
                Some(&user.token),
                Some(json!({"request": request, "base": base.id, "workflow": workflow})),
            )
            .await;
        assert_eq!(change.status, StatusCode::ACCEPTED, "{}", change.body);
        let id: Id<Generation> = change.body["id"].as_str().unwrap().parse().unwrap();
        let generation = loop {
            match app.context.generations.get(id).await.unwrap() {
                Some(g) if matches!(g.status, GenerationStatus::Ready | GenerationStatus::Failed) => break g,
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        };
        times.push(started.elapsed());
        assert_eq!(generation.status, GenerationStatus::Ready, "{:?}", generation.error);
        assert_eq!(generation.file_count, 1_001);
        let requests = server.requests();
        sent.push(
            requests[before..]
                .iter()
                .map(|r| serde_json::to_vec(&r.body).unwrap().len() as u64)
                .sum::<u64>(),
        );
    }
    let bytes = sent[0];
    let whole = bytes - shown + tree_bytes;
    format!(
        "### Change request on a 1,000-file project\n\n\
         A project of 1,000 files ({} KiB) through the stack; the patch step's agent on the OpenAI wire format \
         (local AI server, instant answers), the rest as deployed: step-worker, generate-worker (999 files copied \
         inside S3, 2 written), moto.\n\n\
         | measure | ours | baseline | ratio |\n|---|---|---|---|\n\
         | bytes sent to the provider | {} KiB (the tree's paths, {} KiB of relevant files) | {} KiB (every file's text) | {:.3}× |\n\
         | request → generation ready, p50 of 3 | {} | — | — |\n\
         | request → generation ready, max of 3 | {} | — | — |",
        tree_bytes / 1024,
        bytes / 1024,
        shown / 1024,
        whole / 1024,
        bytes as f64 / whole as f64,
        ms(percentile(&times, 50.0)),
        ms(percentile(&times, 100.0)),
    )
}

async fn diff_of_10000_files(app: &TestApp, user: &User) -> String {
    let first = first_generation(app, user).await;
    let old: Vec<GeneratedFile> = (0..10_000).map(|i| filler(i, 1)).collect();
    let mut new = old.clone();
    for file in new.iter_mut().step_by(20) {
        let i: usize = file.path.rsplit("part").next().unwrap()[..5].parse().unwrap();
        *file = filler(i, 2);
    }
    new.retain(|file| !file.path.ends_with("07.rs"));
    new.extend((10_000..10_100).map(|i| filler(i, 1)));
    let (old, new) = (
        stored_generation(app, &first, &old).await,
        stored_generation(app, &first, &new).await,
    );
    let path = format!("/generations/{}/diff?against={}&limit=100", new.id, old.id);
    let mut first_page = Vec::new();
    let mut stat = Value::Null;
    for _ in 0..5 {
        let started = Instant::now();
        let page = app.call(Method::GET, &path, Some(&user.token), None).await;
        first_page.push(started.elapsed());
        assert_eq!(page.status, StatusCode::OK);
        stat = page.body["stat"].clone();
    }
    let walk_started = Instant::now();
    let (mut cursor, mut pages, mut files) = (None::<String>, 0, 0);
    loop {
        let mut url = path.clone();
        if let Some(cursor) = &cursor {
            url.push_str(&format!("&cursor={cursor}"));
        }
        let page = app.call(Method::GET, &url, Some(&user.token), None).await;
        pages += 1;
        files += page.body["files"].as_array().unwrap().len();
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    let walk = walk_started.elapsed();
    assert_eq!(stat["files_changed"], files);
    let blobs = &app.context.engine.blobs;
    let mut manifests = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let _: (Manifest, Manifest) = (
            blobs.get_json(&new.manifest_key()).await.unwrap(),
            blobs.get_json(&old.manifest_key()).await.unwrap(),
        );
        manifests.push(started.elapsed());
    }
    let (page, floor) = (percentile(&first_page, 50.0), percentile(&manifests, 50.0));
    format!(
        "### Diff API on 10,000 files\n\n\
         Two generations of 10,000 files: {} modified, {} added, {} deleted. `GET /generations/{{id}}/diff?limit=100` \
         through the local gateway.\n\n\
         | measure | ours | baseline: reading the two manifests | ratio |\n|---|---|---|---|\n\
         | first page (100 diffs), p50 of 5 | {} | {} | {:.2}× |\n\
         | every page ({pages} pages, {files} files) | {} | — | — |",
        stat["modified"],
        stat["added"],
        stat["deleted"],
        ms(page),
        ms(floor),
        page.as_secs_f64() / floor.as_secs_f64(),
        ms(walk),
    )
}

async fn export(
    client: &GitHub,
    repo: &str,
    files: &[(RemoteFile, Vec<u8>)],
    previous: Option<&Previous>,
) -> (Outcome, Duration) {
    let remote: Vec<RemoteFile> = files.iter().map(|(file, _)| file.clone()).collect();
    let contents: HashMap<String, Vec<u8>> = files.iter().map(|(f, c)| (f.path.clone(), c.clone())).collect();
    let read = |file: &RemoteFile| {
        let content = contents[&file.path].clone();
        async move { Ok::<_, ForgeError>(content) }.boxed()
    };
    let on_commit = |_: &str| async { Ok::<_, ForgeError>(()) }.boxed();
    let request = CommitRequest {
        files: &remote,
        read: &read,
        previous,
        message: "bench",
        change: Some("bench change"),
        author_name: "bench",
        author_email: "bench@example.com",
        already_created: None,
        on_commit: &on_commit,
    };
    let target = GitHubTarget {
        owner: "acme".into(),
        repo: repo.into(),
        private: true,
        branch: None,
        pull_request: false,
    };
    let started = Instant::now();
    let outcome = client.export(&target, request).await.expect("export");
    (outcome, started.elapsed())
}

fn remote_files(version_of: impl Fn(usize) -> u32) -> Vec<(RemoteFile, Vec<u8>)> {
    (0..1_000)
        .map(|i| {
            let file = filler(i, version_of(i));
            let entry = file.manifest_entry();
            let remote = RemoteFile {
                path: entry.path,
                mode: entry.mode.as_str().to_owned(),
                git_blob_id: entry.git_blob_id,
                size: entry.size,
            };
            (remote, file.content)
        })
        .collect()
}

async fn merge_reexport() -> String {
    let server = ForgeServer::start().await;
    let client = GitHub::new(TOKEN, Some(&server.url())).unwrap();
    let first = remote_files(|_| 1);
    let second = remote_files(|i| if i % 10 == 0 { 2 } else { 1 });
    let previous_of = |sha: &str| Previous {
        commit_sha: sha.to_owned(),
        files: first.iter().map(|(f, _)| f.clone()).collect(),
        exact: true,
    };
    let mut rows = Vec::new();
    for (repo, moved) in [("still", false), ("moved", true)] {
        server.repo(&format!("acme/{repo}"), &[("README.md", "100644", b"# bench\n")]);
        let (done, _) = export(&client, repo, &first, None).await;
        if moved {
            let edits: Vec<(String, Vec<u8>)> = (0..10)
                .map(|i| {
                    let path = first[i * 10 + 5].0.path.clone();
                    (path, format!("// edited by hand {i}\n").into_bytes())
                })
                .collect();
            let edits: Vec<(&str, Option<&[u8]>)> =
                edits.iter().map(|(p, c)| (p.as_str(), Some(c.as_slice()))).collect();
            server.push(&format!("acme/{repo}"), "main", &edits);
        }
        let previous = previous_of(&done.commit_sha);
        let (outcome, took) = export(&client, repo, &second, Some(&previous)).await;
        assert_eq!(outcome.merged, moved);
        assert!(outcome.conflicts.is_empty());
        rows.push((took, outcome.api_calls));
    }
    let ((still, still_calls), (moved, moved_calls)) = (rows[0], rows[1]);
    format!(
        "### Re-export to GitHub onto a branch that moved\n\n\
         1,000 files exported, then 100 of them changed and exported again (local forge server). Moved: someone \
         committed edits to 10 other files on the branch in between, so the export lists the branch's tree and \
         merges three ways (their edits kept).\n\n\
         | re-export | time | API calls | ratio (time) |\n|---|---|---|---|\n\
         | branch moved: three-way merge (ours) | {} | {moved_calls} | {:.2}× |\n\
         | baseline: branch did not move (fast path) | {} | {still_calls} | 1.00× |",
        ms(moved),
        moved.as_secs_f64() / still.as_secs_f64(),
        ms(still),
    )
}

#[tokio::main]
async fn main() {
    let server = AiServer::start().await;
    let app = spawn_app_with(Options {
        ai: server.config(),
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let change = change_request_on_1000_files(&app, &user, &server).await;
    let diff = diff_of_10000_files(&app, &user).await;
    let merge = merge_reexport().await;
    record(
        "changes",
        &format!(
            "## Change requests, diffs and merged re-exports ([4/6])\n\n\
             Command: `cargo bench -p forgeflow-tests --bench changes` · machine: {} · moto on loopback.\n\n\
             {change}\n\n{diff}\n\n{merge}",
            machine()
        ),
    );
}
