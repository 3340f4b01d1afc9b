use chrono::Utc;
use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, request, response};
use forgeflow_domain::Id;
use forgeflow_domain::export::{Export, ExportJob, StartExport};
use forgeflow_domain::generation::GenerationStatus;

use crate::view::view;

/// Exports a ready generation to an archive, GitHub or GitLab. Answers 202 at once.
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens.authenticate(&req)?;
    let generation_id = request::path_param(&req, "id")?;
    let input: StartExport = request::json_body(&req)?;
    input.target.validate()?;
    let generation = match ctx.generations.get(generation_id).await? {
        Some(generation) if generation.owner == owner => generation,
        _ => return Err(ApiError::NotFound("generation")),
    };
    if generation.status != GenerationStatus::Ready {
        return Err(ApiError::Conflict {
            code: "generation_not_ready",
            message: format!(
                "the generation is {}; only a ready one can be exported",
                generation.status.as_str()
            ),
        });
    }
    let export = Export::new(Id::new(), &generation, input.target, Utc::now());
    ctx.exports.create(&export).await?;
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
