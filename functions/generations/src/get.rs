use forgeflow_api::{ApiContext, ApiResult, Request, response};
use forgeflow_domain::generation::GenerationStatus;
use serde_json::{Value, json};

use crate::load_owned;

/// The generation and, once it is ready, its manifest (path, size, sha256, git blob id, mode).
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens.authenticate(&req)?;
    let generation = load_owned(ctx, owner, &req).await?;
    let manifest = if generation.status == GenerationStatus::Ready {
        ctx.engine.blobs.get_json::<Value>(&generation.manifest_key()).await?
    } else {
        Value::Null
    };
    let mut body = serde_json::to_value(&generation).map_err(forgeflow_api::ApiError::internal)?;
    body["manifest"] = manifest;
    body["links"] = json!({ "files": format!("/generations/{}/files/", generation.id) });
    response::ok(&body)
}
