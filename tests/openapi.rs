//! The OpenAPI document against the routes manifest (so neither can drift from the other), and
//! served by the local stack.

use std::collections::BTreeSet;

use forgeflow_local::manifest::{self, Auth};
use forgeflow_tests::spawn_app;
use reqwest::{Method, StatusCode};
use serde_json::Value;

fn document() -> Value {
    serde_json::from_str(forgeflow_api_lambda::openapi::document_json().unwrap()).unwrap()
}

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// `(METHOD, path, operationId, has security)` for every operation in the document.
fn operations(document: &Value) -> Vec<(String, String, String, bool)> {
    let mut found = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            assert!(
                METHODS.contains(&method.as_str()),
                "{method} {path}: not a method the gateway routes"
            );
            let secured = operation
                .get("security")
                .and_then(Value::as_array)
                .is_some_and(|list| !list.is_empty());
            found.push((
                method.to_uppercase(),
                path.clone(),
                operation["operationId"].as_str().unwrap_or_default().to_owned(),
                secured,
            ));
        }
    }
    found
}

/// API Gateway's greedy `{path+}` is an ordinary `{path}` parameter in OpenAPI.
fn openapi_path(manifest_path: &str) -> String {
    manifest_path.replace("+}", "}")
}

#[test]
fn the_document_describes_exactly_the_manifest_routes() {
    let document = document();
    assert_eq!(document["openapi"], "3.1.0");
    let documented: BTreeSet<(String, String)> = operations(&document)
        .into_iter()
        .map(|(method, path, _, _)| (method, path))
        .collect();
    let routed: BTreeSet<(String, String)> = manifest::routes()
        .into_iter()
        .map(|route| (route.method.clone(), openapi_path(&route.path)))
        .collect();
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        undocumented.is_empty(),
        "routes whose function has no #[utoipa::path] in its crate's FUNCTIONS table: {undocumented:?}"
    );
    assert!(
        unrouted.is_empty(),
        "documented operations no route serves: {unrouted:?}"
    );
}

#[test]
fn each_operation_is_named_after_its_function_and_secured_as_its_route() {
    let document = document();
    let operations = operations(&document);
    for route in manifest::routes() {
        let path = openapi_path(&route.path);
        let (_, _, operation_id, secured) = operations
            .iter()
            .find(|(method, documented, _, _)| *method == route.method && *documented == path)
            .unwrap_or_else(|| panic!("{} is not documented", route.key()));
        assert_eq!(*operation_id, route.function, "{}", route.key());
        assert_eq!(*secured, route.auth == Auth::Jwt, "{}: security", route.key());
    }
}

/// What `forgeflow_openapi::Conventions` promises for every operation, checked on the output.
#[test]
fn every_operation_documents_the_errors_it_can_meet() {
    let document = document();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let at = format!("{method} {path}");
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|status| status.starts_with('2')),
                "{at}: no success"
            );
            assert!(
                responses.contains_key("413"),
                "{at}: the body limit holds on every route"
            );
            let retry_after = &responses["429"]["headers"]["retry-after"];
            assert!(retry_after.is_object(), "{at}: 429 without Retry-After");
            for (status, response) in responses.iter().filter(|(status, _)| status.starts_with('4')) {
                assert_eq!(
                    response["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorBody",
                    "{at} {status}"
                );
            }
            if operation.get("security").is_some() {
                assert!(responses.contains_key("401"), "{at}: secured but no 401");
            }
            let json_body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].is_string();
            if json_body {
                for status in ["400", "413", "415"] {
                    assert!(responses.contains_key(status), "{at}: a JSON body but no {status}");
                }
            }
            if path.contains("{id}") && operation.get("security").is_some() {
                assert!(responses.contains_key("404"), "{at}: an id but no 404");
            }
        }
    }
}

/// Every `$ref` names a schema the document defines.
#[test]
fn every_reference_resolves() {
    let document = document();
    let schemas = document["components"]["schemas"].as_object().unwrap();
    let mut pending = vec![&document];
    let mut seen = 0;
    while let Some(value) = pending.pop() {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("$ref") {
                    let name = reference.strip_prefix("#/components/schemas/").unwrap_or_else(|| {
                        panic!("{reference}: only component schemas are referenced");
                    });
                    assert!(schemas.contains_key(name), "{reference} is not defined");
                    seen += 1;
                }
                pending.extend(map.values());
            }
            Value::Array(items) => pending.extend(items),
            _ => {}
        }
    }
    assert!(seen > 100, "only {seen} references: is the document whole?");
}

#[tokio::test]
async fn the_local_stack_serves_the_document_without_a_token() {
    let app = spawn_app().await;
    let response = app.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.headers["content-type"], "application/json");
    assert_eq!(response.body, document());
}
