//! Every sample in `events/` is fed to its function's handler, so the samples never rot.

use std::collections::BTreeMap;
use std::path::PathBuf;

use forgeflow_api::respond;
use forgeflow_local::{manifest, registry};
use forgeflow_tests::{Options, spawn_app_with};
use forgeflow_workers::step;
use serde_json::Value;

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
}

#[tokio::test]
async fn every_sample_runs_through_its_handler() {
    // No workers: this test delivers the step-worker's sample itself.
    let app = spawn_app_with(Options {
        workers: false,
        ..Options::default()
    })
    .await;
    let samples = samples();
    let routes = manifest::routes();
    let mut token = String::new();
    let mut ids: BTreeMap<&str, String> = BTreeMap::new();
    // In the order a user would go: each step leaves what the next sample needs.
    let expectations = [
        ("auth-register", 201),
        ("auth-login", 200),
        ("auth-me", 200),
        ("projects-create", 201),
        ("projects-list", 200),
        ("projects-get", 200),
        ("projects-update", 200),
        ("agents-list", 200),
        ("agents-get", 200),
        ("agents-create", 201),
        ("workflows-list", 200),
        ("workflows-get", 200),
        ("workflows-create", 201),
        ("executions-create", 202),
        ("executions-list", 200),
        ("executions-get", 200),
        ("executions-cancel", 200),
        ("executions-retry", 202),
        ("projects-stories", 200),
        ("projects-sprints", 200),
        ("projects-delete", 204),
    ];
    assert_eq!(expectations.len(), routes.len(), "add the new function to this walk");
    for (function, status) in expectations {
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
        let request =
            lambda_http::request::from_str(&event.to_string()).expect("the sample is a valid payload 2.0 event");
        let result = registry::invoke(function, &app.context, request)
            .await
            .expect("the function has a handler");
        let response = respond(result, "sample");
        let body: Value = serde_json::from_slice(response.body().as_ref()).unwrap_or(Value::Null);
        assert_eq!(response.status().as_u16(), status, "{function}: {body}");
        if let Some(issued) = body["token"].as_str() {
            token = issued.to_owned();
        }
        match function {
            "projects-create" => ids.insert("projects", body["id"].as_str().unwrap().to_owned()),
            "executions-create" => ids.insert("executions", body["id"].as_str().unwrap().to_owned()),
            _ => None,
        };
    }

    let mut sqs: Value =
        serde_json::from_str(&std::fs::read_to_string(events_dir().join("sqs-step-worker.json")).unwrap()).unwrap();
    let job = serde_json::json!({"execution_id": ids["executions"], "step_id": "plan"});
    sqs["Records"][0]["body"] = Value::String(job.to_string());
    let event: aws_lambda_events::sqs::SqsEvent = serde_json::from_value(sqs).expect("the sample is a valid SQS event");
    let deadline = chrono::Utc::now() + chrono::Duration::minutes(5);
    let response = step::handler(&app.step_worker, event, deadline).await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let (_, runs) = app
        .context
        .engine
        .executions
        .load(ids["executions"].parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(runs["plan"].status, forgeflow_domain::execution::StepStatus::Succeeded);
}
