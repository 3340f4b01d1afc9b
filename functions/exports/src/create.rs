use chrono::Utc;
use forgeflow_api::{ApiContext, ApiResult, Request, request, response};
use forgeflow_domain::Id;
use forgeflow_domain::export::{Export, ExportJob, StartExport};

use crate::view::{ExportView, view};

/// Exports a ready generation to an archive, GitHub or GitLab. Answers 202 at once.
#[utoipa::path(
    post, path = "/generations/{id}/exports", tag = "exports", operation_id = "exports-create",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The generation's id")),
    request_body = StartExport,
    responses(
        (status = 202, description = "The export, queued", body = ExportView,
            headers(("location" = String, description = "`/exports/{id}`"))),
        (status = 400, description = "Malformed body or id, or a target that breaks its rules (the field names it)"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such generation of the caller's"),
        (status = 409, description = "The generation is not ready (`generation_not_ready`)"),
        (status = 413, description = "Body over 256 KiB"),
        (status = 415, description = "Body is not JSON"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let generation_id = request::path_param(&req, "id")?;
    let input: StartExport = request::json_body(&req)?;
    input.target.validate()?;
    let generation = ctx.ready_generation(owner, generation_id).await?;
    let export = Export::new(Id::new(), &generation, input.target, Utc::now());
    ctx.exports.create(&export).await?;
    ctx.exports
        .remember_target(generation.project_id, &export.target, export.created_at)
        .await?;
    ctx.engine
        .exports_queue
        .send(&ExportJob { export_id: export.id })
        .await?;
    tracing::info!(export_id = %export.id, target = export.target.kind(), "export queued");
    let mut response = response::accepted(&view(ctx, &export).await?)?;
    if let Ok(location) = format!("/exports/{}", export.id).parse() {
        response.headers_mut().insert("location", location);
    }
    Ok(response)
}
