use chrono::Utc;
use forgeflow_api::{ApiContext, ApiError, ApiResult, Request, request, response};
use forgeflow_catalog::find_agent;
use forgeflow_catalog::workflows::find_workflow;
use forgeflow_domain::Id;
use forgeflow_domain::budget::Budget;
use forgeflow_domain::change::ChangeRequest;
use forgeflow_domain::execution::{self, Execution, ExecutionStatus, Spending, StartExecution};
use forgeflow_domain::progress::{ProgressEvent, Topic};
use forgeflow_domain::project::Project;
use forgeflow_domain::workflow::FULL_PROJECT;

use crate::view::ExecutionView;

/// Starts a workflow over a project: the execution and its steps are written in one
/// transaction, then the first steps are queued. Answers 202 at once.
#[utoipa::path(
    post, path = "/projects/{id}/executions", tag = "executions", operation_id = "executions-create",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The project's id")),
    request_body(content = Option<StartExecution>, description = "Optional: the workflow, `full-project` by default"),
    responses(
        (status = 202, description = "The execution, started", body = ExecutionView,
            headers(("location" = String, description = "`/executions/{id}`"))),
        (status = 400, description = "Malformed body or id, an unknown workflow, or one too large to run (`workflow`), a budget out of range (`budget.max_cost_usd`, `budget.max_tokens`), a gate on a step the workflow lacks (`approvals`), or `approval_hours` out of 1–720"),
        (status = 401, description = "Missing, expired or invalid token"),
        (status = 404, description = "No such project of the caller's"),
        (status = 413, description = "Body over 256 KiB"),
        (status = 415, description = "Body is not JSON"),
    ),
)]
pub async fn handler(ctx: &ApiContext, req: Request) -> ApiResult {
    let owner = ctx.tokens().await?.authenticate(&req)?;
    let project_id = request::path_param(&req, "id")?;
    let input: StartExecution = request::json_body_or_default(&req)?;
    input.budget.validate("budget")?;
    let options = RunOptions {
        budget: input.budget,
        approvals: input.approvals,
        approval_hours: execution::approval_hours(input.approval_hours)?,
    };
    let project = ctx.owned_project(owner, project_id).await?;
    let workflow_id = input.workflow.as_deref().unwrap_or(FULL_PROJECT);
    start(ctx, project, workflow_id, None, options).await
}

/// How a run is started beyond its workflow: its budget and the steps it gates.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub budget: Budget,
    pub approvals: Vec<String>,
    pub approval_hours: u32,
}

/// The workflow `workflow_id` (a built-in or the owner's) and each agent its steps use, as an
/// execution freezes them.
pub async fn snapshot(
    ctx: &ApiContext,
    owner: forgeflow_domain::Id<forgeflow_domain::user::User>,
    workflow_id: &str,
) -> Result<
    (
        forgeflow_domain::workflow::Workflow,
        Vec<forgeflow_domain::agent::Agent>,
    ),
    ApiError,
> {
    let workflow = find_workflow(ctx, owner, workflow_id)
        .await?
        .ok_or_else(|| ApiError::bad_request("workflow", format!("no workflow `{workflow_id}`")))?;
    let mut agents = Vec::new();
    for step in &workflow.steps {
        if agents
            .iter()
            .any(|agent: &forgeflow_domain::agent::Agent| agent.id == step.agent)
        {
            continue;
        }
        let agent = find_agent(ctx, owner, &step.agent).await?.ok_or_else(|| {
            ApiError::bad_request(
                "workflow",
                format!("step `{}` uses agent `{}`, which no longer exists", step.id, step.agent),
            )
        })?;
        agents.push(agent);
    }
    Ok((workflow, agents))
}

/// Snapshots the workflow and its agents into a new execution, writes it with its steps in one
/// transaction and queues the first steps: 202 with the execution. A change request starts here
/// too, with its `change`.
pub async fn start(
    ctx: &ApiContext,
    project: Project,
    workflow_id: &str,
    change: Option<ChangeRequest>,
    options: RunOptions,
) -> ApiResult {
    let owner = project.owner;
    let (mut workflow, agents) = snapshot(ctx, owner, workflow_id).await?;
    workflow.require_approval(&options.approvals)?;
    if change.is_some() && forgeflow_domain::change::patch_step(&workflow, &agents).is_none() {
        return Err(ApiError::bad_request(
            "workflow",
            format!("`{workflow_id}` has no step whose agent answers a patch (a contract that requires `edits`)"),
        ));
    }
    let now = Utc::now();
    let run = Execution {
        id: Id::new(),
        project: project.id,
        owner,
        project_name: project.name,
        brief: project.brief,
        template: project.template,
        workflow,
        agents,
        change,
        status: ExecutionStatus::Running,
        error: None,
        budget: options.budget,
        approval_hours: options.approval_hours,
        approval_deadline: None,
        spending: Spending::default(),
        created_at: now,
        updated_at: now,
        finished_at: None,
    };
    run.check_size(forgeflow_store::item::entity_size(&run)?)?;
    let steps = execution::initial_steps(&run.workflow);
    ctx.engine.executions.create(&run, &steps).await?;
    // Before its first step is queued, so it is the first event of the run's topic; its
    // project's listeners (a dashboard) see it start, not only finish.
    let started = ProgressEvent::ExecutionStarted {
        execution_id: run.id.as_uuid(),
        project_id: run.project.as_uuid(),
        workflow: run.workflow.name.clone(),
    };
    ctx.progress.publish(Topic::execution(run.id), started).await;
    for root in run.workflow.roots() {
        if let Err(err) = ctx.engine.send_step(&run, &root.id).await {
            // Without its first message the run could never move: say so on the execution.
            ctx.engine
                .fail_unqueued(run.id, "could not queue the first steps; retry the execution")
                .await;
            return Err(err.into());
        }
    }
    tracing::info!(execution_id = %run.id, project_id = %run.project, workflow = %run.workflow.id, "execution started");
    let runs = steps.into_iter().map(|step| (step.step_id.clone(), step)).collect();
    let mut response = response::accepted(&ExecutionView::new(&run, &runs))?;
    if let Ok(location) = format!("/executions/{}", run.id).parse() {
        response.headers_mut().insert("location", location);
    }
    Ok(response)
}
