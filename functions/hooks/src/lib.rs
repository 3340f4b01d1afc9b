//! Webhooks: the owner creates one for a project (and rotates its secret); another system calls
//! `POST /hooks/{id}` with a signed body to export the project's latest generation.

use chrono::{Duration, Utc};
use forgeflow_api::{ApiContext, ApiError, ApiResult, Body, Request, request, response};
use forgeflow_domain::Id;
use forgeflow_domain::hook::{CreateHook, Hook, SIGNATURE_HEADER};
use forgeflow_domain::project::Project;
use forgeflow_domain::webhook;
use serde_json::json;
use sha2::{Digest, Sha256};

/// How far a signature's timestamp may be from now: replays older than this are refused.
pub const TOLERANCE_SECONDS: i64 = 300;

fn new_secret() -> Result<String, ApiError> {
    let mut random = [0u8; 32];
    getrandom::fill(&mut random).map_err(|err| ApiError::internal(err.to_string()))?;
    Ok(webhook::new_secret_hex(random))
}

/// Creates a hook; the answer carries its URL and secret, shown this once.
pub async fn create(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens.authenticate(&req)?;
    let project_id: Id<Project> = request::path_param(&req, "id")?;
    let input: CreateHook = request::json_body(&req)?;
    input.target.validate()?;
    ctx.projects
        .get(owner, project_id)
        .await?
        .ok_or(ApiError::NotFound("project"))?;
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
    response::created(&json!({
        "id": hook.id, "project_id": hook.project_id, "target": hook.target, "url": format!("/hooks/{}", hook.id),
        "secret": hook.secret, "signature_header": SIGNATURE_HEADER,
    }))
}

/// Replaces the secret; the old one stops working at once.
pub async fn rotate(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens.authenticate(&req)?;
    let id: Id<Hook> = request::path_param(&req, "id")?;
    let mut hook = match ctx.hooks.get(id).await? {
        Some(hook) if hook.owner == owner => hook,
        _ => return Err(ApiError::NotFound("hook")),
    };
    hook.secret = new_secret()?;
    hook.rotated_at = Utc::now();
    ctx.hooks.put(&hook).await?;
    response::ok(&json!({"id": hook.id, "secret": hook.secret, "rotated_at": hook.rotated_at}))
}

/// The inbound call. Unknown hook, missing, malformed, wrong or stale signature: all one 401, and
/// nothing is enqueued; so is a replay of a request already delivered.
pub async fn receive(ctx: &ApiContext, req: Request) -> ApiResult {
    let refused = || ApiError::Unauthorized("missing or invalid webhook signature");
    let id: Id<Hook> = request::path_param(&req, "id").map_err(|_| refused())?;
    let body: &[u8] = match req.body() {
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    };
    let header = req
        .headers()
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(refused)?;
    let hook = ctx.hooks.get(id).await?.ok_or_else(refused)?;
    let now = Utc::now();
    webhook::verify(
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
    let digest: String = Sha256::digest(header.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let key = format!("hook:{id}:{digest}");
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
    response::accepted(&json!({"export_id": export.id, "status": export.status}))
}
