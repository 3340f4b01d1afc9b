//! GitLab through the stack: the export-worker continues a project's history there, merging
//! edits made on GitLab since, and opens a merge request when asked. The API takes https base
//! URLs only and the local forge speaks http on loopback (the worker's local switch allows it),
//! so the first export row is written here as `POST /generations/{id}/exports` would.

use chrono::Utc;
use forgeflow_domain::export::{Export, ExportJob, ExportTarget};
use forgeflow_tests::forge_server::ForgeServer;
use forgeflow_tests::{TestApp, User};

use serde_json::Value;

use crate::exports::{
    app_with_forges, change, export_again, generation_files, ready_generation, user_with_token, wait_export,
};

/// Exports `generation` to `target` through the export-worker, as the API would queue it.
async fn export_to(app: &TestApp, user: &User, generation: &str, target: ExportTarget) -> Value {
    let stored = app
        .context
        .generations
        .get(generation.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let row = Export::new(forgeflow_domain::Id::new(), &stored, target, Utc::now());
    app.context.exports.create(&row).await.unwrap();
    app.context
        .exports
        .remember_target(stored.project_id, &row.target, row.created_at)
        .await
        .unwrap();
    let job = ExportJob { export_id: row.id };
    forgeflow_workers::export::run(&app.workers().export, &job, Utc::now() + chrono::Duration::minutes(5))
        .await
        .unwrap();
    wait_export(app, user, &row.id.to_string()).await
}

fn gitlab(server: &ForgeServer, project: &str, merge_request: bool) -> ExportTarget {
    ExportTarget::Gitlab {
        project: project.into(),
        base_url: Some(server.url()),
        private: true,
        branch: None,
        merge_request,
    }
}

#[tokio::test]
async fn a_gitlab_export_commits_the_generation_in_one_commit() {
    let server = ForgeServer::start().await;
    let app = app_with_forges(&server).await;
    let user = user_with_token(&app, "gitlab").await;
    let (_, generation) = ready_generation(&app, &user).await;

    let id = generation["id"].as_str().unwrap();
    let done = export_to(&app, &user, id, gitlab(&server, "acme/library", false)).await;

    assert_eq!(done["status"], "succeeded", "{done}");
    let branch = done["result"]["branch"].as_str().unwrap();
    let tree = server.tree_of("acme/library", branch);
    assert_eq!(tree.len(), generation_files(&generation).len());
    assert_eq!(
        server.commits_on("acme/library", branch).len(),
        2,
        "the README it was created with, then the export"
    );
}

#[tokio::test]
async fn a_change_exported_again_to_gitlab_merges_edits_made_there_and_can_go_to_a_merge_request() {
    let server = ForgeServer::start().await;
    let app = app_with_forges(&server).await;
    let user = user_with_token(&app, "gitlab").await;
    let (project, generation) = ready_generation(&app, &user).await;
    let first = export_to(
        &app,
        &user,
        generation["id"].as_str().unwrap(),
        gitlab(&server, "acme/lending", false),
    )
    .await;
    assert_eq!(first["status"], "succeeded", "{first}");
    let hand = server.push("acme/lending", "main", &[("CONTRIBUTING.md", Some(b"Be kind.\n"))]);

    let changed = change(&app, &user, &project, "Add a field due_date to loans").await;
    let change_id = changed["id"].as_str().unwrap().to_owned();
    let queued = export_again(&app, &user, &project).await;
    assert_eq!(queued.len(), 1);
    let done = wait_export(&app, &user, queued[0]["id"].as_str().unwrap()).await;

    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["result"]["merged"], true, "{done}");
    let commit = server.commit(done["result"]["commit_sha"].as_str().unwrap()).unwrap();
    assert_eq!(commit.parents, vec![hand], "on top of the edit made on GitLab");
    assert!(
        commit.message.starts_with("Add a field due_date to loans"),
        "{}",
        commit.message
    );
    let tree = server.tree_of("acme/lending", "main");
    assert_eq!(tree["CONTRIBUTING.md"].1, b"Be kind.\n");
    assert!(String::from_utf8_lossy(&tree["src/routes/loan.rs"].1).contains("pub due_date: String"));

    let reviewed = export_to(&app, &user, &change_id, gitlab(&server, "acme/lending-review", true)).await;
    assert_eq!(reviewed["status"], "succeeded", "{reviewed}");
    let branch = reviewed["result"]["branch"].as_str().unwrap();
    assert!(
        branch.starts_with("forgeflow/add-a-field-due-date-to-loans-"),
        "{branch}"
    );
    let url = reviewed["result"]["pull_request_url"].as_str().unwrap();
    assert!(url.ends_with("/acme/lending-review/-/merge_requests/1"), "{url}");
    assert_eq!(
        server.tree_of("acme/lending-review", "main").len(),
        1,
        "only the README GitLab made"
    );
    let requests = server.repo_info("acme/lending-review").pulls;
    assert_eq!((requests[0].head.as_str(), requests[0].base.as_str()), (branch, "main"));
}

#[tokio::test]
async fn a_gitlab_branch_imports_as_a_projects_first_generation_remembered_as_its_export_target() {
    let server = ForgeServer::start().await;
    let app = app_with_forges(&server).await;
    let user = user_with_token(&app, "gitlab").await;
    let files: &[(&str, &str, &[u8])] = &[
        ("README.md", "100644", b"# Legacy\n"),
        ("bin/check", "100755", b"#!/bin/sh\nexit 0\n"),
    ];
    let head = server.repo("acme/legacy", files).unwrap();
    let project = app.create_project(&user, "Legacy").await;
    let project = app
        .context
        .projects
        .get(
            user.id.parse().unwrap(),
            project["id"].as_str().unwrap().parse().unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    let source = forgeflow_domain::import::ImportSource::Gitlab {
        project: "acme/legacy".into(),
        base_url: Some(server.url()),
        branch: None,
    };
    let generation = forgeflow_domain::generation::Generation::import(&project, source, Utc::now());
    app.context.generations.create(&generation).await.unwrap();
    let job = forgeflow_domain::import::ImportJob {
        generation_id: generation.id,
    };

    forgeflow_workers::import::run(&app.workers_import(), &job, Utc::now() + chrono::Duration::minutes(5))
        .await
        .unwrap();

    let imported = crate::generations::wait_for_generation(&app, &user, &generation.id.to_string()).await;
    assert_eq!(imported["status"], "ready", "{imported}");
    assert_eq!(imported["imported"]["commit"], head.as_str());
    let modes: Vec<(&str, &str)> = imported["manifest"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["mode"].as_str().unwrap()))
        .collect();
    assert_eq!(modes, [("README.md", "100644"), ("bin/check", "100755")]);
    let targets = app.context.exports.targets(project.id).await.unwrap();
    assert_eq!(targets.len(), 1);
    assert_eq!(
        targets[0].target.remote_key().as_deref(),
        Some(format!("gitlab:{}/acme/legacy@main", server.url()).as_str())
    );
}
