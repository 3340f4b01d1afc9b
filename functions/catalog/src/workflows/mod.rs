pub mod create;
pub mod get;
pub mod list;

use forgeflow_api::{ApiContext, ApiError};
use forgeflow_domain::Id;
use forgeflow_domain::user::User;
use forgeflow_domain::workflow::{self, Workflow};

/// A built-in workflow by slug, or one of the caller's own by id.
pub async fn find_workflow(ctx: &ApiContext, owner: Id<User>, id: &str) -> Result<Option<Workflow>, ApiError> {
    if let Some(builtin) = workflow::builtin_workflows().into_iter().find(|w| w.id == id) {
        return Ok(Some(builtin));
    }
    if id.parse::<Id<Workflow>>().is_err() {
        return Ok(None);
    }
    Ok(ctx.workflows.get(owner, id).await?)
}
