//! Every sample in `events/` is fed to its function's handler, so the samples never rot.

use std::collections::BTreeMap;
use std::path::PathBuf;

use forgeflow_api::respond;
use forgeflow_local::{manifest, registry};
use forgeflow_tests::spawn_app;
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
    let app = spawn_app().await;
    let samples = samples();
    let routes = manifest::routes();
    let mut token = String::new();
    let mut project_id = String::new();
    // In the order a user would go: each step leaves what the next sample needs.
    let expectations = [
        ("auth-register", 201),
        ("auth-login", 200),
        ("auth-me", 200),
        ("projects-create", 201),
        ("projects-list", 200),
        ("projects-get", 200),
        ("projects-update", 200),
        ("projects-delete", 204),
    ];
    assert_eq!(expectations.len(), routes.len(), "add the new function to this walk");
    for (function, status) in expectations {
        let mut event = samples[&format!("apigw-{function}")].clone();
        if event["headers"].get("authorization").is_some() {
            event["headers"]["authorization"] = Value::String(format!("Bearer {token}"));
        }
        if let Some(id) = event
            .get("pathParameters")
            .and_then(|p| p.get("id"))
            .and_then(Value::as_str)
        {
            let raw_path = event["rawPath"].as_str().unwrap().replace(id, &project_id);
            event["rawPath"] = Value::String(raw_path.clone());
            event["requestContext"]["http"]["path"] = Value::String(raw_path);
            event["pathParameters"]["id"] = Value::String(project_id.clone());
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
        if function == "projects-create" {
            project_id = body["id"].as_str().unwrap().to_owned();
        }
    }
}
