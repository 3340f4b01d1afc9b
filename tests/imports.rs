//! Imports through the stack: an uploaded archive (presigned S3 PUT to moto) and a GitHub branch
//! (the local forge server) become a project's first generation, its history kept, and change
//! requests, diffs and exports continue from it.

use forgeflow_tests::forge_server::{ForgeServer, USER};
use forgeflow_tests::{TestApp, User, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::exports::{
    app_with_forges, change, export, export_again, git, ready_generation, tempdir, unpack, user_with_token, wait_export,
};
use crate::generations::wait_for_generation;

/// `POST /projects/{project}/imports` with `source`.
pub(crate) async fn start_import(
    app: &TestApp,
    user: &User,
    project: &str,
    source: Value,
) -> forgeflow_tests::TestResponse {
    app.call(
        Method::POST,
        &format!("/projects/{project}/imports"),
        Some(&user.token),
        Some(json!({"source": source})),
    )
    .await
}

/// Uploads `bytes` as the import of a new project, as a client does; returns (project, generation id).
pub(crate) async fn upload_import(app: &TestApp, user: &User, bytes: Vec<u8>, format: &str) -> (String, String) {
    let project = app.create_project(user, "Imported library").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let created = start_import(
        app,
        user,
        &project,
        json!({"type": "upload", "format": format, "size": bytes.len()}),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let generation = created.body["generation"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created.body["generation"]["status"], "awaiting_upload");
    let start = format!("/generations/{generation}/import");
    let early = app.call(Method::POST, &start, Some(&user.token), None).await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    assert_eq!(early.error_code(), "upload_missing");

    let upload = &created.body["upload"];
    let mut put = reqwest::Client::new().put(upload["url"].as_str().unwrap());
    for (name, value) in upload["headers"].as_object().unwrap() {
        put = put.header(name, value.as_str().unwrap());
    }
    let stored = put.body(bytes).send().await.unwrap();
    assert!(stored.status().is_success(), "{:?}", stored.text().await);

    let started = app.call(Method::POST, &start, Some(&user.token), None).await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
    let again = app.call(Method::POST, &start, Some(&user.token), None).await;
    assert_eq!(again.error_code(), "not_awaiting_upload", "started once");
    (project, generation)
}

fn manifest_blobs(generation: &Value) -> Vec<(String, String, String)> {
    let mut files: Vec<(String, String, String)> = generation["manifest"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let text = |key: &str| f[key].as_str().unwrap().to_owned();
            (text("path"), text("mode"), text("git_blob_id"))
        })
        .collect();
    files.sort();
    files
}

#[tokio::test]
async fn an_uploaded_zip_with_its_git_folder_becomes_the_first_generation_and_its_history_continues() {
    let app = spawn_app().await;
    let user = app.register().await;
    let (_, original) = ready_generation(&app, &user).await;
    let exported = export(&app, &user, &original, json!({"type": "zip"})).await;
    let url = exported["result"]["download_url"].as_str().unwrap();
    let zip = reqwest::get(url).await.unwrap().bytes().await.unwrap().to_vec();
    let first = tempdir();
    let original_commit = git(&unpack(&exported, first.path()).await, &["rev-parse", "HEAD"]);

    let (project, id) = upload_import(&app, &user, zip, "zip").await;
    let imported = wait_for_generation(&app, &user, &id).await;

    assert_eq!(imported["status"], "ready", "{imported}");
    assert_eq!(
        manifest_blobs(&imported),
        manifest_blobs(&original),
        "the same files, byte for byte"
    );
    assert_eq!(imported["imported"]["history_commits"], 1);
    assert_eq!(imported["imported"]["commit"], original_commit.trim());
    let again = start_import(&app, &user, &project, json!({"type": "github", "repository": "a/b"})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.error_code(), "project_not_empty");

    // A change request applies to the imported code, and the export continues its history.
    let changed = change(&app, &user, &project, "Add a field due_date to loans").await;
    assert_eq!(changed["status"], "ready", "{changed}");
    assert_eq!(changed["parent"], id.as_str());
    let diff = app
        .call(
            Method::GET,
            &format!("/generations/{}/diff", changed["id"].as_str().unwrap()),
            Some(&user.token),
            None,
        )
        .await;
    assert!(
        diff.body["stat"]["files_changed"].as_u64().unwrap() >= 1,
        "{}",
        diff.body
    );
    let archive = export(&app, &user, &changed, json!({"type": "tar.gz"})).await;
    let dir = tempdir();
    let root = unpack(&archive, dir.path()).await;
    let log = git(&root, &["log", "--format=%H %s"]);
    let log: Vec<&str> = log.lines().collect();
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(log[0].ends_with("Add a field due_date to loans"), "{log:?}");
    assert!(
        log[1].starts_with(original_commit.trim()),
        "the uploaded history, same commit: {log:?}"
    );
    assert!(
        std::fs::read_to_string(root.join("src/routes/loan.rs"))
            .unwrap()
            .contains("due_date")
    );
}

#[tokio::test]
async fn what_an_upload_cannot_hold_is_refused_and_a_broken_archive_fails_with_its_reason() {
    let app = spawn_app().await;
    let user = app.register().await;
    let project = app.create_project(&user, "Checks").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (source, field) in [
        (json!({"type": "upload", "format": "zip", "size": 0}), "source.size"),
        (
            json!({"type": "upload", "format": "zip", "size": 200 * 1024 * 1024}),
            "source.size",
        ),
        (json!({"type": "github", "repository": "no-slash"}), "source.repository"),
        (
            json!({"type": "gitlab", "project": "a/b", "base_url": "http://10.0.0.1"}),
            "source.base_url",
        ),
    ] {
        let refused = start_import(&app, &user, &project, source).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
        assert_eq!(refused.body["error"]["field"], field, "{}", refused.body);
    }
    let other = app.register().await;
    let theirs = start_import(
        &app,
        &other,
        &project,
        json!({"type": "upload", "format": "zip", "size": 10}),
    )
    .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);

    // A tarball with a path that leaves the project and a link: both refused, the rest imported.
    let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast()));
    let mut add = |name: &str, kind: tar::EntryType, body: &[u8]| {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_size(body.len() as u64);
        header.set_mode(0o644);
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        if kind == tar::EntryType::Symlink {
            header.set_link_name("/etc/passwd").unwrap();
        }
        header.set_cksum();
        builder.append(&header, body).unwrap();
    };
    add("README.md", tar::EntryType::Regular, b"# Mine\n");
    add("../outside.txt", tar::EntryType::Regular, b"x");
    add("passwd", tar::EntryType::Symlink, b"");
    let bytes = builder.into_inner().unwrap().finish().unwrap();
    let (_, id) = upload_import(&app, &user, bytes, "tar.gz").await;
    let imported = wait_for_generation(&app, &user, &id).await;
    assert_eq!(imported["status"], "ready", "{imported}");
    assert_eq!(imported["file_count"], 1);
    let refused: Vec<&str> = imported["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(refused, ["../outside.txt", "passwd"]);
    assert!(imported["imported"]["commit"].is_null(), "no .git: no history");

    let (_, broken) = upload_import(&app, &user, b"this is not a zip".to_vec(), "zip").await;
    let failed = wait_for_generation(&app, &user, &broken).await;
    assert_eq!(failed["status"], "failed");
    assert!(
        failed["error"].as_str().unwrap().contains("not a readable zip archive"),
        "{failed}"
    );
}

#[tokio::test]
async fn a_github_branch_imports_as_the_first_generation_and_exports_continue_its_history_there() {
    let server = ForgeServer::start().await;
    let app = app_with_forges(&server).await;
    let user = user_with_token(&app, "github").await;
    // The repository holds a project someone made earlier (Forgeflow's own, so offline change
    // requests understand it), with one more commit made by hand.
    let (_, made) = ready_generation(&app, &user).await;
    let prefix = format!("generations/{}/files/", made["id"].as_str().unwrap());
    let mut files = Vec::new();
    for file in made["manifest"]["files"].as_array().unwrap() {
        let path = file["path"].as_str().unwrap().to_owned();
        let bytes = app
            .context
            .engine
            .blobs
            .get_bytes(&format!("{prefix}{path}"))
            .await
            .unwrap();
        files.push((path, file["mode"].as_str().unwrap().to_owned(), bytes));
    }
    let repository = format!("{USER}/legacy");
    let listed: Vec<(&str, &str, &[u8])> = files
        .iter()
        .map(|(p, m, b)| (p.as_str(), m.as_str(), b.as_slice()))
        .collect();
    server.repo(&repository, &listed);
    let head = server.push(&repository, "main", &[("CONTRIBUTING.md", Some(b"Be kind.\n"))]);

    let project = app.create_project(&user, "Legacy").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let queued = start_import(
        &app,
        &user,
        &project,
        json!({"type": "github", "repository": repository}),
    )
    .await;
    assert_eq!(queued.status, StatusCode::ACCEPTED, "{}", queued.body);
    let id = queued.body["generation"]["id"].as_str().unwrap().to_owned();
    let imported = wait_for_generation(&app, &user, &id).await;

    assert_eq!(imported["status"], "ready", "{imported}");
    assert_eq!(imported["imported"]["commit"], head.as_str());
    assert_eq!(imported["imported"]["branch"], "main");
    assert_eq!(imported["file_count"].as_u64().unwrap() as usize, files.len() + 1);

    let changed = change(&app, &user, &project, "Add a field due_date to loans").await;
    assert_eq!(changed["status"], "ready", "{changed}");
    let items = export_again(&app, &user, &project).await;
    assert_eq!(items.len(), 1, "the imported repository is remembered");
    let done = wait_export(&app, &user, items[0]["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let commit = server.commit(done["result"]["commit_sha"].as_str().unwrap()).unwrap();
    assert_eq!(commit.parents, vec![head], "on top of the imported head");
    let tree = server.tree_of(&repository, "main");
    assert_eq!(tree["CONTRIBUTING.md"].1, b"Be kind.\n");
    assert!(String::from_utf8_lossy(&tree["src/routes/loan.rs"].1).contains("due_date"));
}
