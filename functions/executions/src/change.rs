use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, ensure_ready, request};
use forgeflow_domain::Id;
use forgeflow_domain::change::{CHANGE_WORKFLOW, ChangeRequest, CreateChange};
use forgeflow_domain::generation::Generation;
use forgeflow_domain::project::Project;

use crate::create::start;

/// Changes a generated project: runs the built-in `change` workflow on `request` over the
/// project's latest ready generation (or `base`). Its generation is that one plus the patch,
/// with it as parent; `GET /generations/{id}/diff` shows what changed.
#[utoipa::path(
    post, path = "/projects/{id}/changes", tag = "executions", operation_id = "changes-create",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The project's id")),
    request_body(content = CreateChange, description = "What to change, and optionally from which generation"),
    responses(
        (status = 202, description = "The change's execution, started", body = crate::view::ExecutionView,
            headers(("location" = String, description = "`/executions/{id}`"))),
        (status = 400, description = "Malformed body or id, an empty or oversize `request`, or a `base` of another project"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such project (or base generation) of the caller's"),
        (status = 409, description = "No ready generation to change (`no_generation`), or the base is not ready"),
        (status = 413, description = "Body over 256 KiB"),
        (status = 415, description = "Body is not JSON"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let project_id = request::path_param(&req, "id")?;
    let input: CreateChange = request::json_body(&req)?;
    let request = input.request()?;
    input.budget.validate("budget")?;
    let project = ctx.owned_project(owner, project_id).await?;
    let base = match input.base {
        Some(id) => given_base(ctx, &project, id).await?,
        None => latest_ready(ctx, &project).await?,
    };
    let change = ChangeRequest {
        request,
        base_generation: base.id,
        base_execution: base.execution_id,
    };
    let workflow = input.workflow.as_deref().unwrap_or(CHANGE_WORKFLOW);
    let options = crate::create::RunOptions {
        budget: input.budget,
        approvals: Vec::new(),
        approval_hours: forgeflow_domain::execution::DEFAULT_APPROVAL_HOURS,
    };
    start(ctx, project, workflow, Some(change), options).await
}

async fn given_base(ctx: &ApiContext, project: &Project, id: Id<Generation>) -> Result<Generation, ApiError> {
    let base = ctx.owned_generation(project.owner, id).await?;
    if base.project_id != project.id {
        return Err(ApiError::bad_request("base", "must be a generation of this project"));
    }
    ensure_ready(&base)?;
    Ok(base)
}

/// The newest ready generation: what the user last saw.
async fn latest_ready(ctx: &ApiContext, project: &Project) -> Result<Generation, ApiError> {
    ctx.generations
        .latest_ready(project.id)
        .await?
        .ok_or_else(|| ApiError::Conflict {
            code: "no_generation",
            message: "the project has no ready generation to change; run a workflow first".into(),
        })
}
