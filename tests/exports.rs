use std::path::Path;
use std::process::Command;

use forgeflow_tests::forge_server::{ForgeServer, TOKEN, USER};
use forgeflow_tests::{Options, TestApp, User, spawn_app, spawn_app_with};
use forgeflow_workers::export::ForgeSettings;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A ready generation of a new project: (project id, generation).
pub(crate) async fn ready_generation(app: &TestApp, user: &User) -> (String, Value) {
    let project = app.create_project(user, "Lending library").await;
    let project_id = project["id"].as_str().unwrap().to_owned();
    let execution = app.start_execution(user, &project_id, None).await;
    assert_eq!(app.wait_for_execution(user, &execution).await["status"], "succeeded");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let generation = app
            .call(
                Method::GET,
                &format!("/generations/{execution}"),
                Some(&user.token),
                None,
            )
            .await;
        if generation.body["status"] == "ready" {
            return (project_id, generation.body);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "generation not ready: {}",
            generation.body
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

pub(crate) async fn export(app: &TestApp, user: &User, generation: &Value, target: Value) -> Value {
    let path = format!("/generations/{}/exports", generation["id"].as_str().unwrap());
    let started = app
        .call(Method::POST, &path, Some(&user.token), Some(json!({"target": target})))
        .await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
    wait_export(app, user, started.body["id"].as_str().unwrap()).await
}

pub(crate) fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Downloads the export's archive and unpacks it with the system's own tools.
pub(crate) async fn unpack(export: &Value, into: &Path) -> std::path::PathBuf {
    let url = export["result"]["download_url"].as_str().expect("a download URL");
    let bytes = reqwest::get(url).await.unwrap().bytes().await.unwrap();
    let archive = into.join(if url.contains(".zip") {
        "export.zip"
    } else {
        "export.tar.gz"
    });
    std::fs::write(&archive, &bytes).unwrap();
    let status = if url.contains(".zip") {
        Command::new("python3")
            // zipfile's own `-e` drops the exec bit; restore the modes the archive records.
            .args([
                "-c",
                "import os,sys,zipfile\nz=zipfile.ZipFile(sys.argv[1])\nfor i in z.infolist():\n    p=z.extract(i,sys.argv[2])\n    m=i.external_attr>>16\n    if m and not i.is_dir(): os.chmod(p,m&0o777)",
            ])
            .arg(&archive)
            .arg(into)
            .status()
    } else {
        Command::new("tar")
            .arg("xzf")
            .arg(&archive)
            .arg("-C")
            .arg(into)
            .status()
    };
    assert!(status.unwrap().success());
    std::fs::remove_file(&archive).unwrap();
    let mut roots = std::fs::read_dir(into).unwrap().map(|entry| entry.unwrap().path());
    let root = roots.next().expect("one root directory");
    assert!(roots.next().is_none(), "one root directory only");
    root
}

fn assert_tree_equals_generation(root: &Path, generation: &Value) {
    let files = generation["manifest"]["files"].as_array().unwrap();
    for file in files {
        let bytes = std::fs::read(root.join(file["path"].as_str().unwrap())).unwrap();
        let sha: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(sha, file["sha256"].as_str().unwrap(), "{file}");
    }
    let tracked = git(root, &["ls-files"]);
    assert_eq!(
        tracked.lines().count(),
        files.len(),
        "the repository tracks exactly the generation's files"
    );
}

#[tokio::test]
async fn a_zip_export_is_a_real_repository_equal_to_the_generation() {
    let app = spawn_app().await;
    let user = app.register().await;
    let (_, generation) = ready_generation(&app, &user).await;
    let export = export(&app, &user, &generation, json!({"type": "zip"})).await;
    assert_eq!(export["status"], "succeeded", "{export}");
    assert_eq!(export["phase"], "done");
    let dir = tempdir();
    let root = unpack(&export, dir.path()).await;
    assert_eq!(root.file_name().unwrap(), "lending-library");
    git(&root, &["fsck", "--full", "--strict"]);
    assert_eq!(
        git(&root, &["status", "--porcelain"]),
        "",
        "index and working tree agree"
    );
    let log = git(&root, &["log", "--format=%an <%ae>|%s"]);
    assert_eq!(log.lines().count(), 1);
    assert!(log.contains(&user.email), "{log}");
    assert_tree_equals_generation(&root, &generation);
}

#[tokio::test]
async fn each_generation_exported_is_one_commit_on_the_projects_history() {
    let app = spawn_app().await;
    let user = app.register().await;
    let (project, generation) = ready_generation(&app, &user).await;
    let first = export(&app, &user, &generation, json!({"type": "tar.gz"})).await;
    let again = export(&app, &user, &generation, json!({"type": "zip"})).await;
    let (one, two) = (tempdir(), tempdir());
    let first_root = unpack(&first, one.path()).await;
    let again_root = unpack(&again, two.path()).await;
    let first_head = git(&first_root, &["rev-parse", "HEAD"]).trim().to_owned();
    assert_eq!(
        git(&again_root, &["rev-parse", "HEAD"]).trim(),
        first_head,
        "the same generation exported twice is the same commit"
    );

    let second = app.start_execution(&user, &project, None).await;
    assert_eq!(app.wait_for_execution(&user, &second).await["status"], "succeeded");
    let later = crate::generations::wait_for_generation(&app, &user, &second).await;
    let next = export(&app, &user, &later, json!({"type": "tar.gz"})).await;
    assert_eq!(next["status"], "succeeded", "{next}");
    let three = tempdir();
    let next_root = unpack(&next, three.path()).await;
    git(&next_root, &["fsck", "--full"]);
    let history: Vec<String> = git(&next_root, &["log", "--format=%H %P"])
        .lines()
        .map(|line| line.trim().to_owned())
        .collect();
    assert_eq!(history.len(), 2, "{history:?}");
    assert!(
        history[0].ends_with(&first_head),
        "the later generation's commit has the first export's commit as parent"
    );
    assert_eq!(history[1], first_head, "the first commit has no parent");
    assert_tree_equals_generation(&next_root, &later);
}

#[tokio::test]
async fn a_forge_export_without_a_token_fails_saying_what_to_do() {
    let app = spawn_app().await;
    let user = app.register().await;
    let (_, generation) = ready_generation(&app, &user).await;
    let export = export(
        &app,
        &user,
        &generation,
        json!({"type": "github", "repository": "ada/library"}),
    )
    .await;
    assert_eq!(export["status"], "failed");
    assert!(
        export["error"].as_str().unwrap().contains("PUT /credentials/github"),
        "{export}"
    );
}

#[tokio::test]
async fn bad_export_requests_are_refused() {
    let app = spawn_app().await;
    let user = app.register().await;
    let stranger = app.register().await;
    let (_, generation) = ready_generation(&app, &user).await;
    let path = format!("/generations/{}/exports", generation["id"].as_str().unwrap());
    let cases = [
        (
            json!({"target": {"type": "github", "repository": "nope"}}),
            "target.repository",
        ),
        (json!({"target": {"type": "svn"}}), "target.type"),
        (
            json!({"target": {"type": "gitlab", "project": "g/p", "base_url": "http://10.0.0.5"}}),
            "target.base_url",
        ),
        (json!({}), "target"),
    ];
    for (body, field) in cases {
        let response = app
            .call(Method::POST, &path, Some(&user.token), Some(body.clone()))
            .await;
        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(response.error_field(), field, "{body}: {}", response.body);
    }
    let theirs = app
        .call(
            Method::POST,
            &path,
            Some(&stranger.token),
            Some(json!({"target": {"type": "zip"}})),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
}

pub(crate) async fn app_with_forges(server: &ForgeServer) -> TestApp {
    let forges = ForgeSettings {
        github_api_url: Some(server.url()),
        gitlab_allow_private_network: true,
    };
    spawn_app_with(Options {
        forges,
        ..Options::default()
    })
    .await
}

/// A new user whose token for `forge` (github, gitlab) is stored.
pub(crate) async fn user_with_token(app: &TestApp, forge: &str) -> User {
    let user = app.register().await;
    let stored = app
        .call(
            Method::PUT,
            &format!("/credentials/{forge}"),
            Some(&user.token),
            Some(json!({"token": TOKEN})),
        )
        .await;
    assert_eq!(stored.status, StatusCode::OK, "{}", stored.body);
    user
}

/// The generation's files as the forge server sees a tree: path → content.
pub(crate) fn generation_files(app_files: &Value) -> Vec<(String, String)> {
    app_files["manifest"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["mode"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_github_export_commits_the_generation_and_a_redelivery_commits_nothing_more() {
    let server = ForgeServer::start().await;
    let app = app_with_forges(&server).await;
    let user = user_with_token(&app, "github").await;
    let (_, generation) = ready_generation(&app, &user).await;
    let repository = format!("{USER}/library");
    let done = export(
        &app,
        &user,
        &generation,
        json!({"type": "github", "repository": repository}),
    )
    .await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let sha = done["result"]["commit_sha"].as_str().unwrap().to_owned();
    let branch = done["result"]["branch"].as_str().unwrap().to_owned();
    assert!(done["result"]["repository_url"].as_str().unwrap().contains("library"));

    let tree = server.tree_of(&repository, &branch);
    let expected = generation_files(&generation);
    assert_eq!(tree.len(), expected.len(), "the branch holds exactly the generation");
    for (path, mode) in &expected {
        assert_eq!(&tree[path].0, mode, "{path}");
    }
    assert_eq!(server.head(&repository, &branch).as_deref(), Some(sha.as_str()));

    // The same job delivered again: no second commit.
    let commits = server.commits_on(&repository, &branch).len();
    let job = forgeflow_domain::export::ExportJob {
        export_id: done["id"].as_str().unwrap().parse().unwrap(),
    };
    let mut reopened = app.context.exports.get(job.export_id).await.unwrap().unwrap();
    reopened.status = forgeflow_domain::export::ExportStatus::Running;
    app.context.exports.save(&mut reopened).await.unwrap();
    forgeflow_workers::export::run(
        &app.workers().export,
        &job,
        chrono::Utc::now() + chrono::Duration::minutes(5),
    )
    .await
    .unwrap();
    assert_eq!(
        server.commits_on(&repository, &branch).len(),
        commits,
        "a redelivery makes no second commit"
    );

    let logs = format!("{done}");
    assert!(!logs.contains(TOKEN), "the token never appears in an export");
}

pub(crate) fn tempdir() -> TempDir {
    let path = std::env::temp_dir().join(format!("forgeflow-export-test-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&path).unwrap();
    TempDir(path)
}

pub(crate) struct TempDir(std::path::PathBuf);

impl TempDir {
    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A tree the exporter's path policy refuses can never be exported: the export fails on its first
/// delivery with the reason, and the job is neither retried nor left for the DLQ.
#[tokio::test]
async fn an_export_that_can_never_succeed_fails_at_once_with_its_reason() {
    let app = spawn_app().await;
    let user = app.register().await;
    let (_, generation) = ready_generation(&app, &user).await;
    let blobs = &app.context.engine.blobs;
    let key = format!("generations/{}/manifest.json", generation["id"].as_str().unwrap());
    let mut manifest: Value = blobs.get_json(&key).await.unwrap();
    manifest["files"][0]["path"] = json!(".git::$INDEX_ALLOCATION/config");
    blobs.put_json(&key, &manifest).await.unwrap();

    let export = export(&app, &user, &generation, json!({"type": "zip"})).await;
    assert_eq!(export["status"], "failed", "{export}");
    let error = export["error"].as_str().unwrap();
    assert!(
        error.contains(".git::$INDEX_ALLOCATION/config") && error.contains("`.git`"),
        "{error}"
    );
    assert!(
        !error.contains("gave up after"),
        "failed on its first delivery: {error}"
    );
    assert!(app.drain_queue("exports").await.is_empty());
    assert!(app.drain_queue("exports-dlq").await.is_empty());
}

/// A message that is not a job will never be one: each worker drops it instead of having it
/// delivered again until the DLQ.
#[tokio::test]
async fn a_message_that_is_not_a_job_is_not_delivered_again() {
    let app = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let garbage = forgeflow_tests::sqs_batch(["{not json"]);
    let deadline = chrono::Utc::now() + chrono::Duration::minutes(1);
    let export = forgeflow_workers::export::handler(&app.workers_export(), garbage.clone(), deadline).await;
    assert!(export.batch_item_failures.is_empty());
    let generate = forgeflow_workers::generate::handler(&app.workers_generate(), garbage.clone(), deadline).await;
    assert!(generate.batch_item_failures.is_empty());
    let step = forgeflow_workers::step::handler(&app.step_worker, garbage, deadline).await;
    assert!(step.batch_item_failures.is_empty());
}

/// `n` deliveries of one job in one batch, each its own message, as SQS may hand them over.
fn copies(job: &Value, n: usize) -> aws_lambda_events::sqs::SqsEvent {
    forgeflow_tests::sqs_batch(std::iter::repeat_n(job.to_string(), n))
}

/// Five copies of one export job at once, in two containers: one does the work in its own scratch directory, the
/// others are handed back (not failed) and, delivered again, find it done. One commit, one
/// `export_done`.
#[tokio::test]
async fn copies_of_an_export_job_delivered_at_once_export_once() {
    let app = spawn_app().await;
    let user = app.register().await;
    let (_, generation) = ready_generation(&app, &user).await;
    let stored = app
        .context
        .generations
        .get(generation["id"].as_str().unwrap().parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let export = forgeflow_domain::export::Export::new(
        forgeflow_domain::Id::new(),
        &stored,
        forgeflow_domain::export::ExportTarget::Zip,
        chrono::Utc::now(),
    );
    app.context.exports.create(&export).await.unwrap();
    let job = json!({"export_id": export.id});
    // Two containers, each its own worker with its own clients, given copies at the same time.
    let worker = app.workers_export();
    let other_container = app.workers_export();
    let deadline = chrono::Utc::now() + chrono::Duration::minutes(5);

    let (first, beside) = tokio::join!(
        forgeflow_workers::export::handler(&worker, copies(&job, 3), deadline),
        forgeflow_workers::export::handler(&other_container, copies(&job, 2), deadline),
    );
    // Handed back while one works (a copy that starts after it finished has nothing to do).
    let handed_back = first.batch_item_failures.len() + beside.batch_item_failures.len();
    assert!((1..=4).contains(&handed_back), "{first:?} {beside:?}");
    let again = forgeflow_workers::export::handler(&worker, copies(&job, 4), deadline).await;
    assert!(again.batch_item_failures.is_empty(), "redelivered, they find it done");

    let done = app
        .call(Method::GET, &format!("/exports/{}", export.id), Some(&user.token), None)
        .await;
    assert_eq!(done.body["status"], "succeeded", "{}", done.body);
    let events = app
        .context
        .events
        .after(&forgeflow_domain::progress::Topic::export(export.id), 0, 100)
        .await
        .unwrap();
    let finished = events
        .iter()
        .filter(|stored| serde_json::to_value(&stored.event).unwrap()["kind"] == "export_done")
        .count();
    assert_eq!(finished, 1);
    let dir = tempfile::tempdir().unwrap();
    let repo = unpack(&done.body, dir.path()).await;
    assert_eq!(git(&repo, &["rev-list", "--count", "HEAD"]).trim(), "1");
}

/// Four copies of one generation job at once: one generation, announced ready once.
#[tokio::test]
async fn copies_of_a_generation_job_delivered_at_once_announce_it_once() {
    let app = spawn_app().await;
    let user = app.register().await;
    let (project_id, generation) = ready_generation(&app, &user).await;
    let again_id = forgeflow_domain::Id::<forgeflow_domain::generation::Generation>::new();
    let job = json!({
        "generation_id": again_id,
        "execution_id": generation["execution_id"],
        "project_id": project_id,
        "owner": generation["owner"],
        "template": generation["template"],
    });
    let worker = app.workers_generate();
    let deadline = chrono::Utc::now() + chrono::Duration::minutes(5);
    let first = forgeflow_workers::generate::handler(&worker, copies(&job, 4), deadline).await;
    assert!((1..=3).contains(&first.batch_item_failures.len()), "{first:?}");
    let again = forgeflow_workers::generate::handler(&worker, copies(&job, 3), deadline).await;
    assert!(again.batch_item_failures.is_empty());

    let events = app
        .context
        .events
        .after(&forgeflow_domain::progress::Topic::generation(again_id), 0, 100)
        .await
        .unwrap();
    let ready = events
        .iter()
        .filter(|stored| serde_json::to_value(&stored.event).unwrap()["kind"] == "generation_ready")
        .count();
    assert_eq!(ready, 1);
    let stored = app.context.generations.get(again_id).await.unwrap().unwrap();
    assert_eq!(stored.status, forgeflow_domain::generation::GenerationStatus::Ready);
}

/// A change request on `project`, followed to its ready generation.
pub(crate) async fn change(app: &TestApp, user: &User, project: &str, request: &str) -> Value {
    let change = app
        .call(
            Method::POST,
            &format!("/projects/{project}/changes"),
            Some(&user.token),
            Some(json!({"request": request})),
        )
        .await;
    assert_eq!(change.status, StatusCode::ACCEPTED, "{}", change.body);
    let id = change.body["id"].as_str().unwrap().to_owned();
    assert_eq!(app.wait_for_execution(user, &id).await["status"], "succeeded");
    crate::generations::wait_for_generation(app, user, &id).await
}

/// "Export again": the queued exports, one per remembered target.
pub(crate) async fn export_again(app: &TestApp, user: &User, project: &str) -> Vec<Value> {
    let again = app
        .call(
            Method::POST,
            &format!("/projects/{project}/exports"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::ACCEPTED, "{}", again.body);
    again.body["items"].as_array().unwrap().clone()
}

pub(crate) async fn wait_export(app: &TestApp, user: &User, id: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let export = app
            .call(Method::GET, &format!("/exports/{id}"), Some(&user.token), None)
            .await;
        if matches!(export.body["status"].as_str(), Some("succeeded" | "failed")) {
            return export.body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "export still running: {}",
            export.body
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// "Export again" after a change request: one call sends the change to every place the project
/// went before, continuing each history; on GitHub, edits made there meanwhile are merged, kept.
#[tokio::test]
async fn exporting_again_continues_every_remembered_history_and_keeps_edits_made_on_the_forge() {
    let server = ForgeServer::start().await;
    let app = app_with_forges(&server).await;
    let user = user_with_token(&app, "github").await;
    let (project, generation) = ready_generation(&app, &user).await;
    let nothing_yet = app
        .call(
            Method::POST,
            &format!("/projects/{project}/exports"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(nothing_yet.status, StatusCode::CONFLICT);
    assert_eq!(nothing_yet.error_code(), "no_export_targets");

    let repository = format!("{USER}/lending");
    let first = export(
        &app,
        &user,
        &generation,
        json!({"type": "github", "repository": repository}),
    )
    .await;
    assert_eq!(first["status"], "succeeded", "{first}");
    assert_eq!(
        export(&app, &user, &generation, json!({"type": "tar.gz"})).await["status"],
        "succeeded"
    );
    let hand = server.push(
        &repository,
        "main",
        &[
            ("CONTRIBUTING.md", Some(b"Be kind.\n")),
            (".gitignore", Some(b"/target\n*.log\n")),
        ],
    );

    let changed = change(&app, &user, &project, "Add a field due_date to loans").await;
    let change_id = changed["id"].as_str().unwrap();

    let queued = export_again(&app, &user, &project).await;
    let kinds: Vec<&str> = queued.iter().map(|e| e["target"]["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["tar.gz", "github"], "most recently used first");
    assert!(queued.iter().all(|e| e["generation_id"] == change_id));

    let mut done = Vec::new();
    for item in queued {
        done.push(wait_export(&app, &user, item["id"].as_str().unwrap()).await);
    }
    let (archive, github) = (&done[0], &done[1]);
    assert_eq!(github["status"], "succeeded", "{github}");
    assert_eq!(github["result"]["merged"], true, "{github}");
    assert_eq!(github["result"]["conflicts"], json!([]));
    let commit = server.commit(github["result"]["commit_sha"].as_str().unwrap()).unwrap();
    assert_eq!(commit.parents, vec![hand], "on top of the hand edits");
    assert!(
        commit.message.starts_with("Add a field due_date to loans"),
        "{}",
        commit.message
    );
    let tree = server.tree_of(&repository, "main");
    assert_eq!(tree["CONTRIBUTING.md"].1, b"Be kind.\n");
    assert_eq!(tree[".gitignore"].1, b"/target\n*.log\n");
    assert!(String::from_utf8_lossy(&tree["src/routes/loan.rs"].1).contains("pub due_date: String"));

    assert_eq!(archive["status"], "succeeded", "{archive}");
    let dir = tempdir();
    let root = unpack(archive, dir.path()).await;
    let subjects = git(&root, &["log", "--format=%s"]);
    let subjects: Vec<&str> = subjects.lines().collect();
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert_eq!(subjects[0], "Add a field due_date to loans");

    // Exporting again keeps the targets' order: exporting again is not a new use of each.
    let twice = app
        .call(
            Method::POST,
            &format!("/projects/{project}/exports"),
            Some(&user.token),
            None,
        )
        .await;
    let kinds: Vec<&str> = twice.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["target"]["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["tar.gz", "github"]);
    for item in twice.body["items"].as_array().unwrap() {
        let done = wait_export(&app, &user, item["id"].as_str().unwrap()).await;
        assert_eq!(done["status"], "succeeded", "{done}");
    }
}

/// An export row is saved whole, so each save is conditioned on the version it read: of two
/// writers that read the same row, the second to save is refused instead of erasing the first's
/// fields.
#[tokio::test]
async fn a_stale_export_row_cannot_overwrite_a_newer_one() {
    let app = spawn_app().await;
    let user = app.register().await;
    let (_, generation) = ready_generation(&app, &user).await;
    let done = export(&app, &user, &generation, json!({"type": "zip"})).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let id = done["id"].as_str().unwrap().parse().unwrap();
    let store = &app.context.exports;
    let mut first = store.get(id).await.unwrap().unwrap();
    let mut second = store.get(id).await.unwrap().unwrap();

    first.phase = "first writer".into();
    store.save(&mut first).await.unwrap();
    second.result.commit_sha = Some("stale".into());
    let refused = store.save(&mut second).await;
    assert!(
        matches!(refused, Err(forgeflow_store::StoreError::Conflict(_))),
        "{refused:?}"
    );

    let stored = store.get(id).await.unwrap().unwrap();
    assert_eq!(stored.phase, "first writer");
    assert_ne!(stored.result.commit_sha.as_deref(), Some("stale"));
}
