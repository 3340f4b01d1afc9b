use chrono::Utc;
use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, request, response};
use forgeflow_domain::Id;
use forgeflow_domain::execution::ExecutionStatus;
use forgeflow_domain::generation::{Generation, GenerationJob, Regenerate};
use forgeflow_domain::project::Project;

/// Generates the project again from one of its succeeded executions, possibly with another
/// template. Answers 202 with the queued generation.
#[utoipa::path(
    post, path = "/projects/{id}/generations", tag = "generations", operation_id = "generations-create",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The project's id")),
    request_body = Regenerate,
    responses(
        (status = 202, description = "The generation, queued", body = Generation),
        (status = 400, description = "Malformed body or id, or not a succeeded execution of this project"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such project of the caller's"),
        (status = 413, description = "Body over 256 KiB"),
        (status = 415, description = "Body is not JSON"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let project_id: Id<Project> = request::path_param(&req, "id")?;
    let input: Regenerate = request::json_body(&req)?;
    let project = ctx.owned_project(owner, project_id).await?;
    let execution = match ctx.engine.executions.load(input.execution_id).await? {
        Some((execution, _)) if execution.owner == owner && execution.project == project.id => execution,
        _ => {
            return Err(ApiError::bad_request(
                "execution_id",
                "no such execution of this project",
            ));
        }
    };
    if execution.status != ExecutionStatus::Succeeded {
        return Err(ApiError::bad_request(
            "execution_id",
            format!(
                "the execution has {}; only a succeeded one can be generated",
                execution.status.as_str()
            ),
        ));
    }
    let job = GenerationJob {
        generation_id: Id::new(),
        execution_id: execution.id,
        project_id: project.id,
        owner,
        template: input.template.unwrap_or(execution.template),
        parent: None,
        change_request: None,
    };
    let generation = Generation::new(&job, Utc::now());
    ctx.generations.create(&generation).await?;
    ctx.engine.generations_queue.send(&job).await?;
    response::accepted(&generation)
}
