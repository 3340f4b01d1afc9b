//! The binaries CDK ships, each started as its own process against a Lambda Runtime API, answer
//! AWS's payloads; the API binary stays free of the workers' heavy crates.

use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::SdkError;
use forgeflow_local::iam::{self, Role};
use forgeflow_local::principals;
use forgeflow_local::runtime_api::{Init, Outcome};
use forgeflow_store::Clients;
use forgeflow_tests::lambda::{Function, binary_of, debug_binary};
use forgeflow_tests::{Options, TestApp, moto, spawn_app_with};
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

/// `name`'s sample event for the request path `path`, whose `{id}` is `id`, with `token` if any.
fn sample_at(name: &str, path: &str, id: &str, token: Option<&str>) -> Value {
    let mut event = sample(name);
    if let Some(token) = token {
        event["headers"]["authorization"] = format!("Bearer {token}").into();
    }
    event["rawPath"] = path.into();
    event["requestContext"]["http"]["path"] = path.into();
    event["pathParameters"]["id"] = id.into();
    event
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
    let binary = debug_binary("forgeflow-api");

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
    let event = sample_at("apigw-projects-get", &format!("/projects/{id}"), id, Some(&user.token));
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
    let binary = debug_binary(binary_of("step-worker"));
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
    let binary = debug_binary("forgeflow-api");
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
            let at_init = forgeflow_api_lambda::registry::key_load(function) == Some(forgeflow_api::KeyLoad::AtInit);
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
    let binary = debug_binary("forgeflow-api");
    let unreadable = [("FORGEFLOW_JWT_SECRET_ID", "no-such-secret")];

    let (keyed, init) = Function::start_with(&app, &binary, "projects-get", &unreadable).await;
    assert_eq!(init, Init::Starting, "projects-get cannot start without its key");
    let (status, output) = keyed.exit().await;
    assert!(!status.success());
    assert!(output.contains("read secret"), "{output}");

    let (hooks, init) = Function::start_with(&app, &binary, "hooks-receive", &unreadable).await;
    assert!(matches!(init, Init::Ready(_)), "{init:?}");
    let hook = "0193d5e4-7c1a-7000-8000-0000000000ff";
    let event = sample_at("apigw-hooks-receive", &format!("/hooks/{hook}"), hook, None);
    let answer = response(hooks.api.invoke(event.to_string(), TIMEOUT).await.unwrap());
    assert_eq!(
        answer["statusCode"], 401,
        "an unknown hook, answered without the key: {answer}"
    );
}

/// The binary CDK ships for `function`, built for the tests.
fn binary_for(function: &str) -> std::path::PathBuf {
    debug_binary(binary_of(function))
}

/// The HTTP status AWS refused a call with (the call must have been refused).
fn refusal<T: std::fmt::Debug, E: std::fmt::Debug>(result: Result<T, SdkError<E, HttpResponse>>, what: &str) -> u16 {
    let refused = result.expect_err(what);
    let status = refused.raw_response().map(|response| response.status().as_u16());
    status.unwrap_or_else(|| panic!("{what}: no HTTP answer: {refused:?}"))
}

/// An SDK client set acting as `function`'s role on `app`'s stack.
async fn acting_as(app: &TestApp, function: &str) -> Clients {
    let session = app.principals().await.session(function).expect("a role per function");
    let credentials = aws_sdk_dynamodb::config::Credentials::new(
        &session.access_key_id,
        &session.secret_access_key,
        Some(session.session_token.clone()),
        None,
        "test",
    );
    Clients::from_sdk_config(&forgeflow_local::moto::sdk_config(moto().endpoint(), credentials).await)
}

/// Every function's init runs with nothing but its own role's credentials, as in AWS: one that
/// reads what its role does not allow fails here.
#[tokio::test]
async fn every_function_starts_with_nothing_but_its_own_role() {
    let app = quiet_app().await;
    let roles = iam::roles();
    assert!(roles.len() > 40);
    // Built once each: debug_binary runs cargo.
    let mut binaries = std::collections::BTreeMap::new();
    for role in roles {
        let binary = binaries
            .entry(binary_of(&role.function).to_owned())
            .or_insert_with(|| binary_for(&role.function));
        let (function, init) = Function::start(&app, binary, &role.function).await;
        assert!(matches!(init, Init::Ready(_)), "{}: {init:?}", role.function);
        drop(function);
    }
}

/// Moto enforces each role: what the manifest grants works, the rest is refused.
#[tokio::test]
async fn a_role_may_do_what_its_manifest_grants_and_nothing_else() {
    let app = quiet_app().await;
    let bucket = &app.stack.bucket;
    let steps = &app.stack.queues["steps"].0;

    let writer = acting_as(&app, "generate-worker").await;
    let put = writer
        .s3
        .put_object()
        .bucket(bucket)
        .key("generations/x/a.txt")
        .body(b"a".to_vec().into());
    put.send().await.expect("generate-worker may write the bucket");

    let reader = acting_as(&app, "generations-get").await;
    let read = reader
        .s3
        .get_object()
        .bucket(bucket)
        .key("generations/x/a.txt")
        .send()
        .await;
    assert!(read.is_ok(), "generations-get may read it: {read:?}");
    let write = reader
        .s3
        .put_object()
        .bucket(bucket)
        .key("generations/x/b.txt")
        .body(b"b".to_vec().into());
    assert_eq!(refusal(write.send().await, "generations-get may not write"), 403);

    let sender = acting_as(&app, "executions-create").await;
    let sent = sender
        .sqs
        .send_message()
        .queue_url(steps)
        .message_body("{}")
        .send()
        .await;
    assert!(sent.is_ok(), "executions-create may send to steps: {sent:?}");
    let send = reader.sqs.send_message().queue_url(steps).message_body("{}");
    assert_eq!(refusal(send.send().await, "generations-get may not send to steps"), 403);

    let no_table = acting_as(&app, "openapi-get").await;
    let scan = no_table.dynamo.scan().table_name(&app.stack.table).send().await;
    assert_eq!(refusal(scan, "openapi-get has no table:read"), 403);
}

/// Removing one grant from one role breaks exactly the flow that needs it: the same event answers
/// 202 with the manifest's role and 500 without `queue:steps:send`; without `secret:jwt` the function
/// cannot even start.
#[tokio::test]
async fn a_grant_removed_from_a_role_fails_the_flow_that_needs_it() {
    let app = quiet_app().await;
    let user = app.register().await;
    let project = app.create_project(&user, "Grants").await;
    let id = project["id"].as_str().unwrap();
    let binary = binary_for("executions-create");
    let path = format!("/projects/{id}/executions");
    let event = sample_at("apigw-executions-create", &path, id, Some(&user.token));

    let (granted, _) = Function::start(&app, &binary, "executions-create").await;
    let answer = response(granted.api.invoke(event.to_string(), TIMEOUT).await.unwrap());
    assert_eq!(answer["statusCode"], 202, "{answer}");

    let without = |function: &str, permission: &str| -> Role {
        let mut role = iam::roles().into_iter().find(|r| r.function == function).unwrap();
        let before = role.permissions.len();
        role.permissions.retain(|p| p != permission);
        assert_eq!(role.permissions.len(), before - 1, "{function} has {permission}");
        role
    };
    let roles = [
        without("executions-create", "queue:steps:send"),
        without("projects-get", "secret:jwt"),
    ];
    let config = moto().sdk_config().await;
    let narrowed = principals::create(&config, &app.stack, &format!("{}-narrowed", app.prefix), &roles)
        .await
        .unwrap();
    let credentials = |function: &str| narrowed.session(function).unwrap().env();

    let env = credentials("executions-create");
    let changed: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (denied, init) = Function::start_with(&app, &binary, "executions-create", &changed).await;
    assert!(matches!(init, Init::Ready(_)), "{init:?}");
    let answer = response(denied.api.invoke(event.to_string(), TIMEOUT).await.unwrap());
    assert_eq!(answer["statusCode"], 500, "no queue:steps:send, no run: {answer}");

    let env = credentials("projects-get");
    let changed: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (keyless, init) = Function::start_with(&app, &binary, "projects-get", &changed).await;
    assert_eq!(init, Init::Starting, "projects-get cannot start without secret:jwt");
    let (status, output) = keyless.exit().await;
    assert!(!status.success());
    assert!(output.contains("read secret"), "{output}");
}
