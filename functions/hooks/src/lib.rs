//! Webhooks: the owner creates one for a project (and rotates its secret); another system calls
//! `POST /hooks/{id}` with a signed body to export the project's latest generation.

use chrono::{DateTime, Duration, Utc};
use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, request, response};
use forgeflow_domain::Id;
use forgeflow_domain::export::{Export, ExportStatus, ExportTarget};
use forgeflow_domain::hook::{CreateHook, Hook, SIGNATURE_HEADER};
use forgeflow_domain::project::Project;
use forgeflow_domain::user::User;
use forgeflow_domain::webhook;
use serde::Serialize;
use utoipa::ToSchema;

pub mod manage;

/// This crate's functions, by the names the manifests give them.
pub const FUNCTIONS: &[forgeflow_api::HttpFunction] = &[
    forgeflow_api::http_function!("hooks-create", create),
    forgeflow_api::http_function!("hooks-list", manage::list),
    forgeflow_api::http_function!("hooks-rotate", rotate),
    forgeflow_api::http_function!("hooks-delete", manage::delete),
    forgeflow_api::http_function!("hooks-receive", receive, keyless),
];

/// A project's hooks are listed whole, so their number is bounded.
pub const MAX_HOOKS_PER_PROJECT: usize = 20;

/// How far a signature's timestamp may be from now: replays older than this are refused.
pub const TOLERANCE_SECONDS: i64 = 300;

/// A new hook: where to call it and the secret to sign with, shown this once.
#[derive(Serialize, ToSchema)]
pub struct CreatedHook {
    #[schema(value_type = uuid::Uuid)]
    pub id: Id<Hook>,
    #[schema(value_type = uuid::Uuid)]
    pub project_id: Id<Project>,
    pub target: ExportTarget,
    /// `/hooks/{id}`, relative to the API's base URL.
    pub url: String,
    /// Hex HMAC-SHA256 key.
    pub secret: String,
    /// `x-forgeflow-signature`
    pub signature_header: &'static str,
}

/// A hook's new secret; the old one no longer verifies.
#[derive(Serialize, ToSchema)]
pub struct RotatedHook {
    #[schema(value_type = uuid::Uuid)]
    pub id: Id<Hook>,
    pub secret: String,
    pub rotated_at: DateTime<Utc>,
}

/// What a delivered webhook started.
#[derive(Serialize, ToSchema)]
pub struct HookDelivery {
    #[schema(value_type = uuid::Uuid)]
    pub export_id: Id<Export>,
    pub status: ExportStatus,
}

/// The caller's hook; anyone else's, like a missing one, is 404.
async fn owned_hook(ctx: &ApiContext, owner: Id<User>, id: Id<Hook>) -> Result<Hook, ApiError> {
    ctx.owned(owner, ctx.hooks.get(id).await?).await
}

fn new_secret() -> Result<String, ApiError> {
    let mut random = [0u8; 32];
    getrandom::fill(&mut random).map_err(|err| ApiError::internal(err.to_string()))?;
    Ok(webhook::new_secret_hex(random))
}

/// Creates a hook; the answer carries its URL and secret, shown this once.
#[utoipa::path(
    post, path = "/projects/{id}/hooks", tag = "hooks", operation_id = "hooks-create",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The project's id")),
    request_body = CreateHook,
    responses(
        (status = 201, description = "The hook, with its secret (shown once)", body = CreatedHook),
        (status = 400, description = "Malformed body or id, or a target that breaks its rules (the field names it)"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such project of the caller's"),
        (status = 409, description = "The project already has 20 hooks (`too_many_hooks`)"),
        (status = 413, description = "Body over 256 KiB"),
        (status = 415, description = "Body is not JSON"),
    ),
)]
pub async fn create(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let project_id: Id<Project> = request::path_param(&req, "id")?;
    let input: CreateHook = request::json_body(&req)?;
    input.target.validate()?;
    ctx.owned_project(owner, project_id).await?;
    if ctx.hooks.for_project(project_id).await?.len() >= MAX_HOOKS_PER_PROJECT {
        return Err(ApiError::Conflict {
            code: "too_many_hooks",
            message: format!("a project has at most {MAX_HOOKS_PER_PROJECT} hooks: remove one first"),
        });
    }
    let now = Utc::now();
    let hook = Hook {
        id: Id::new(),
        project_id,
        owner,
        target: input.target,
        secret: new_secret()?,
        created_at: now,
        rotated_at: now,
    };
    ctx.hooks.put(&hook).await?;
    response::created(&CreatedHook {
        id: hook.id,
        project_id: hook.project_id,
        url: format!("/hooks/{}", hook.id),
        target: hook.target,
        secret: hook.secret,
        signature_header: SIGNATURE_HEADER,
    })
}

/// Replaces the secret; the old one stops working at once.
#[utoipa::path(
    post, path = "/hooks/{id}/rotate", tag = "hooks", operation_id = "hooks-rotate",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The hook's id")),
    responses(
        (status = 200, description = "The new secret (shown once)", body = RotatedHook),
        (status = 400, description = "The id is not a lower-case UUID"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such hook of the caller's"),
    ),
)]
pub async fn rotate(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let mut hook = owned_hook(ctx, owner, request::path_param(&req, "id")?).await?;
    hook.secret = new_secret()?;
    hook.rotated_at = Utc::now();
    ctx.hooks.put(&hook).await?;
    response::ok(&RotatedHook {
        id: hook.id,
        secret: hook.secret,
        rotated_at: hook.rotated_at,
    })
}

/// The inbound call. Unknown hook, missing, malformed, wrong or stale signature: all one 401, and
/// nothing is enqueued; so is a replay of a request already delivered.
#[utoipa::path(
    post, path = "/hooks/{id}", tag = "hooks", operation_id = "hooks-receive",
    params(
        ("id" = uuid::Uuid, Path, description = "The hook's id"),
        ("x-forgeflow-signature" = String, Header,
            description = "`t=<unix seconds>,v1=<hex HMAC-SHA256 of \"{t}.{body}\" under the hook's secret>`"),
    ),
    request_body(content = Option<Object>, description = "Any body; it is what the signature covers"),
    responses(
        (status = 202, description = "An export of the latest ready generation, queued", body = HookDelivery),
        (status = 401, description = "Unknown hook; missing, wrong or stale (over 5 minutes) signature; or a replay"),
        (status = 409, description = "The project has no ready generation yet (`nothing_to_export`)"),
        (status = 413, description = "Body over 256 KiB"),
    ),
)]
pub async fn receive(ctx: &ApiContext, req: Request) -> ApiResult {
    let refused = || ApiError::Unauthorized("missing or invalid webhook signature");
    let id: Id<Hook> = request::path_param(&req, "id").map_err(|_| refused())?;
    let body = request::body_bytes(&req);
    let header = req
        .headers()
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(refused)?;
    let hook = ctx.hooks.get(id).await?.ok_or_else(refused)?;
    // A deleted project's hooks are dead from the moment its deletion starts.
    if ctx.projects.get(hook.owner, hook.project_id).await?.is_none() {
        return Err(refused());
    }
    let now = Utc::now();
    let delivery = webhook::verify(
        hook.secret.as_bytes(),
        header,
        body,
        now,
        Duration::seconds(TOLERANCE_SECONDS),
    )
    .map_err(|err| {
        tracing::info!(hook_id = %id, reason = %err, "webhook refused");
        refused()
    })?;
    let generation = ctx
        .generations
        .latest_ready(hook.project_id)
        .await?
        .ok_or(ApiError::Conflict {
            code: "nothing_to_export",
            message: "the project has no ready generation yet".into(),
        })?;
    let key = format!("hook:{id}:{}", delivery.replay_key);
    // A signature is good for one delivery: its replay, even inside the tolerance, is refused.
    if ctx.exports.get(Id::derived(&key)).await?.is_some() {
        tracing::info!(hook_id = %id, "webhook replay refused");
        return Err(ApiError::Unauthorized("this signed request was already delivered"));
    }
    let queue = &ctx.engine.exports_queue;
    let (export, created) = ctx
        .exports
        .enqueue_once(queue, &key, &generation, &hook.target, now)
        .await?;
    if !created {
        // Two copies racing past the check above: the second is the replay.
        return Err(ApiError::Unauthorized("this signed request was already delivered"));
    }
    response::accepted(&HookDelivery {
        export_id: export.id,
        status: export.status,
    })
}
