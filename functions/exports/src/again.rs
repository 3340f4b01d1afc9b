use chrono::Utc;
use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, request, response};
use forgeflow_domain::Id;
use forgeflow_domain::export::{Export, ExportJob};
use forgeflow_domain::generation::Generation;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::view::{ExportView, view};

/// Body of `POST /projects/{id}/exports` (optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportAgain {
    /// The generation to export; the project's latest ready one by default.
    #[serde(default)]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub generation: Option<Id<Generation>>,
}

#[derive(Serialize, ToSchema)]
pub struct ExportsQueued {
    /// One export per remembered target, most recently used first.
    pub items: Vec<ExportView>,
}

/// Exports again, in one call: the project's latest ready generation (or `generation`) to every
/// target the project was exported to before (each archive format, each forge branch). A forge
/// target continues its history there: a commit on top of the last one, merged with any edits
/// made on the branch meanwhile.
#[utoipa::path(
    post, path = "/projects/{id}/exports", tag = "exports", operation_id = "exports-again",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The project's id")),
    request_body(content = Option<ExportAgain>, description = "Optional: the generation, the latest ready one by default"),
    responses(
        (status = 202, description = "The exports, queued", body = ExportsQueued),
        (status = 400, description = "Malformed body or id, or a generation of another project (`generation`)"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such project (or generation) of the caller's"),
        (status = 409, description = "Nothing exported before (`no_export_targets`), or no ready generation (`no_generation`, `generation_not_ready`)"),
        (status = 413, description = "Body over 256 KiB"),
        (status = 415, description = "Body is not JSON"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let project_id = request::path_param(&req, "id")?;
    let input: ExportAgain = request::json_body_or_default(&req)?;
    let project = ctx.owned_project(owner, project_id).await?;
    let generation = match input.generation {
        Some(id) => {
            let generation = ctx.ready_generation(owner, id).await?;
            if generation.project_id != project.id {
                return Err(ApiError::bad_request(
                    "generation",
                    "must be a generation of this project",
                ));
            }
            generation
        }
        None => ctx
            .generations
            .latest_ready(project.id)
            .await?
            .ok_or_else(|| ApiError::Conflict {
                code: "no_generation",
                message: "the project has no ready generation to export".into(),
            })?,
    };
    let targets = ctx.exports.targets(project.id).await?;
    if targets.is_empty() {
        return Err(ApiError::Conflict {
            code: "no_export_targets",
            message: "the project was never exported: POST /generations/{id}/exports names a target first".into(),
        });
    }
    let now = Utc::now();
    let mut items = Vec::with_capacity(targets.len());
    for remembered in targets {
        let export = Export::new(Id::new(), &generation, remembered.target, now);
        // Not remembered again: every target would get the same time and lose its order.
        ctx.exports.create(&export).await?;
        ctx.engine
            .exports_queue
            .send(&ExportJob { export_id: export.id })
            .await?;
        items.push(view(ctx, &export).await?);
    }
    tracing::info!(project_id = %project.id, exports = items.len(), "exported again");
    response::accepted(&ExportsQueued { items })
}
