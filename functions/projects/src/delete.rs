use forgeflow_api::{ApiContext, ApiResult, Request, response};
use forgeflow_store::StoreError;

use crate::{NOT_FOUND, project_id};

pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens.authenticate(&req)?;
    let id = project_id(&req)?;
    ctx.projects.delete(owner, id).await.map_err(|err| match err {
        StoreError::NotFound => NOT_FOUND,
        other => other.into(),
    })?;
    tracing::info!(project_id = %id, "project deleted");
    response::no_content()
}
