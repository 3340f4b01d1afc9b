use forgeflow_api::{ApiContext, ApiResult, Request, response};
use forgeflow_domain::generation::{Generation, GenerationStatus};
use forgeflow_domain::manifest::Manifest;
use serde::Serialize;
use utoipa::ToSchema;

use crate::load_owned;

/// A generation and, once it is ready, its manifest.
#[derive(Serialize, ToSchema)]
pub struct GenerationView {
    #[serde(flatten)]
    pub generation: Generation,
    /// What was written (path, size, sha256, git blob id, mode); null until the generation is ready.
    pub manifest: Option<Manifest>,
    pub links: GenerationLinks,
}

#[derive(Serialize, ToSchema)]
pub struct GenerationLinks {
    /// Prefix of the generation's files: append a manifest path.
    pub files: String,
}

/// The generation and, once it is ready, its manifest (path, size, sha256, git blob id, mode).
#[utoipa::path(
    get, path = "/generations/{id}", tag = "generations", operation_id = "generations-get",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The generation's id")),
    responses(
        (status = 200, description = "The generation", body = GenerationView),
        (status = 400, description = "The id is not a lower-case UUID"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such generation of the caller's"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let generation = load_owned(ctx, owner, &req).await?;
    let manifest = if generation.status == GenerationStatus::Ready {
        Some(ctx.engine.blobs.get_json(&generation.manifest_key()).await?)
    } else {
        None
    };
    let links = GenerationLinks {
        files: format!("/generations/{}/files/", generation.id),
    };
    response::ok(&GenerationView {
        generation,
        manifest,
        links,
    })
}
