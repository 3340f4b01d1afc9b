use std::time::Duration;

use forgeflow_api::{ApiContext, ApiError, ApiResult, Body, Request, Response, request};
use forgeflow_domain::generation::GenerationStatus;
use forgeflow_store::StoreError;
use lambda_http::http::{StatusCode, header};
use serde_json::Value;

use crate::load_owned;

/// Larger files are served by S3 itself through a short-lived presigned URL: a Lambda response
/// is capped at 6 MB and an HTTP API at 10 MB.
pub const INLINE_LIMIT: u64 = 1024 * 1024;
const PRESIGNED_FOR: Duration = Duration::from_secs(300);

/// One generated file: its bytes, or a redirect to a presigned S3 URL above `INLINE_LIMIT`.
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens.authenticate(&req)?;
    let raw: String = request::path_param(&req, "path")?;
    let path = forgeflow_generator::safe_path(&raw).map_err(|err| ApiError::bad_request("path", err.to_string()))?;
    let generation = load_owned(ctx, owner, &req).await?;
    if generation.status != GenerationStatus::Ready {
        return Err(ApiError::Conflict {
            code: "generation_not_ready",
            message: format!("the generation is {}", generation.status.as_str()),
        });
    }
    let manifest: Value = ctx.engine.blobs.get_json(&generation.manifest_key()).await?;
    let entry = manifest["files"]
        .as_array()
        .and_then(|files| files.iter().find(|file| file["path"] == path.as_str()))
        .ok_or(ApiError::NotFound("file"))?;
    let key = format!("{}{path}", generation.files_prefix());
    let size = entry["size"].as_u64().unwrap_or_default();
    let mut response = Response::new(Body::Empty);
    if size > INLINE_LIMIT {
        let url = ctx.engine.blobs.presigned_get(&key, PRESIGNED_FOR).await?;
        *response.status_mut() = StatusCode::TEMPORARY_REDIRECT;
        response
            .headers_mut()
            .insert(header::LOCATION, url.parse().map_err(ApiError::internal)?);
        return Ok(response);
    }
    let bytes = ctx.engine.blobs.get_bytes(&key).await.map_err(|err| match err {
        StoreError::NotFound => ApiError::NotFound("file"),
        other => other.into(),
    })?;
    let content_type = content_type(&path, &bytes);
    *response.body_mut() = match String::from_utf8(bytes) {
        Ok(text) => Body::Text(text),
        Err(binary) => Body::Binary(binary.into_bytes()),
    };
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, content_type.parse().map_err(ApiError::internal)?);
    if let Some(sha) = entry["sha256"].as_str() {
        response
            .headers_mut()
            .insert(header::ETAG, format!("\"{sha}\"").parse().map_err(ApiError::internal)?);
    }
    Ok(response)
}

fn content_type(path: &str, bytes: &[u8]) -> &'static str {
    let extension = path
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "json" => "application/json",
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "md" => "text/markdown; charset=utf-8",
        _ if std::str::from_utf8(bytes).is_ok() => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
