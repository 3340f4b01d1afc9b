//! Function name (as in the manifests) → its handler: the one table the Lambda binary's `main`
//! and the local stack dispatch with. A test checks it names exactly the manifests' functions.

use forgeflow_api::{ApiContext, ApiResult, KeyLoad, Request};

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

pub const HTTP_FUNCTIONS: &[&str] = &[
    "auth-register",
    "auth-login",
    "auth-me",
    "projects-create",
    "projects-list",
    "projects-get",
    "projects-update",
    "projects-delete",
    "projects-stories",
    "projects-sprints",
    "agents-list",
    "agents-get",
    "agents-create",
    "workflows-list",
    "workflows-get",
    "workflows-create",
    "executions-create",
    "executions-list",
    "executions-get",
    "executions-events",
    "executions-cancel",
    "executions-retry",
    "generations-create",
    "generations-list",
    "generations-get",
    "generations-file",
    "credentials-put",
    "credentials-get",
    "credentials-delete",
    "exports-create",
    "exports-get",
    "exports-list",
    "schedules-put",
    "schedules-get",
    "schedules-delete",
    "hooks-create",
    "hooks-rotate",
    "hooks-receive",
    "openapi-get",
    "audit-list",
];

/// Runs the named function's handler, or `None` if no such function exists.
pub async fn invoke(function: &str, ctx: &ApiContext, req: Request) -> Option<ApiResult> {
    use forgeflow_auth as auth;
    use forgeflow_catalog::{agents, workflows};
    use forgeflow_credentials as credentials;
    use forgeflow_executions as executions;
    use forgeflow_exports as exports;
    use forgeflow_generations as generations;
    use forgeflow_projects as projects;
    use forgeflow_schedules as schedules;
    Some(match function {
        "auth-register" => auth::register::handler(ctx, req).await,
        "auth-login" => auth::login::handler(ctx, req).await,
        "auth-me" => auth::me::handler(ctx, req).await,
        "projects-create" => projects::create::handler(ctx, req).await,
        "projects-list" => projects::list::handler(ctx, req).await,
        "projects-get" => projects::get::handler(ctx, req).await,
        "projects-update" => projects::update::handler(ctx, req).await,
        "projects-delete" => projects::delete::handler(ctx, req).await,
        "projects-stories" => projects::plan::stories(ctx, req).await,
        "projects-sprints" => projects::plan::sprints(ctx, req).await,
        "agents-list" => agents::list::handler(ctx, req).await,
        "agents-get" => agents::get::handler(ctx, req).await,
        "agents-create" => agents::create::handler(ctx, req).await,
        "workflows-list" => workflows::list::handler(ctx, req).await,
        "workflows-get" => workflows::get::handler(ctx, req).await,
        "workflows-create" => workflows::create::handler(ctx, req).await,
        "executions-create" => executions::create::handler(ctx, req).await,
        "executions-list" => executions::list::handler(ctx, req).await,
        "executions-get" => executions::get::handler(ctx, req).await,
        "executions-events" => executions::events::handler(ctx, req).await,
        "executions-cancel" => executions::cancel::handler(ctx, req).await,
        "executions-retry" => executions::retry::handler(ctx, req).await,
        "generations-create" => generations::create::handler(ctx, req).await,
        "generations-list" => generations::list::handler(ctx, req).await,
        "generations-get" => generations::get::handler(ctx, req).await,
        "generations-file" => generations::file::handler(ctx, req).await,
        "credentials-put" => credentials::put(ctx, req).await,
        "credentials-get" => credentials::get(ctx, req).await,
        "credentials-delete" => credentials::delete(ctx, req).await,
        "exports-create" => exports::create::handler(ctx, req).await,
        "exports-get" => exports::get::handler(ctx, req).await,
        "exports-list" => exports::list::handler(ctx, req).await,
        "schedules-put" => schedules::put(ctx, req).await,
        "schedules-get" => schedules::get(ctx, req).await,
        "schedules-delete" => schedules::delete(ctx, req).await,
        "hooks-create" => forgeflow_hooks::create(ctx, req).await,
        "hooks-rotate" => forgeflow_hooks::rotate(ctx, req).await,
        "hooks-receive" => forgeflow_hooks::receive(ctx, req).await,
        "openapi-get" => forgeflow_openapi::handler(ctx, req).await,
        "audit-list" => forgeflow_audit::list(ctx, req).await,
        _ => return None,
    })
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
