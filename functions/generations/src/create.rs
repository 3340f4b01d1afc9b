use chrono::Utc;
use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, request, response};
use forgeflow_domain::Id;
use forgeflow_domain::execution::ExecutionStatus;
use forgeflow_domain::generation::{Generation, GenerationJob, Regenerate};
use forgeflow_domain::project::Project;

/// Generates the project again from one of its succeeded executions, possibly with another
/// template. Answers 202 with the queued generation.
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens.authenticate(&req)?;
    let project_id: Id<Project> = request::path_param(&req, "id")?;
    let input: Regenerate = request::json_body(&req)?;
    let project = ctx
        .projects
        .get(owner, project_id)
        .await?
        .ok_or(ApiError::NotFound("project"))?;
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
    };
    let generation = Generation::new(&job, Utc::now());
    ctx.generations.create(&generation).await?;
    ctx.engine.generations_queue.send(&job).await?;
    response::accepted(&generation)
}
