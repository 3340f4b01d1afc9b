//! Change requests through the stack: `POST /projects/{id}/changes` runs the `change` workflow on
//! the latest generation, whose result is a new generation with that one as parent, a diff, a
//! new story, and a project that still builds (tests/templates.rs checks that part offline).

use forgeflow_tests::ai_server::{AiServer, Reply};
use forgeflow_tests::{Options, TestApp, User, spawn_app, spawn_app_with};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::generations::{generated, wait_for_generation};

async fn request_change(app: &TestApp, user: &User, project: &str, body: Value) -> forgeflow_tests::TestResponse {
    app.call(
        Method::POST,
        &format!("/projects/{project}/changes"),
        Some(&user.token),
        Some(body),
    )
    .await
}

/// Runs a change to its generation.
async fn changed(app: &TestApp, user: &User, project: &str, request: &str) -> (Value, Value) {
    let started = request_change(app, user, project, json!({"request": request})).await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
    let id = started.body["id"].as_str().unwrap().to_owned();
    let execution = app.wait_for_execution(user, &id).await;
    assert_eq!(execution["status"], "succeeded", "{execution}");
    (execution, wait_for_generation(app, user, &id).await)
}

async fn file(app: &TestApp, user: &User, generation: &Value, path: &str) -> String {
    app.generation_file(user, generation["id"].as_str().unwrap(), path)
        .await
}

#[tokio::test]
async fn a_change_request_makes_a_child_generation_with_a_diff_and_a_new_story() {
    let app = spawn_app().await;
    let user = app.register().await;
    let (project, first) = generated(&app, &user, None).await;

    let (execution, second) = changed(&app, &user, &project, "Add a field due_date to loans").await;
    assert_eq!(execution["workflow"]["id"], "change");
    assert_eq!(execution["change"]["base_generation"], first["id"]);
    assert_eq!(second["status"], "ready", "{second}");
    assert_eq!(second["parent"], first["id"]);

    let route = file(&app, &user, &second, "src/routes/loan.rs").await;
    assert!(route.contains("pub due_date: String"), "{route}");
    // Untouched files are the same bytes (copied in the bucket).
    assert_eq!(
        file(&app, &user, &second, ".gitignore").await,
        file(&app, &user, &first, ".gitignore").await
    );

    let diff = app
        .call(
            Method::GET,
            &format!("/generations/{}/diff", second["id"].as_str().unwrap()),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(diff.status, StatusCode::OK, "{}", diff.body);
    assert_eq!(diff.body["against"], first["id"]);
    let files = diff.body["files"].as_array().unwrap();
    let loan = files
        .iter()
        .find(|f| f["path"] == "src/routes/loan.rs")
        .expect("the route changed");
    assert_eq!(loan["status"], "modified");
    assert!(
        loan["patch"].as_str().unwrap().contains("+    pub due_date: String,"),
        "{loan}"
    );
    assert!(files.iter().any(|f| f["path"] == ".forgeflow/model.json"));
    assert!(files.iter().all(|f| f["status"] != "deleted"), "{files:?}");

    let stories = app
        .call(
            Method::GET,
            &format!("/projects/{project}/stories"),
            Some(&user.token),
            None,
        )
        .await;
    let last = stories.body["items"].as_array().unwrap().last().unwrap().clone();
    assert!(last["title"].as_str().unwrap().starts_with("Change:"), "{last}");
    // The plan keeps its history: each execution's plan as it wrote it.
    let before = app
        .call(
            Method::GET,
            &format!(
                "/projects/{project}/stories?execution={}",
                first["execution_id"].as_str().unwrap()
            ),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.body);
    let earlier = before.body["items"].as_array().unwrap();
    assert_eq!(earlier.len() + 1, stories.body["items"].as_array().unwrap().len());
    assert!(
        earlier
            .iter()
            .all(|s| !s["title"].as_str().unwrap().starts_with("Change:"))
    );
    let stranger = app.register().await;
    let hidden = app
        .call(
            Method::GET,
            &format!(
                "/projects/{project}/stories?execution={}",
                first["execution_id"].as_str().unwrap()
            ),
            Some(&stranger.token),
            None,
        )
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);

    // A second change builds on the first: its parent is the first change's generation.
    let (_, third) = changed(&app, &user, &project, "rename loan to lending").await;
    assert_eq!(third["parent"], second["id"]);
    let lending = file(&app, &user, &third, "src/routes/lending.rs").await;
    assert!(
        lending.contains("pub struct Lending") && lending.contains("pub due_date: String"),
        "{lending}"
    );
    let paths: Vec<&str> = third["manifest"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(!paths.contains(&"src/routes/loan.rs"), "{paths:?}");
}

#[tokio::test]
async fn bad_change_requests_are_refused_naming_the_field_and_nothing_starts() {
    let app = spawn_app().await;
    let user = app.register().await;
    let empty = app.create_project(&user, "Nothing yet").await;
    let empty_id = empty["id"].as_str().unwrap();

    let no_generation = request_change(&app, &user, empty_id, json!({"request": "add a resource shelf"})).await;
    assert_eq!(no_generation.status, StatusCode::CONFLICT, "{}", no_generation.body);
    assert_eq!(no_generation.error_code(), "no_generation");

    let (project, first) = generated(&app, &user, None).await;
    for (body, field) in [
        (json!({"request": "   "}), "request"),
        (json!({"request": "x".repeat(4_001)}), "request"),
        (json!({"request": "add a resource shelf", "base": "nope"}), "base"),
        (json!({"request": "add a resource shelf", "extra": 1}), "extra"),
        (
            json!({"request": "add a resource shelf", "workflow": "full-project"}),
            "workflow",
        ),
    ] {
        let refused = request_change(&app, &user, &project, body.clone()).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{body}: {}", refused.body);
        assert_eq!(refused.error_field(), field, "{body}");
    }
    let other_project = request_change(
        &app,
        &user,
        &project,
        json!({"request": "add a resource shelf", "base": first["id"]}),
    )
    .await;
    assert_eq!(other_project.status, StatusCode::ACCEPTED, "its own base is fine");
    let foreign_base = request_change(
        &app,
        &user,
        empty_id,
        json!({"request": "add a resource shelf", "base": first["id"]}),
    )
    .await;
    assert_eq!(foreign_base.status, StatusCode::BAD_REQUEST);
    assert_eq!(foreign_base.error_field(), "base");

    let stranger = app.register().await;
    let theirs = request_change(&app, &stranger, &project, json!({"request": "add a resource shelf"})).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);

    // A request the offline provider cannot read fails the patch step with what it understands.
    let started = request_change(&app, &user, &project, json!({"request": "make it faster"})).await;
    let execution = app
        .wait_for_execution(&user, started.body["id"].as_str().unwrap())
        .await;
    assert_eq!(execution["status"], "failed", "{execution}");
    assert!(
        execution["error"].as_str().unwrap().contains("add a field F to R"),
        "{execution}"
    );
}

/// A user's patch engineer on the OpenAI wire format: its first patch edits a file that does not
/// exist, so it is asked once more with the conflict; the second applies.
#[tokio::test]
async fn a_patch_that_does_not_apply_is_answered_again_with_the_conflict_as_feedback() {
    let server = AiServer::start().await;
    server
        .push(Reply::value(
            &json!({"edits": [{"op": "modify", "path": "src/ghost.rs", "content": "x"}]}),
        ))
        .push(Reply::value(
            &json!({"edits": [{"op": "add", "path": "NOTES.md", "content": "# Notes\n"}]}),
        ));
    let app = spawn_app_with(Options {
        ai: server.config(),
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let (project, _) = generated(&app, &user, None).await;
    let agent = app
        .call(
            Method::POST,
            "/agents",
            Some(&user.token),
            Some(json!({
                "name": "Remote patcher",
                "system_prompt": "Answer the change request with a patch.",
                "provider": "openai",
                "output_contract": forgeflow_domain::catalog::patch_contract(),
            })),
        )
        .await;
    assert_eq!(agent.status, StatusCode::CREATED, "{}", agent.body);
    let workflow = app
        .create_workflow(&user, json!([{"id": "patch", "agent": agent.body["id"]}]))
        .await;

    let started = request_change(
        &app,
        &user,
        &project,
        json!({"request": "Write down notes", "workflow": workflow}),
    )
    .await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
    let id = started.body["id"].as_str().unwrap();
    let execution = app.wait_for_execution(&user, id).await;
    assert_eq!(execution["status"], "succeeded", "{execution}");
    assert_eq!(execution["steps"][0]["attempts"], 2, "{execution}");

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let first = requests[0].last_message();
    assert!(
        first.contains("Change request:\nWrite down notes") && first.contains("src/routes/loan.rs"),
        "{first}"
    );
    let retry = requests[1].last_message();
    assert!(
        retry.contains("did not apply") && retry.contains("src/ghost.rs: does not exist"),
        "{retry}"
    );
    let generation = wait_for_generation(&app, &user, id).await;
    assert_eq!(file(&app, &user, &generation, "NOTES.md").await, "# Notes\n");
}
