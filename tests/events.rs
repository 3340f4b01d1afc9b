//! Every sample in `events/` is fed to its function's handler, so the samples never rot.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use aws_lambda_events::sqs::SqsEvent;
use chrono::{Duration, Utc};
use forgeflow_api::respond;
use forgeflow_api_lambda::registry;
use forgeflow_domain::execution::{ExecutionStatus, StepStatus};
use forgeflow_domain::generation::{Generation, GenerationStatus};
use forgeflow_domain::import::{ArchiveFormat, ImportSource, upload_key};
use forgeflow_local::manifest;
use forgeflow_tests::{Options, TestApp, spawn_app_with};
use serde_json::Value;
use serde_json::json;

fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events")
}

/// Sample file stem → event JSON, for the API Gateway samples.
fn samples() -> BTreeMap<String, Value> {
    std::fs::read_dir(events_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.file_name().unwrap().to_string_lossy().starts_with("apigw-"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            (
                stem,
                serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display())),
            )
        })
        .collect()
}

#[test]
fn every_route_has_a_sample_whose_route_key_matches_the_manifest() {
    let samples = samples();
    for route in manifest::routes() {
        let sample = samples
            .get(&format!("apigw-{}", route.function))
            .unwrap_or_else(|| panic!("events/apigw-{}.json is missing", route.function));
        assert_eq!(sample["routeKey"], route.key().as_str());
        assert_eq!(sample["requestContext"]["routeKey"], route.key().as_str());
        assert_eq!(sample["requestContext"]["http"]["method"], route.method.as_str());
        assert!(sample["requestContext"]["requestId"].is_string());
    }
    assert_eq!(samples.len(), manifest::routes().len(), "a sample without a route");
    for worker in manifest::workers().into_iter().filter(|worker| worker.queue.is_some()) {
        let path = events_dir().join(format!("sqs-{}.json", worker.function));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{} is missing", path.display()));
        let event: SqsEvent = serde_json::from_str(&text).expect("a valid SQS event");
        assert_eq!(event.records[0].event_source.as_deref(), Some("aws:sqs"));
    }
    for worker in manifest::workers()
        .into_iter()
        .filter(|worker| worker.schedule.is_some())
    {
        let path = events_dir().join(format!("eventbridge-{}.json", worker.function));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{} is missing", path.display()));
        let event: aws_lambda_events::eventbridge::EventBridgeEvent =
            serde_json::from_str(&text).expect("a valid EventBridge event");
        assert_eq!(
            (event.source.as_str(), event.detail_type.as_str()),
            ("aws.events", "Scheduled Event")
        );
    }
}

/// The step-worker and generate-worker samples, with this run's ids in their bodies.
fn sqs_sample(name: &str, body: Value) -> SqsEvent {
    let text = std::fs::read_to_string(events_dir().join(format!("sqs-{name}.json"))).unwrap();
    let mut sample: Value = serde_json::from_str(&text).unwrap();
    sample["Records"][0]["body"] = Value::String(body.to_string());
    serde_json::from_value(sample).expect("the sample is a valid SQS event")
}

/// Delivers the step-worker sample for every queued step until the execution finishes.
async fn run_steps(app: &TestApp, execution: &str) {
    let id = execution.parse().unwrap();
    for _ in 0..10 {
        let (run, steps) = app.context.engine.executions.load(id).await.unwrap().unwrap();
        if run.status != ExecutionStatus::Running {
            assert_eq!(run.status, ExecutionStatus::Succeeded);
            return;
        }
        for step in steps.values().filter(|step| step.status == StepStatus::Queued) {
            let event = sqs_sample(
                "step-worker",
                json!({"execution_id": execution, "step_id": step.step_id}),
            );
            let response =
                forgeflow_workers::step::handler(&app.step_worker, event, Utc::now() + Duration::minutes(5)).await;
            assert!(response.batch_item_failures.is_empty(), "{response:?}");
        }
    }
    panic!("the execution did not finish");
}

#[tokio::test]
async fn every_sample_runs_through_its_handler() {
    // No pollers: this test delivers the workers' samples itself.
    let app = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let samples = samples();
    let mut token = String::new();
    let mut user_id = String::new();
    let mut ids: BTreeMap<&str, String> = BTreeMap::new();
    let mut walked = BTreeSet::new();
    // In the order a user would go: each call leaves what the next sample needs.
    let walk: &[&[(&str, u16)]] = &[
        &[("auth-register", 201), ("auth-login", 200), ("auth-me", 200)],
        &[
            ("projects-create", 201),
            ("projects-list", 200),
            ("projects-get", 200),
            ("projects-update", 200),
        ],
        // before the project has a generation; the upload is put in place in between
        &[("imports-create", 202), ("imports-start", 202)],
        &[
            ("prices-get", 200),
            ("estimate-get", 200),
            ("budget-put", 200),
            ("usage-get", 200),
        ],
        &[("agents-list", 200), ("agents-get", 200), ("agents-create", 201)],
        &[
            ("workflows-list", 200),
            ("workflows-get", 200),
            ("workflows-create", 201),
        ],
        &[("executions-create", 202)],
        // here the workers' samples run the execution and its generation
        &[
            ("executions-list", 200),
            ("executions-get", 200),
            ("executions-events", 200),
            ("projects-stories", 200),
            ("projects-sprints", 200),
        ],
        &[
            ("generations-list", 200),
            ("generations-get", 200),
            ("generations-file", 200),
            ("generations-diff", 200),
            ("generations-create", 202),
        ],
        &[("changes-create", 202)],
        &[
            ("credentials-put", 200),
            ("credentials-get", 200),
            ("credentials-delete", 204),
        ],
        &[
            ("schedules-put", 200),
            ("schedules-get", 200),
            ("schedules-delete", 204),
        ],
        &[
            ("exports-create", 202),
            ("exports-get", 200),
            ("exports-list", 200),
            ("exports-again", 202),
        ],
        &[
            ("hooks-create", 201),
            ("hooks-list", 200),
            ("hooks-rotate", 200),
            ("hooks-receive", 202),
            ("hooks-delete", 204),
        ],
        &[
            ("executions-create", 202),
            ("executions-cancel", 200),
            ("executions-retry", 202),
        ],
        // each on a run of its own whose plan step waits at its gate
        &[("executions-approve", 200), ("executions-reject", 200)],
        &[("audit-list", 200)],
        &[("projects-delete", 202)],
        &[("openapi-get", 200)],
    ];
    for (stage, calls) in walk.iter().enumerate() {
        if stage == 3 {
            let generation = ids["imports"].parse().unwrap();
            let response = forgeflow_workers::import::handler(
                &app.workers_import(),
                sqs_sample("import-worker", json!({"generation_id": generation})),
                Utc::now() + Duration::minutes(5),
            )
            .await;
            assert!(response.batch_item_failures.is_empty(), "{response:?}");
            let imported = app.context.generations.get(generation).await.unwrap().unwrap();
            assert_eq!(imported.status, GenerationStatus::Ready, "{:?}", imported.error);
        }
        if stage == 7 {
            let execution = ids["executions"].clone();
            run_steps(&app, &execution).await;
            let job = json!({"generation_id": execution, "execution_id": execution, "project_id": ids["projects"], "owner": user_id, "template": "python-fastapi"});
            let response = forgeflow_workers::generate::handler(
                &app.workers_generate(),
                sqs_sample("generate-worker", job),
                Utc::now() + Duration::minutes(5),
            )
            .await;
            assert!(response.batch_item_failures.is_empty(), "{response:?}");
            ids.insert("generations", execution);
        }
        for (function, status) in calls.iter() {
            walked.insert(function.to_string());
            let mut event = samples[&format!("apigw-{function}")].clone();
            if event["headers"].get("authorization").is_some() {
                event["headers"]["authorization"] = Value::String(format!("Bearer {token}"));
            }
            if let Some(sample_id) = event
                .get("pathParameters")
                .and_then(|p| p.get("id"))
                .and_then(Value::as_str)
            {
                let raw_path = event["rawPath"].as_str().unwrap().to_owned();
                let resource = raw_path.split('/').nth(1).unwrap_or_default();
                if let Some(id) = ids.get(resource) {
                    let raw_path = raw_path.replace(sample_id, id);
                    event["rawPath"] = Value::String(raw_path.clone());
                    event["requestContext"]["http"]["path"] = Value::String(raw_path);
                    event["pathParameters"]["id"] = Value::String(id.clone());
                }
            }
            if *function == "hooks-receive" {
                let body = event["body"].as_str().unwrap().as_bytes().to_vec();
                let signature =
                    forgeflow_domain::webhook::sign(ids["secret"].as_bytes(), Utc::now().timestamp(), &body);
                event["headers"]["x-forgeflow-signature"] = Value::String(signature);
            }
            if *function == "generations-diff" {
                let against = ids["generations"].clone();
                event["queryStringParameters"]["against"] = Value::String(against.clone());
                event["rawQueryString"] = Value::String(format!("against={against}&limit=20"));
            }
            if *function == "imports-start" {
                let id = upload_awaiting(&app, &user_id, &ids["projects"]).await;
                let path = format!("/generations/{id}/import");
                event["rawPath"] = Value::String(path.clone());
                event["requestContext"]["http"]["path"] = Value::String(path);
                event["pathParameters"]["id"] = Value::String(id.clone());
                ids.insert("imports", id);
            }
            if matches!(*function, "executions-approve" | "executions-reject") {
                let id = gated_execution(&app, &token, &ids["projects"]).await;
                let path = format!(
                    "/executions/{id}/steps/plan/{}",
                    function.trim_start_matches("executions-")
                );
                event["rawPath"] = Value::String(path.clone());
                event["requestContext"]["http"]["path"] = Value::String(path);
                event["pathParameters"]["id"] = Value::String(id);
            }
            if *function == "generations-create" {
                event["body"] =
                    Value::String(json!({"execution_id": ids["executions"], "template": "react-vite"}).to_string());
            }
            let request =
                lambda_http::request::from_str(&event.to_string()).expect("the sample is a valid payload 2.0 event");
            let result = registry::http_function(function)
                .expect("the function has a handler")
                .call(&app.context, request)
                .await;
            let response = respond(result, "sample");
            let body: Value = serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null);
            assert_eq!(response.status().as_u16(), *status, "{function}: {body}");
            if let Some(issued) = body["token"].as_str() {
                token = issued.to_owned();
                user_id = body["user"]["id"].as_str().unwrap().to_owned();
            }
            match *function {
                "projects-create" => ids.insert("projects", body["id"].as_str().unwrap().to_owned()),
                "executions-create" => ids.insert("executions", body["id"].as_str().unwrap().to_owned()),
                "exports-create" => ids.insert("exports", body["id"].as_str().unwrap().to_owned()),
                "hooks-create" => ids.insert("hooks", body["id"].as_str().unwrap().to_owned()),
                "hooks-rotate" => ids.insert("secret", body["secret"].as_str().unwrap().to_owned()),
                _ => None,
            };
        }
    }
    let routes: BTreeSet<String> = manifest::routes().into_iter().map(|route| route.function).collect();
    assert_eq!(walked, routes, "every route's sample must be in the walk");
}

/// A new run of `project` whose plan step ran and waits at its gate.
async fn gated_execution(app: &TestApp, token: &str, project: &str) -> String {
    let started = app
        .call(
            reqwest::Method::POST,
            &format!("/projects/{project}/executions"),
            Some(token),
            Some(json!({"approvals": ["plan"]})),
        )
        .await;
    assert_eq!(started.status.as_u16(), 202, "{}", started.body);
    let id = started.body["id"].as_str().unwrap().to_owned();
    let event = sqs_sample("step-worker", json!({"execution_id": id, "step_id": "plan"}));
    let response = forgeflow_workers::step::handler(&app.step_worker, event, Utc::now() + Duration::minutes(5)).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let (execution, _) = app
        .context
        .engine
        .executions
        .load(id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(execution.status, ExecutionStatus::AwaitingApproval);
    id
}

/// An upload import of `project` whose archive is in place, as a client leaves it before calling
/// `POST /generations/{id}/import`.
async fn upload_awaiting(app: &TestApp, owner: &str, project: &str) -> String {
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast()));
    let mut header = tar::Header::new_gnu();
    header.set_size(7);
    header.set_mode(0o644);
    tar.append_data(&mut header, "README.md", &b"# Mine\n"[..]).unwrap();
    let bytes = tar.into_inner().unwrap().finish().unwrap();
    let project = app
        .context
        .projects
        .get(owner.parse().unwrap(), project.parse().unwrap())
        .await
        .unwrap()
        .expect("the walk's project");
    let source = ImportSource::Upload {
        format: ArchiveFormat::TarGz,
        size: bytes.len() as u64,
    };
    let generation = Generation::import(&project, source, Utc::now());
    app.context.generations.create(&generation).await.unwrap();
    let key = upload_key(generation.id, ArchiveFormat::TarGz);
    app.context
        .engine
        .blobs
        .put_bytes(&key, bytes, "application/gzip")
        .await
        .unwrap();
    generation.id.to_string()
}

fn websocket_sample(function: &str) -> Value {
    let path = events_dir().join(format!("ws-{function}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{} is missing", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// The WebSocket samples, in a connection's order: `$connect` with the token offered as a
/// subprotocol, a `subscribe` to the user's execution (answered through the management API),
/// `$disconnect`. The sample's connection has no socket here, so the answer meets 410 Gone.
#[tokio::test]
async fn every_websocket_sample_runs_through_its_handler() {
    let app = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let project = app.create_project(&user, "Samples").await;
    let execution = app.start_execution(&user, project["id"].as_str().unwrap(), None).await;
    let sender = forgeflow_progress::Sender::new(&app.context.clients.config, &app.url);
    let routes = manifest::websocket().routes;
    assert_eq!(routes.len(), 3);
    let invoke = |function: String, event: Value| {
        let (context, sender) = (app.context.clone(), sender.clone());
        async move {
            let event = serde_json::from_value(event).expect("the sample is a valid WebSocket event");
            let function = registry::websocket_function(&function).expect("the function has a handler");
            (function.handler)(&context, &sender, event).await
        }
    };
    let function_of = |route: &str| routes.iter().find(|r| r.route == route).unwrap().function.clone();

    let mut connect = websocket_sample(&function_of("$connect"));
    assert_eq!(connect["requestContext"]["routeKey"], "$connect");
    let connection = connect["requestContext"]["connectionId"].as_str().unwrap().to_owned();
    let refused = invoke(function_of("$connect"), connect.clone()).await;
    assert_eq!(
        refused.status_code, 401,
        "the sample's own token is not signed by this stack"
    );
    connect["headers"]["Sec-WebSocket-Protocol"] = Value::String(format!("forgeflow.v1, {}", user.token));
    let accepted = invoke(function_of("$connect"), connect).await;
    assert_eq!(accepted.status_code, 200);
    assert_eq!(accepted.headers["sec-websocket-protocol"], "forgeflow.v1");
    assert!(app.context.connections.get(&connection).await.unwrap().is_some());

    let mut message = websocket_sample(&function_of("$default"));
    message["body"] =
        Value::String(json!({"action": "subscribe", "topic": format!("execution:{execution}")}).to_string());
    let answered = invoke(function_of("$default"), message).await;
    assert_eq!(answered.status_code, 200);
    assert!(
        app.context.connections.get(&connection).await.unwrap().is_none(),
        "a connection that answers 410 is forgotten"
    );

    let disconnect = websocket_sample(&function_of("$disconnect"));
    assert_eq!(invoke(function_of("$disconnect"), disconnect).await.status_code, 200);
}

/// EventBridge's scheduled event, as the `rate(1 minute)` rule delivers it to `export-scheduler`:
/// a tick a day after a schedule was set finds it due. Any other event is refused.
#[tokio::test]
async fn the_scheduled_event_sample_ticks_the_export_scheduler() {
    let app = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let user = app.register().await;
    let project = app.create_project(&user, "Nightly").await;
    let set = app
        .call(
            reqwest::Method::PUT,
            &format!("/projects/{}/export-schedule", project["id"].as_str().unwrap()),
            Some(&user.token),
            Some(json!({"expression": "0 3 * * *", "target": {"type": "zip"}})),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.body);
    let text = std::fs::read_to_string(events_dir().join("eventbridge-export-scheduler.json")).unwrap();
    let sample: Value = serde_json::from_str(&text).unwrap();
    let scheduler = forgeflow_local::workers::scheduler(&app.context.clients, &app.stack.resources(), app.publisher());
    let tomorrow = Utc::now() + Duration::days(1);

    let event = serde_json::from_value(sample.clone()).expect("a valid EventBridge event");
    let report = forgeflow_workers::scheduler::handler(&scheduler, event, tomorrow)
        .await
        .unwrap();
    assert_eq!(report.due, 1);
    assert_eq!(report.without_generation, 1, "the project has nothing to export yet");

    let mut other = sample;
    other["detail-type"] = Value::String("EC2 Instance State-change Notification".into());
    other["source"] = Value::String("aws.ec2".into());
    let refused =
        forgeflow_workers::scheduler::handler(&scheduler, serde_json::from_value(other).unwrap(), tomorrow).await;
    assert!(
        matches!(
            refused,
            Err(forgeflow_workers::scheduler::TickError::NotScheduled { .. })
        ),
        "{refused:?}"
    );
}
