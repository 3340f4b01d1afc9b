use std::time::Duration;

use forgeflow_api::{ApiContext, ApiError, ApiResult, Body, Request, Response, ensure_ready, request};
use forgeflow_domain::manifest::Manifest;
use forgeflow_store::StoreError;
use lambda_http::http::{StatusCode, header};

use crate::load_owned;

/// Larger files are served by S3 itself through a short-lived presigned URL: a Lambda response
/// is capped at 6 MB and an HTTP API at 10 MB.
pub const INLINE_LIMIT: u64 = 1024 * 1024;
const PRESIGNED_FOR: Duration = Duration::from_secs(300);

/// One generated file: its bytes, or a redirect to a presigned S3 URL above `INLINE_LIMIT`.
#[utoipa::path(
    get, path = "/generations/{id}/files/{path}", tag = "generations", operation_id = "generations-file",
    security(("bearer" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "The generation's id"),
        ("path" = String, Path, description = "The file's path as in the manifest; may contain `/`"),
    ),
    responses(
        (status = 200, description = "The file's bytes (up to 1 MiB), typed by its extension",
            content(
                (String = "text/plain"),
                (String = "text/markdown"),
                (String = "text/html"),
                (String = "text/css"),
                (String = "text/javascript"),
                (serde_json::Value = "application/json"),
                (String = "image/svg+xml"),
                (Vec<u8> = "image/png"),
                (Vec<u8> = "application/octet-stream"),
            ),
            headers(("etag" = String, description = "The file's SHA-256, quoted"))),
        (status = 307, description = "Files over 1 MiB: a presigned S3 URL, valid five minutes",
            headers(("location" = String, description = "Where the file's bytes are"))),
        (status = 400, description = "A malformed id or an unsafe path"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such generation of the caller's, or no such file in it"),
        (status = 409, description = "The generation is not ready (`generation_not_ready`)"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let raw: String = request::path_param(&req, "path")?;
    let path = forgeflow_domain::path::safe_path(&raw).map_err(|err| ApiError::bad_request("path", err.to_string()))?;
    let generation = load_owned(ctx, owner, &req).await?;
    ensure_ready(&generation)?;
    let manifest: Manifest = ctx.engine.blobs.get_json(&generation.manifest_key()).await?;
    let entry = manifest.file(&path).ok_or(ApiError::NotFound("file"))?;
    let key = format!("{}{path}", generation.files_prefix());
    let mut response = Response::new(Body::Empty);
    if entry.size > INLINE_LIMIT {
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
    response.headers_mut().insert(
        header::ETAG,
        format!("\"{}\"", entry.sha256).parse().map_err(ApiError::internal)?,
    );
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
