//! A function run as Lambda runs it (`forgeflow_local::processes`): its own processes, reused
//! while warm, replaced when dead, killed past the timeout, and failing init as in AWS.

use std::time::Duration;

use forgeflow_local::processes::{FunctionProcesses, FunctionSpec, StartError};
use forgeflow_local::runtime_api::Outcome;
use forgeflow_tests::forge_server::ForgeServer;
use forgeflow_tests::lambda::{debug_binary, environment};
use forgeflow_tests::{Options, TestApp, spawn_app_with};
use forgeflow_workers::export::ForgeSettings;
use serde_json::{Value, json};

fn hello(timeout: Duration, concurrency: usize) -> FunctionProcesses {
    FunctionProcesses::new(FunctionSpec {
        name: "hello-lambda".into(),
        binary: debug_binary("hello-lambda"),
        env: Vec::new(),
        memory_mb: 128,
        timeout,
        concurrency,
    })
}

fn body(outcome: Outcome) -> Value {
    match outcome {
        Outcome::Response(body) => serde_json::from_slice(&body).unwrap(),
        Outcome::Error { error_type, message } => panic!("{error_type}: {message}"),
    }
}

#[tokio::test]
async fn concurrent_invocations_run_in_separate_processes_that_stay_warm() {
    let function = hello(Duration::from_secs(10), 2);
    let slow = json!({"sleep_ms": 300}).to_string();
    let (a, b, c) = tokio::join!(
        function.invoke(slow.clone()),
        function.invoke(slow.clone()),
        function.invoke(slow.clone())
    );
    for outcome in [a, b, c] {
        assert_eq!(body(outcome.unwrap())["hello"], "world");
    }
    let warm = function.idle_pids().await;
    assert_eq!(warm.len(), 2, "two at once at most, each kept warm");
    body(function.invoke("{}").await.unwrap());
    let mut after = function.idle_pids().await;
    after.sort();
    let mut before = warm.clone();
    before.sort();
    assert_eq!(after, before, "a warm process served the next invocation");
}

#[tokio::test]
async fn a_handler_past_its_timeout_is_killed_and_reported_as_timed_out() {
    let function = hello(Duration::from_millis(500), 1);
    body(function.invoke("{}").await.unwrap());
    let first = function.idle_pids().await;
    let outcome = function.invoke(json!({"sleep_ms": 5_000}).to_string()).await.unwrap();
    assert_eq!(
        outcome,
        Outcome::Error {
            error_type: "Sandbox.Timedout".into(),
            message: "Task timed out after 0.50 seconds".into(),
        }
    );
    assert!(function.idle_pids().await.is_empty(), "the timed-out process is gone");
    assert!(!alive(first[0]), "and killed");
    body(function.invoke("{}").await.unwrap());
    assert_ne!(function.idle_pids().await, first, "the next invocation started cold");
}

#[tokio::test]
async fn a_dead_process_is_replaced() {
    let function = hello(Duration::from_secs(10), 1);
    body(function.invoke("{}").await.unwrap());
    let pid = function.idle_pids().await[0];
    kill(pid);
    for _ in 0..50 {
        if !alive(pid) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The kernel may still be tearing the process down when the next invocation comes: that one
    // may fail as Runtime.ExitError (as an invocation on a dying sandbox does), the one after it
    // must run in a new process.
    let first = function.invoke("{}").await.unwrap();
    let answered = match first {
        Outcome::Response(_) => first,
        Outcome::Error { ref error_type, .. } if error_type == "Runtime.ExitError" => {
            function.invoke("{}").await.unwrap()
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(body(answered)["hello"], "world");
    assert_ne!(function.idle_pids().await, vec![pid]);
}

#[tokio::test]
async fn a_function_that_cannot_read_what_its_init_needs_fails_to_start() {
    let app: TestApp = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let mut env = environment(&app, "projects-get", "").await;
    env.retain(|(name, _)| name != "FORGEFLOW_JWT_SECRET_ID");
    env.push(("FORGEFLOW_JWT_SECRET_ID".into(), "no-such-secret".into()));
    let function = FunctionProcesses::new(FunctionSpec {
        name: "projects-get".into(),
        binary: debug_binary("forgeflow-api"),
        env,
        memory_mb: 128,
        timeout: Duration::from_secs(10),
        concurrency: 1,
    });
    let refused = function.invoke("{}").await;
    assert!(
        matches!(&refused, Err(StartError::Init { function, reason }) if function == "projects-get" && reason.contains("exited")),
        "{refused:?}"
    );
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| !stat.contains(") Z "))
        .unwrap_or(false)
}

fn kill(pid: u32) {
    let status = std::process::Command::new("kill")
        .arg("-9")
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

/// The main job with every function (HTTP, WebSocket, the SQS workers) in processes of its own,
/// as `make run` serves it: sign up, a project, a run watched over the WebSocket, its generation, an archive
/// export downloaded through its presigned URL, and a signed webhook.
#[tokio::test]
async fn the_main_job_works_with_every_function_in_its_own_processes() {
    use forgeflow_tests::ws::{WsClient, has_kind};
    use reqwest::{Method, StatusCode};

    let forge = ForgeServer::start().await;
    let app = spawn_app_with(Options {
        processes: true,
        forges: ForgeSettings {
            github_api_url: Some(forge.url()),
            gitlab_allow_private_network: true,
        },
        ..Options::default()
    })
    .await;
    let user = crate::exports::user_with_token(&app, "github").await;
    let me = app.call(Method::GET, "/me", Some(&user.token), None).await;
    assert_eq!(me.body["email"], user.email.as_str(), "{}", me.body);
    let project = app.create_project(&user, "Processes").await;
    let project_id = project["id"].as_str().unwrap().to_owned();

    let mut socket = WsClient::connect(&app.gateway.ws_url(), &user.token)
        .await
        .expect("handshake");
    let execution = app.start_execution(&user, &project_id, None).await;
    let topic = format!("generation:{execution}");
    socket.subscribe(&topic, 0).await;
    socket.until(|frame| has_kind(frame, "generation_ready")).await;
    assert_eq!(app.wait_for_execution(&user, &execution).await["status"], "succeeded");

    let started = app
        .call(
            Method::POST,
            &format!("/generations/{execution}/exports"),
            Some(&user.token),
            Some(json!({"target": {"type": "tar.gz"}})),
        )
        .await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
    let export_id = started.body["id"].as_str().unwrap().to_owned();
    let mut export = Value::Null;
    for _ in 0..300 {
        export = app
            .call(Method::GET, &format!("/exports/{export_id}"), Some(&user.token), None)
            .await
            .body;
        if matches!(export["status"].as_str(), Some("succeeded" | "failed")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(export["status"], "succeeded", "{export}");
    let url = export["result"]["download_url"].as_str().expect("a download URL");
    let archive = reqwest::get(url).await.unwrap().bytes().await.unwrap();
    assert_eq!(&archive[..2], &[0x1f, 0x8b], "a gzip stream");

    // The export-worker's process reaches the (local) GitHub with the owner's token, decrypted
    // through KMS under its own role, and commits the generation there.
    let repository = format!("{}/processes", forgeflow_tests::forge_server::USER);
    let generation = crate::generations::wait_for_generation(&app, &user, &execution).await;
    let pushed = crate::exports::export(
        &app,
        &user,
        &generation,
        json!({"type": "github", "repository": repository}),
    )
    .await;
    assert_eq!(pushed["status"], "succeeded", "{pushed}");
    let branch = pushed["result"]["branch"].as_str().unwrap();
    assert_eq!(
        forge.head(&repository, branch).as_deref(),
        pushed["result"]["commit_sha"].as_str(),
        "the branch points at the export's commit"
    );
    assert_eq!(
        forge.tree_of(&repository, branch).len(),
        crate::exports::generation_files(&generation).len(),
        "the branch holds the generation's files"
    );

    let hook = app
        .call(
            Method::POST,
            &format!("/projects/{project_id}/hooks"),
            Some(&user.token),
            Some(json!({"target": {"type": "zip"}})),
        )
        .await;
    assert_eq!(hook.status, StatusCode::CREATED, "{}", hook.body);
    let body = r#"{"pipeline":"nightly"}"#;
    let signature = forgeflow_domain::webhook::sign(
        hook.body["secret"].as_str().unwrap().as_bytes(),
        chrono::Utc::now().timestamp(),
        body.as_bytes(),
    );
    let delivered = app
        .send(
            app.raw(Method::POST, &format!("/hooks/{}", hook.body["id"].as_str().unwrap()))
                .header("content-type", "application/json")
                .header("x-forgeflow-signature", signature)
                .body(body),
        )
        .await;
    assert_eq!(delivered.status, StatusCode::ACCEPTED, "{}", delivered.body);

    // Deleting the project: the route queues it, the project-deleter (its own role, with the
    // bucket's delete grant) removes the files and rows.
    let deleted = app
        .call(
            Method::DELETE,
            &format!("/projects/{project_id}"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::ACCEPTED, "{}", deleted.body);
    app.wait_until_project_removed(&user, &project_id).await;
    let left = app
        .context
        .clients
        .s3
        .list_objects_v2()
        .bucket(&app.stack.bucket)
        .prefix(format!("generations/{execution}/"))
        .send()
        .await
        .unwrap();
    assert!(left.contents().is_empty(), "the generation's files are gone");
}

/// A change request, its diff, the plan's history and "export again", every function in its own
/// processes under its own role: what the change workflow reads and writes is granted.
#[tokio::test]
async fn a_change_request_works_with_every_function_in_its_own_processes() {
    use reqwest::{Method, StatusCode};

    let app = spawn_app_with(Options {
        processes: true,
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let project = app.create_project(&user, "Processes").await;
    let project_id = project["id"].as_str().unwrap().to_owned();
    let first = app.start_execution(&user, &project_id, None).await;
    assert_eq!(app.wait_for_execution(&user, &first).await["status"], "succeeded");
    crate::generations::wait_for_generation(&app, &user, &first).await;
    let exported = app
        .call(
            Method::POST,
            &format!("/generations/{first}/exports"),
            Some(&user.token),
            Some(json!({"target": {"type": "tar.gz"}})),
        )
        .await;
    assert_eq!(exported.status, StatusCode::ACCEPTED, "{}", exported.body);

    let change = app
        .call(
            Method::POST,
            &format!("/projects/{project_id}/changes"),
            Some(&user.token),
            Some(json!({"request": "Add a field due_date to loans"})),
        )
        .await;
    assert_eq!(change.status, StatusCode::ACCEPTED, "{}", change.body);
    let change_id = change.body["id"].as_str().unwrap().to_owned();
    assert_eq!(app.wait_for_execution(&user, &change_id).await["status"], "succeeded");
    let generation = crate::generations::wait_for_generation(&app, &user, &change_id).await;
    assert_eq!(generation["status"], "ready", "{generation}");
    assert_eq!(generation["parent"], first.as_str());

    let diff = app
        .call(
            Method::GET,
            &format!("/generations/{change_id}/diff"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(diff.status, StatusCode::OK, "{}", diff.body);
    assert!(diff.body["stat"]["modified"].as_u64().unwrap() > 0, "{}", diff.body);

    let history = app
        .call(
            Method::GET,
            &format!("/projects/{project_id}/stories?execution={first}"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(history.status, StatusCode::OK, "{}", history.body);
    assert!(!history.body["items"].as_array().unwrap().is_empty());

    let again = app
        .call(
            Method::POST,
            &format!("/projects/{project_id}/exports"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::ACCEPTED, "{}", again.body);
    let id = again.body["items"][0]["id"].as_str().unwrap().to_owned();
    let mut export = Value::Null;
    for _ in 0..300 {
        export = app
            .call(Method::GET, &format!("/exports/{id}"), Some(&user.token), None)
            .await
            .body;
        if matches!(export["status"].as_str(), Some("succeeded" | "failed")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(export["status"], "succeeded", "{export}");
    assert_eq!(export["generation_id"], change_id.as_str());

    // The archive comes back as another project's import: imports-create presigns the upload,
    // imports-start checks it, the import-worker reads it, each under its own role.
    let url = export["result"]["download_url"].as_str().unwrap();
    let archive = reqwest::get(url).await.unwrap().bytes().await.unwrap().to_vec();
    let (_, imported) = crate::imports::upload_import(&app, &user, archive, "tar.gz").await;
    let imported = crate::generations::wait_for_generation(&app, &user, &imported).await;
    assert_eq!(imported["status"], "ready", "{imported}");
    assert_eq!(imported["imported"]["history_commits"], 2, "both commits came along");
}

/// Gates, budgets, estimates and usage with every function in its own processes under its own
/// role: the step-worker counts spending and stops at a gate, the decision functions restart the
/// run, and the usage functions read what was counted.
#[tokio::test]
async fn gates_and_budgets_work_with_every_function_in_its_own_processes() {
    use reqwest::{Method, StatusCode};

    let app = spawn_app_with(Options {
        processes: true,
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let project = app.create_project(&user, "Gated processes").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let prices = app.call(Method::GET, "/prices", None, None).await;
    assert_eq!(prices.status, StatusCode::OK);
    let estimate = app
        .call(
            Method::GET,
            &format!("/projects/{project}/estimate"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(estimate.status, StatusCode::OK, "{}", estimate.body);
    let budget = app
        .call(
            Method::PUT,
            "/usage/budget",
            Some(&user.token),
            Some(json!({"max_tokens": 50_000_000})),
        )
        .await;
    assert_eq!(budget.status, StatusCode::OK, "{}", budget.body);

    let started = app
        .call(
            Method::POST,
            &format!("/projects/{project}/executions"),
            Some(&user.token),
            Some(json!({"approvals": ["plan"], "budget": {"max_tokens": 10_000_000}})),
        )
        .await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
    let id = started.body["id"].as_str().unwrap().to_owned();
    let waiting = app.wait_for_execution(&user, &id).await;
    assert_eq!(waiting["status"], "awaiting_approval", "{waiting}");
    let rejected = app
        .call(
            Method::POST,
            &format!("/executions/{id}/steps/plan/reject"),
            Some(&user.token),
            Some(json!({"feedback": "Fewer stories."})),
        )
        .await;
    assert_eq!(rejected.status, StatusCode::OK, "{}", rejected.body);
    assert_eq!(app.wait_for_execution(&user, &id).await["status"], "awaiting_approval");
    let approved = app
        .call(
            Method::POST,
            &format!("/executions/{id}/steps/plan/approve"),
            Some(&user.token),
            None,
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    let done = app.wait_for_execution(&user, &id).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert!(done["spent"]["tokens"].as_u64().unwrap() > 0, "{done}");

    let usage = app.call(Method::GET, "/usage", Some(&user.token), None).await;
    assert_eq!(usage.status, StatusCode::OK, "{}", usage.body);
    assert_eq!(usage.body["spent"]["tokens"], done["spent"]["tokens"], "{}", usage.body);
}

/// Polls `path` until its `status` is one of `done`.
async fn poll_status(app: &TestApp, token: &str, path: &str, done: &[&str]) -> Value {
    let mut body = Value::Null;
    for _ in 0..300 {
        body = app.call(reqwest::Method::GET, path, Some(token), None).await.body;
        if body["status"].as_str().is_some_and(|status| done.contains(&status)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    body
}

/// The schedule rule's tick as Lambda runs it: the export-scheduler's own process under its own
/// role gets EventBridge's scheduled event for a slot a day ahead. It finds the nightly schedule
/// due and queues its export, which the export-worker's process delivers, and it cancels the run
/// whose approval deadline passed in that slot.
#[tokio::test]
async fn the_schedule_tick_runs_as_its_own_process() {
    use reqwest::{Method, StatusCode};

    let app = spawn_app_with(Options {
        processes: true,
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let project = app.create_project(&user, "Nightly processes").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let generation = app.start_execution(&user, &project, None).await;
    assert_eq!(app.wait_for_execution(&user, &generation).await["status"], "succeeded");
    let ready = poll_status(
        &app,
        &user.token,
        &format!("/generations/{generation}"),
        &["ready", "failed"],
    )
    .await;
    assert_eq!(ready["status"], "ready", "{ready}");
    let schedule = app
        .call(
            Method::PUT,
            &format!("/projects/{project}/export-schedule"),
            Some(&user.token),
            Some(json!({"expression": "0 3 * * *", "target": {"type": "zip"}})),
        )
        .await;
    assert_eq!(schedule.status, StatusCode::OK, "{}", schedule.body);
    let gated = app
        .call(
            Method::POST,
            &format!("/projects/{project}/executions"),
            Some(&user.token),
            Some(json!({"approvals": ["plan"], "approval_hours": 1})),
        )
        .await;
    assert_eq!(gated.status, StatusCode::ACCEPTED, "{}", gated.body);
    let gated = gated.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.wait_for_execution(&user, &gated).await["status"],
        "awaiting_approval"
    );

    let scheduler = FunctionProcesses::new(FunctionSpec {
        name: "export-scheduler".into(),
        binary: debug_binary("export-scheduler"),
        env: environment(&app, "export-scheduler", "").await,
        memory_mb: 256,
        timeout: Duration::from_secs(60),
        concurrency: 1,
    });
    let sample =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events/eventbridge-export-scheduler.json");
    let mut event: Value = serde_json::from_str(&std::fs::read_to_string(sample).unwrap()).unwrap();
    let tomorrow = chrono::Utc::now() + chrono::Duration::days(1);
    event["time"] = json!(tomorrow.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let report = body(scheduler.invoke(event.to_string()).await.unwrap());
    assert_eq!(report, json!({"due": 1, "enqueued": 1, "expired": 1}));

    let exports = app
        .call(
            Method::GET,
            &format!("/projects/{project}/exports"),
            Some(&user.token),
            None,
        )
        .await;
    let export = exports.body["items"][0]["id"]
        .as_str()
        .expect("the scheduled export")
        .to_owned();
    let export = poll_status(
        &app,
        &user.token,
        &format!("/exports/{export}"),
        &["succeeded", "failed"],
    )
    .await;
    assert_eq!(export["status"], "succeeded", "{export}");
    let cancelled = app
        .call(Method::GET, &format!("/executions/{gated}"), Some(&user.token), None)
        .await
        .body;
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    assert!(cancelled["error"].as_str().unwrap().contains("deadline"), "{cancelled}");
}
