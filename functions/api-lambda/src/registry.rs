//! Function name (as in the manifests) → its handler: the one table the Lambda binary's `main`
//! and the local stack dispatch with. A test checks it names exactly the manifests' functions.

use forgeflow_api::{ApiContext, ApiResult, KeyLoad, Request};
use forgeflow_auth as auth;
use forgeflow_catalog::{agents, workflows};
use forgeflow_credentials as credentials;
use forgeflow_executions as executions;
use forgeflow_exports as exports;
use forgeflow_generations as generations;
use forgeflow_projects as projects;
use forgeflow_schedules as schedules;

/// Serves the OpenAPI document without an `ApiContext` in Lambda (see [`crate::run`]).
pub const OPENAPI_FUNCTION: &str = "openapi-get";

/// The functions that never issue or verify a token: they read the JWT key only if a request
/// ever needs it, and their roles have no grant to read it.
pub const KEYLESS_FUNCTIONS: &[&str] = &["openapi-get", "hooks-receive", "ws-disconnect", "ws-default"];

/// When `function` reads the JWT signing key.
pub fn key_load(function: &str) -> KeyLoad {
    if KEYLESS_FUNCTIONS.contains(&function) {
        KeyLoad::OnFirstUse
    } else {
        KeyLoad::AtInit
    }
}

/// One line per HTTP function: its name (as in `manifest/routes.json`) and its handler. The name
/// list and the dispatch are both generated from it, so they cannot disagree.
macro_rules! http_functions {
    ($($name:literal => $handler:path,)*) => {
        pub const HTTP_FUNCTIONS: &[&str] = &[$($name),*];

        /// Runs the named function's handler, or `None` if no such function exists.
        pub async fn invoke(function: &str, ctx: &ApiContext, req: Request) -> Option<ApiResult> {
            Some(match function {
                $($name => $handler(ctx, req).await,)*
                _ => return None,
            })
        }
    };
}

http_functions! {
    "auth-register" => auth::register::handler,
    "auth-login" => auth::login::handler,
    "auth-me" => auth::me::handler,
    "projects-create" => projects::create::handler,
    "projects-list" => projects::list::handler,
    "projects-get" => projects::get::handler,
    "projects-update" => projects::update::handler,
    "projects-delete" => projects::delete::handler,
    "projects-stories" => projects::plan::stories,
    "projects-sprints" => projects::plan::sprints,
    "agents-list" => agents::list::handler,
    "agents-get" => agents::get::handler,
    "agents-create" => agents::create::handler,
    "workflows-list" => workflows::list::handler,
    "workflows-get" => workflows::get::handler,
    "workflows-create" => workflows::create::handler,
    "executions-create" => executions::create::handler,
    "executions-list" => executions::list::handler,
    "executions-get" => executions::get::handler,
    "executions-events" => executions::events::handler,
    "executions-cancel" => executions::cancel::handler,
    "executions-retry" => executions::retry::handler,
    "generations-create" => generations::create::handler,
    "generations-list" => generations::list::handler,
    "generations-get" => generations::get::handler,
    "generations-file" => generations::file::handler,
    "credentials-put" => credentials::put,
    "credentials-get" => credentials::get,
    "credentials-delete" => credentials::delete,
    "exports-create" => exports::create::handler,
    "exports-get" => exports::get::handler,
    "exports-list" => exports::list::handler,
    "schedules-put" => schedules::put,
    "schedules-get" => schedules::get,
    "schedules-delete" => schedules::delete,
    "hooks-create" => forgeflow_hooks::create,
    "hooks-rotate" => forgeflow_hooks::rotate,
    "hooks-receive" => forgeflow_hooks::receive,
    "openapi-get" => forgeflow_openapi::handler,
    "audit-list" => forgeflow_audit::list,
}

pub const WEBSOCKET_FUNCTIONS: &[&str] = &["ws-connect", "ws-disconnect", "ws-default"];

/// Runs the named WebSocket route function, or `None` if no such function exists.
pub async fn invoke_websocket(
    function: &str,
    ctx: &ApiContext,
    sender: &forgeflow_progress::Sender,
    event: aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest,
) -> Option<aws_lambda_events::apigw::ApiGatewayProxyResponse> {
    use forgeflow_realtime as realtime;
    Some(match function {
        "ws-connect" => realtime::connect::handler(ctx, event).await,
        "ws-disconnect" => realtime::disconnect::handler(ctx, event).await,
        "ws-default" => realtime::message::handler(ctx, sender, event).await,
        _ => return None,
    })
}
