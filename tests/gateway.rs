use std::collections::BTreeSet;

use forgeflow_api_lambda::registry;
use forgeflow_local::manifest::{self, Auth};
use forgeflow_tests::spawn_app;
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn an_unknown_route_is_a_404_in_the_api_error_format() {
    let app = spawn_app().await;
    let response = app.call(Method::GET, "/no/such/route", None, None).await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.error_code(), "not_found");
}

#[tokio::test]
async fn a_known_path_with_the_wrong_method_is_a_405_listing_the_allowed_ones() {
    let app = spawn_app().await;
    let response = app.call(Method::PUT, "/projects", None, None).await;
    assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED);
    let allowed: BTreeSet<&str> = response.headers["allow"].to_str().unwrap().split(", ").collect();
    assert_eq!(allowed, BTreeSet::from(["GET", "POST"]));
}

#[tokio::test]
async fn every_route_that_needs_a_token_refuses_a_request_without_one() {
    let app = spawn_app().await;
    let id = "0193d5e4-7c1a-7000-8000-000000000000";
    for route in manifest::routes().iter().filter(|route| route.auth == Auth::Jwt) {
        let path = route.path.replace("{id}", id);
        let method = Method::from_bytes(route.method.as_bytes()).unwrap();
        let response = app.call(method, &path, None, Some(serde_json::json!({}))).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{}", route.key());
    }
}

/// 300 KiB of whitespace, to every route, with a valid token: each refuses it before its handler
/// runs, whether the route reads a JSON body, an optional one, raw bytes or none.
#[tokio::test]
async fn every_route_refuses_a_body_over_the_limit() {
    let app = spawn_app().await;
    let user = app.register().await;
    let id = "0193d5e4-7c1a-7000-8000-000000000000";
    let padding = " ".repeat(300 * 1024);
    for route in manifest::routes() {
        let path = path_with_params(&route.path, id);
        let method = Method::from_bytes(route.method.as_bytes()).unwrap();
        let request = app
            .raw(method, &path)
            .bearer_auth(&user.token)
            .header("content-type", "application/json")
            .body(padding.clone());
        let response = app.send(request).await;
        assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", route.key());
        assert_eq!(response.body["error"]["field"], "body", "{}", route.key());
    }
}

/// `route`'s path with every `{param}` (greedy ones too) set to `value`.
fn path_with_params(path: &str, value: &str) -> String {
    path.split('/')
        .map(|segment| if segment.starts_with('{') { value } else { segment })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn responses_carry_the_gateway_request_id() {
    let app = spawn_app().await;
    let response = app.call(Method::GET, "/me", None, None).await;
    assert!(response.headers.contains_key("apigw-requestid"));
}

#[test]
fn manifest_routes_handlers_and_lambda_binaries_name_the_same_functions() {
    let in_manifest: BTreeSet<String> = manifest::routes().into_iter().map(|route| route.function).collect();
    let workers: BTreeSet<String> = manifest::workers().into_iter().map(|worker| worker.function).collect();
    let websocket: BTreeSet<String> = manifest::websocket()
        .routes
        .into_iter()
        .map(|route| route.function)
        .collect();
    let websocket_registry: BTreeSet<String> = registry::websocket_functions()
        .iter()
        .map(|function| function.name.to_owned())
        .collect();
    assert_eq!(
        websocket, websocket_registry,
        "every WebSocket route needs a handler in forgeflow_realtime::FUNCTIONS"
    );
    let in_registry: BTreeSet<String> = registry::http_functions()
        .map(|function| function.name.to_owned())
        .collect();
    assert_eq!(
        in_manifest, in_registry,
        "every route needs a handler in its function crate's FUNCTIONS table"
    );
    // The API's functions share the `forgeflow-api` binary; each worker is a binary of its own.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let worker_binaries: BTreeSet<String> = std::fs::read_dir(root.join("functions/workers/src/bin"))
        .unwrap()
        .map(|file| file.unwrap().path().file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        workers, worker_binaries,
        "every worker needs a binary in functions/workers/src/bin, and every binary a manifest entry"
    );
}

#[test]
fn route_keys_are_unique() {
    let routes = manifest::routes();
    let keys: BTreeSet<String> = routes.iter().map(|route| route.key()).collect();
    assert_eq!(keys.len(), routes.len());
}
