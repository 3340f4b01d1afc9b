use forgeflow_domain::generation::GenerationJob;
use forgeflow_tests::ai_server::{AiServer, Reply};
use forgeflow_tests::{Options, TestApp, User, spawn_app, spawn_app_with};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Polls `GET /generations/{id}` until it is ready or failed.
pub(crate) async fn wait_for_generation(app: &TestApp, user: &User, id: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let response = app
            .call(Method::GET, &format!("/generations/{id}"), Some(&user.token), None)
            .await;
        if response.status == StatusCode::OK && matches!(response.body["status"].as_str(), Some("ready" | "failed")) {
            return response.body;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "generation not finished: {}",
            response.body
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Every key under the test's bucket.
async fn bucket_keys(app: &TestApp) -> Vec<String> {
    let mut keys = Vec::new();
    let mut token = None;
    loop {
        let page = app
            .context
            .clients
            .s3
            .list_objects_v2()
            .bucket(&app.stack.bucket)
            .set_continuation_token(token)
            .send()
            .await
            .unwrap();
        keys.extend(page.contents().iter().filter_map(|o| o.key().map(String::from)));
        token = page.next_continuation_token().map(String::from);
        if token.is_none() {
            return keys;
        }
    }
}

async fn object(app: &TestApp, key: &str) -> Vec<u8> {
    let output = app
        .context
        .clients
        .s3
        .get_object()
        .bucket(&app.stack.bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    output.body.collect().await.unwrap().into_bytes().to_vec()
}

/// Runs `full-project` (or `workflow`) and waits for the generation it starts.
pub(crate) async fn generated(app: &TestApp, user: &User, workflow: Option<&str>) -> (String, Value) {
    let project = app.create_project(user, "Lending library").await;
    let project_id = project["id"].as_str().unwrap().to_owned();
    let execution = app.start_execution(user, &project_id, workflow).await;
    let finished = app.wait_for_execution(user, &execution).await;
    assert_eq!(finished["status"], "succeeded", "{finished}");
    // The generation an execution starts carries the execution's id.
    (project_id, wait_for_generation(app, user, &execution).await)
}

#[tokio::test]
async fn a_finished_execution_becomes_a_ready_generation_whose_objects_match_the_manifest() {
    let app = spawn_app().await;
    let user = app.register().await;
    let (project_id, generation) = generated(&app, &user, None).await;
    assert_eq!(generation["status"], "ready", "{generation}");
    let files = generation["manifest"]["files"].as_array().unwrap();
    assert_eq!(generation["file_count"], files.len());
    let paths: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    for expected in [
        "README.md",
        "docs/user-stories.md",
        "docs/sprints.md",
        ".gitignore",
        ".github/workflows/ci.yml",
    ] {
        assert!(paths.contains(&expected), "{expected} missing from {paths:?}");
    }
    let prefix = format!("generations/{}/files/", generation["id"].as_str().unwrap());
    for file in files {
        let bytes = object(&app, &format!("{prefix}{}", file["path"].as_str().unwrap())).await;
        assert_eq!(bytes.len() as u64, file["size"].as_u64().unwrap(), "{file}");
        assert_eq!(hex(&Sha256::digest(&bytes)), file["sha256"].as_str().unwrap(), "{file}");
    }

    let readme = app
        .call(
            Method::GET,
            &format!("/generations/{}/files/README.md", generation["id"].as_str().unwrap()),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(readme.status, StatusCode::OK);
    assert!(readme.body.as_str().unwrap().contains("Lending library"));
    let listed = app
        .call(
            Method::GET,
            &format!("/projects/{project_id}/generations"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_redelivered_generation_job_writes_no_second_row_and_the_same_objects() {
    let app = spawn_app_with(Options {
        workers: true,
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let (project_id, generation) = generated(&app, &user, None).await;
    let before = bucket_keys(&app).await;
    let manifest_before = generation["manifest"].clone();

    let id: String = generation["id"].as_str().unwrap().to_owned();
    let job = GenerationJob {
        generation_id: id.parse().unwrap(),
        execution_id: generation["execution_id"].as_str().unwrap().parse().unwrap(),
        project_id: project_id.parse().unwrap(),
        owner: user.id.parse().unwrap(),
        template: serde_json::from_value(generation["template"].clone()).unwrap(),
        parent: None,
        change_request: None,
    };
    forgeflow_workers::generate::generate(
        &app.workers().generate,
        &job,
        chrono::Utc::now() + chrono::Duration::minutes(5),
    )
    .await
    .unwrap();

    assert_eq!(bucket_keys(&app).await, before);
    let again = wait_for_generation(&app, &user, &id).await;
    assert_eq!(again["manifest"], manifest_before);
    let listed = app
        .call(
            Method::GET,
            &format!("/projects/{project_id}/generations"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
}

/// A user's engineer agent (on the OpenAI wire format) that writes hostile paths.
async fn hostile_workflow(app: &TestApp, user: &User) -> String {
    let agent = app
        .call(
            Method::POST,
            "/agents",
            Some(&user.token),
            Some(json!({"name": "Rogue", "system_prompt": "Write files.", "role": "engineer", "provider": "openai"})),
        )
        .await;
    assert_eq!(agent.status, StatusCode::CREATED, "{}", agent.body);
    app.create_workflow(
        user,
        json!([
            {"id": "plan", "agent": "product-manager"},
            {"id": "code", "agent": agent.body["id"], "depends_on": ["plan"]}
        ]),
    )
    .await
}

#[tokio::test]
async fn hostile_agent_paths_are_refused_and_reported_and_nothing_leaves_the_prefix() {
    let server = AiServer::start().await;
    let big = "x".repeat(1_500_000);
    server.always(Reply::value(&json!({"files": [
        {"path": "../../etc/passwd", "content": "root"},
        {"path": "/abs/file", "content": "a"},
        {"path": "a\\b.txt", "content": "b"},
        {"path": ".git/config", "content": "[core]"},
        {"path": "nul\u{0}byte.txt", "content": "n"},
        {"path": "src/ok.txt", "content": "fine"},
        {"path": "assets/big.txt", "content": big}
    ]})));
    let app = spawn_app_with(Options {
        ai: server.config(),
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let workflow = hostile_workflow(&app, &user).await;
    let (_, generation) = generated(&app, &user, Some(&workflow)).await;
    assert_eq!(generation["status"], "ready", "{generation}");
    let refused: Vec<&str> = generation["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(refused.len(), 5, "{refused:?}");
    assert!(
        generation["refused"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| !r["reason"].as_str().unwrap().is_empty())
    );

    let id = generation["id"].as_str().unwrap();
    let prefix = format!("generations/{id}/files/");
    for key in bucket_keys(&app).await {
        assert!(!key.contains(".."), "{key}");
        assert!(!key.to_lowercase().contains(".git/"), "{key}");
        assert!(
            key.starts_with(&prefix) || !key.starts_with("generations/") || key.ends_with("manifest.json"),
            "{key}"
        );
    }
    let ok = app
        .call(
            Method::GET,
            &format!("/generations/{id}/files/src/ok.txt"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(ok.body, "fine");

    // Above the inline limit the API redirects to a presigned S3 URL.
    let redirect = app
        .send(
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap()
                .get(format!("{}/generations/{id}/files/assets/big.txt", app.url))
                .bearer_auth(&user.token),
        )
        .await;
    assert_eq!(redirect.status, StatusCode::TEMPORARY_REDIRECT);
    let location = redirect.headers["location"].to_str().unwrap();
    let fetched = reqwest::get(location).await.unwrap().bytes().await.unwrap();
    assert_eq!(fetched.len(), 1_500_000);
}

#[tokio::test]
async fn the_files_endpoint_refuses_unsafe_and_unknown_paths_and_strangers() {
    let app = spawn_app().await;
    let user = app.register().await;
    let stranger = app.register().await;
    let (_, generation) = generated(&app, &user, None).await;
    let id = generation["id"].as_str().unwrap();
    let unsafe_path = app
        .call(
            Method::GET,
            &format!("/generations/{id}/files/src/..%2F..%2Fsecret"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(unsafe_path.status, StatusCode::BAD_REQUEST, "{}", unsafe_path.body);
    assert_eq!(unsafe_path.error_field(), "path");
    let unknown = app
        .call(
            Method::GET,
            &format!("/generations/{id}/files/no/such/file"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    for path in [
        format!("/generations/{id}"),
        format!("/generations/{id}/files/README.md"),
    ] {
        let response = app.call(Method::GET, &path, Some(&stranger.token), None).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn a_project_can_be_generated_again_with_another_template() {
    let app = spawn_app().await;
    let user = app.register().await;
    let (project_id, first) = generated(&app, &user, None).await;
    let path = format!("/projects/{project_id}/generations");
    let bad = app
        .call(
            Method::POST,
            &path,
            Some(&user.token),
            Some(json!({"execution_id": "0193d5e4-7c1a-7000-8000-000000000000"})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.error_field(), "execution_id");

    let again = app
        .call(
            Method::POST,
            &path,
            Some(&user.token),
            Some(json!({"execution_id": first["execution_id"], "template": "react-vite"})),
        )
        .await;
    assert_eq!(again.status, StatusCode::ACCEPTED, "{}", again.body);
    let second = wait_for_generation(&app, &user, again.body["id"].as_str().unwrap()).await;
    assert_eq!(second["status"], "ready", "{second}");
    assert_ne!(second["id"], first["id"]);
    let paths: Vec<&str> = second["manifest"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"package.json"), "{paths:?}");
    let listed = app.call(Method::GET, &path, Some(&user.token), None).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_generation_over_its_limits_fails_with_a_clear_reason() {
    let app = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let project = app.create_project(&user, "Limited").await;
    let execution = app.start_execution(&user, project["id"].as_str().unwrap(), None).await;
    // Run the steps by hand through a worker pool, then generate with a tiny file limit.
    let workers = app.start_workers().await;
    assert_eq!(app.wait_for_execution(&user, &execution).await["status"], "succeeded");
    drop(workers);
    let mut worker = app.workers_generate();
    worker.limits.max_files = 3;
    let job = GenerationJob {
        generation_id: forgeflow_domain::Id::new(),
        execution_id: execution.parse().unwrap(),
        project_id: project["id"].as_str().unwrap().parse().unwrap(),
        owner: user.id.parse().unwrap(),
        template: forgeflow_domain::project::Template::RustAxum,
        parent: None,
        change_request: None,
    };
    forgeflow_workers::generate::generate(&worker, &job, chrono::Utc::now() + chrono::Duration::minutes(5))
        .await
        .unwrap();
    let failed = wait_for_generation(&app, &user, &job.generation_id.to_string()).await;
    assert_eq!(failed["status"], "failed");
    let reason = failed["error"].as_str().unwrap();
    assert!(
        reason.contains('3') && reason.to_lowercase().contains("files"),
        "{reason}"
    );
    // Its listeners were told, with the same reason.
    let topic = forgeflow_domain::progress::Topic::generation(job.generation_id);
    let events = app.context.events.after(&topic, 0, 10).await.unwrap();
    let last = serde_json::to_value(&events.last().expect("a stored event").event).unwrap();
    assert_eq!(last["kind"], "generation_failed");
    assert_eq!(last["error"], reason);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
