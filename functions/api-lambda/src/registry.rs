//! Every function of the API, from each function crate's own `FUNCTIONS` table: the Lambda
//! binary's `main`, the local stack and the OpenAPI document all look functions up here. A test
//! checks the tables name exactly the manifests' functions.

use forgeflow_api::{HttpFunction, KeyLoad};
use forgeflow_realtime::WebSocketFunction;

/// Serves the OpenAPI document without an `ApiContext` in Lambda (see [`crate::run`]).
pub const OPENAPI_FUNCTION: &str = "openapi-get";

/// One table per function crate.
const HTTP_TABLES: &[&[HttpFunction]] = &[
    forgeflow_auth::FUNCTIONS,
    forgeflow_projects::FUNCTIONS,
    forgeflow_catalog::FUNCTIONS,
    forgeflow_executions::FUNCTIONS,
    forgeflow_generations::FUNCTIONS,
    forgeflow_credentials::FUNCTIONS,
    forgeflow_exports::FUNCTIONS,
    forgeflow_schedules::FUNCTIONS,
    forgeflow_hooks::FUNCTIONS,
    forgeflow_audit::FUNCTIONS,
    crate::openapi::FUNCTIONS,
];

pub fn http_functions() -> impl Iterator<Item = &'static HttpFunction> {
    HTTP_TABLES.iter().flat_map(|table| table.iter())
}

pub fn http_function(name: &str) -> Option<&'static HttpFunction> {
    http_functions().find(|function| function.name == name)
}

pub fn websocket_functions() -> &'static [WebSocketFunction] {
    forgeflow_realtime::FUNCTIONS
}

pub fn websocket_function(name: &str) -> Option<&'static WebSocketFunction> {
    websocket_functions().iter().find(|function| function.name == name)
}

/// Every function's name, HTTP then WebSocket.
pub fn names() -> impl Iterator<Item = &'static str> {
    http_functions()
        .map(|function| function.name)
        .chain(websocket_functions().iter().map(|function| function.name))
}

/// When `function` reads the JWT signing key (see [`KeyLoad`]).
pub fn key_load(function: &str) -> Option<KeyLoad> {
    http_function(function)
        .map(|function| function.key_load)
        .or_else(|| websocket_function(function).map(|function| function.key_load))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table row pairs a name with a handler and that handler's `#[utoipa::path]`: the
    /// operation it documents must carry the row's name, so a row cannot point at another
    /// function's handler unnoticed.
    #[test]
    fn each_row_documents_the_function_it_names() {
        for function in http_functions() {
            let document = forgeflow_openapi::document([function]);
            let operations: Vec<_> = document
                .paths
                .paths
                .values()
                .flat_map(|item| [&item.get, &item.put, &item.post, &item.delete, &item.patch])
                .flatten()
                .collect();
            assert_eq!(operations.len(), 1, "{}", function.name);
            assert_eq!(operations[0].operation_id.as_deref(), Some(function.name));
        }
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = names().collect();
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), count);
    }
}
