//! The binaries CDK ships, each started as its own process against a Lambda Runtime API, answer
//! AWS's payloads; the API binary stays free of the workers' heavy crates.

use std::collections::BTreeSet;
use std::time::Duration;

use forgeflow_local::runtime_api::{Init, Outcome};
use forgeflow_tests::lambda::{Function, binary_of, debug_binary};
use forgeflow_tests::{Options, spawn_app_with};
use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(30);

/// A stack whose queues nobody consumes: the processes under test are the only workers.
async fn quiet_app() -> forgeflow_tests::TestApp {
    spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await
}

fn sample(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../events/{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn response(outcome: Outcome) -> Value {
    match outcome {
        Outcome::Response(body) => serde_json::from_slice(&body).unwrap(),
        Outcome::Error { error_type, message } => panic!("{error_type}: {message}"),
    }
}

#[tokio::test]
async fn the_api_binary_is_the_function_its_handler_names() {
    let app = quiet_app().await;
    let user = app.register().await;
    let project = app.create_project(&user, "Processes").await;
    let binary = debug_binary("forgeflow-api-lambda", "forgeflow-api");

    let (openapi, init) = Function::start(&app, &binary, "openapi-get").await;
    assert!(matches!(init, Init::Ready(_)), "{init:?}");
    let answer = response(
        openapi
            .api
            .invoke(sample("apigw-openapi-get").to_string(), TIMEOUT)
            .await
            .unwrap(),
    );
    assert_eq!(answer["statusCode"], 200);
    let document: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(document["openapi"], "3.1.0");

    // The same file as projects-get: a payload 2.0 event in, the caller's project out.
    let (get, _) = Function::start(&app, &binary, "projects-get").await;
    let id = project["id"].as_str().unwrap();
    let mut event = sample("apigw-projects-get");
    event["headers"]["authorization"] = format!("Bearer {}", user.token).into();
    event["rawPath"] = format!("/projects/{id}").into();
    event["requestContext"]["http"]["path"] = format!("/projects/{id}").into();
    event["pathParameters"]["id"] = id.into();
    let answer = response(get.api.invoke(event.to_string(), TIMEOUT).await.unwrap());
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["id"], id);

    // A WebSocket route: $connect with the token offered as a subprotocol.
    let (connect, _) = Function::start(&app, &binary, "ws-connect").await;
    let mut event = sample("ws-ws-connect");
    event["headers"]["Sec-WebSocket-Protocol"] = format!("forgeflow.v1, {}", user.token).into();
    let answer = response(connect.api.invoke(event.to_string(), TIMEOUT).await.unwrap());
    assert_eq!(answer["statusCode"], 200, "{answer}");
    assert_eq!(answer["headers"]["sec-websocket-protocol"], "forgeflow.v1");
}

#[tokio::test]
async fn a_worker_binary_consumes_its_sqs_batch() {
    let app = quiet_app().await;
    let user = app.register().await;
    let project = app.create_project(&user, "Processes").await;
    let execution = app.start_execution(&user, project["id"].as_str().unwrap(), None).await;
    let binary = debug_binary("forgeflow-workers", binary_of("step-worker"));
    let (worker, _) = Function::start(&app, &binary, "step-worker").await;
    let mut event = sample("sqs-step-worker");
    event["Records"][0]["body"] = json!({"execution_id": execution, "step_id": "plan"}).to_string().into();
    let answer = response(worker.api.invoke(event.to_string(), TIMEOUT).await.unwrap());
    assert_eq!(answer["batchItemFailures"], json!([]), "{answer}");
    let run = app
        .context
        .engine
        .executions
        .load(execution.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        run.1["plan"].status,
        forgeflow_domain::execution::StepStatus::Succeeded,
        "the process ran the step against the stack"
    );
}

#[tokio::test]
async fn the_api_binary_refuses_to_start_as_a_function_it_does_not_have() {
    let app = quiet_app().await;
    let binary = debug_binary("forgeflow-api-lambda", "forgeflow-api");
    let (unknown, init) = Function::start(&app, &binary, "no-such-function").await;
    assert_eq!(init, Init::Starting, "it never polls for an event");
    let (status, output) = unknown.exit().await;
    assert!(!status.success());
    assert!(
        output.contains("_HANDLER") && output.contains("projects-get"),
        "{output}"
    );
}

/// API functions start fast and stay small only if they never link the workers' git, forge and
/// template crates; `cargo tree` of the API binary's crate shows what it links.
#[test]
fn api_functions_link_neither_gix_nor_octocrab_nor_minijinja() {
    let output = std::process::Command::new(env!("CARGO"))
        .args([
            "tree",
            "-p",
            "forgeflow-api-lambda",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let linked: BTreeSet<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .collect();
    assert!(
        linked.contains("forgeflow-projects"),
        "the tree is the API's: {linked:?}"
    );
    for heavy in [
        "gix",
        "octocrab",
        "minijinja",
        "forgeflow-exporter",
        "forgeflow-forges",
        "forgeflow-generator",
    ] {
        assert!(!linked.contains(heavy), "the API binary links {heavy}");
    }
}

/// A function reads the JWT key at init exactly when its role may read it: the others (webhook,
/// WebSocket disconnect and messages, the OpenAPI document) would fail their cold start in AWS.
#[test]
fn functions_read_the_jwt_key_at_init_exactly_when_their_role_may() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../manifest");
    for file in ["routes.json", "websocket.json"] {
        let manifest: Value = serde_json::from_str(&std::fs::read_to_string(root.join(file)).unwrap()).unwrap();
        for route in manifest["routes"].as_array().unwrap() {
            let function = route["function"].as_str().unwrap();
            let granted = route["permissions"]
                .as_array()
                .unwrap()
                .iter()
                .any(|permission| permission == "secret:jwt");
            let at_init = forgeflow_api_lambda::registry::key_load(function) == forgeflow_api::KeyLoad::AtInit;
            assert_eq!(at_init, granted, "{function}");
        }
    }
}

/// With a JWT secret it cannot read, a function that needs the key fails its init, as in AWS
/// without the grant; the webhook starts and answers (its signature is checked with the hook's own
/// secret, not the JWT key).
#[tokio::test]
async fn only_functions_that_use_the_jwt_key_read_it_at_init() {
    let app = quiet_app().await;
    let binary = debug_binary("forgeflow-api-lambda", "forgeflow-api");
    let unreadable = [("FORGEFLOW_JWT_SECRET_ID", "no-such-secret")];

    let (keyed, init) = Function::start_with(&app, &binary, "projects-get", &unreadable).await;
    assert_eq!(init, Init::Starting, "projects-get cannot start without its key");
    let (status, output) = keyed.exit().await;
    assert!(!status.success());
    assert!(output.contains("read secret"), "{output}");

    let (hooks, init) = Function::start_with(&app, &binary, "hooks-receive", &unreadable).await;
    assert!(matches!(init, Init::Ready(_)), "{init:?}");
    let mut event = sample("apigw-hooks-receive");
    event["rawPath"] = "/hooks/0193d5e4-7c1a-7000-8000-0000000000ff".into();
    event["requestContext"]["http"]["path"] = "/hooks/0193d5e4-7c1a-7000-8000-0000000000ff".into();
    event["pathParameters"]["id"] = "0193d5e4-7c1a-7000-8000-0000000000ff".into();
    let answer = response(hooks.api.invoke(event.to_string(), TIMEOUT).await.unwrap());
    assert_eq!(
        answer["statusCode"], 401,
        "an unknown hook, answered without the key: {answer}"
    );
}
