//! Exports: start one from a ready generation, read one, list a project's, export a project again
//! to every target it remembers. The work (git
//! history, archive, GitHub, GitLab) is the export-worker's.

pub mod again;
pub mod create;
pub mod get;
pub mod list;
pub mod view;

/// This crate's functions, by the names the manifests give them.
pub const FUNCTIONS: &[forgeflow_api::HttpFunction] = &[
    forgeflow_api::http_function!("exports-create", create::handler),
    forgeflow_api::http_function!("exports-get", get::handler),
    forgeflow_api::http_function!("exports-list", list::handler),
    forgeflow_api::http_function!("exports-again", again::handler),
];

use forgeflow_api::{ApiContext, ApiError};
use forgeflow_domain::Id;
use forgeflow_domain::generation::{Generation, GenerationStatus};
use forgeflow_domain::user::User;

/// The caller's generation, ready to export; another user's is not found.
async fn ready_generation(ctx: &ApiContext, owner: Id<User>, id: Id<Generation>) -> Result<Generation, ApiError> {
    let generation = match ctx.generations.get(id).await? {
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
    Ok(generation)
}
