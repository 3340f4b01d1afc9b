//! step-worker: runs one workflow step per SQS message.
//!
//! Every message may arrive twice and any worker may die mid-step, so each move is a
//! conditional write: a step is taken (queued → running, with a lease up to this invocation's
//! deadline), finished only by the delivery that holds it, and its children are queued
//! exactly once by the pending → queued claim in `Engine::enqueue_ready`.

use std::collections::BTreeMap;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::{DateTime, Utc};
use forgeflow_agents::{AgentError, AgentInput, Agents, TokenProgress};
use forgeflow_domain::Id;
use forgeflow_domain::execution::{Execution, ExecutionStatus, StepJob, StepRun, StepStatus};
use forgeflow_domain::progress::{ProgressEvent, Topic};
use forgeflow_domain::workflow::Approval;
use forgeflow_progress::{Coalesced, Publisher};
use forgeflow_store::engine::output_key;
use forgeflow_store::{Engine, StoreError};

use crate::batch::{self, JobError, ReceiveLimit};
use crate::change::{Base, run_engineer};
use crate::keys::ProviderKeys;
use crate::meter::StepMeter;
use forgeflow_domain::change::writes_patch;

pub struct StepWorker {
    pub engine: Engine,
    pub agents: Agents,
    /// The owner's or the deployment's key for each step's provider.
    pub keys: ProviderKeys,
    pub progress: Publisher,
    receive_limit: ReceiveLimit,
}

impl StepWorker {
    pub fn new(engine: Engine, agents: Agents, keys: ProviderKeys, progress: Publisher) -> Self {
        Self {
            receive_limit: ReceiveLimit::new(engine.steps_queue.clone()),
            engine,
            agents,
            keys,
            progress,
        }
    }
}

/// Handles one batch. `deadline` is when this invocation is killed: the lease on a step.
pub async fn handler(worker: &StepWorker, event: SqsEvent, deadline: DateTime<Utc>) -> SqsBatchResponse {
    batch::for_each_record(event, |record| process_record(worker, record, deadline)).await
}

async fn process_record(worker: &StepWorker, record: SqsMessage, deadline: DateTime<Utc>) -> Result<(), JobError> {
    let job: StepJob = batch::parse(&record, "a step job")?;
    let result = run_step(worker, &job, deadline).await;
    batch::settle(&record, &worker.receive_limit, result, |reason| {
        give_up(worker, &job, reason)
    })
    .await
}

/// The step failed for good: record why on the step and the execution (before SQS moves the
/// message to the DLQ, for a last delivery), so the run does not sit `running` forever.
async fn give_up(worker: &StepWorker, job: &StepJob, reason: String) {
    let executions = &worker.engine.executions;
    let now = Utc::now();
    if let Err(err) = executions.fail_step(job.execution_id, &job.step_id, &reason, now).await {
        tracing::warn!(error = %err, "could not mark the step failed");
    }
    let summary = format!("step `{}` failed: {reason}", job.step_id);
    let moved = executions
        .transition(
            job.execution_id,
            &[ExecutionStatus::Running],
            ExecutionStatus::Failed,
            Some(&summary),
            now,
        )
        .await;
    match moved {
        Ok(()) => {
            let topic = Topic::execution(job.execution_id);
            let failed = ProgressEvent::StepFailed {
                step: job.step_id.clone(),
                error: reason,
            };
            worker.progress.publish(topic, failed).await;
            if let Ok(Some((execution, _))) = executions.load(job.execution_id).await {
                worker
                    .progress
                    .publish(topic, finished(&execution, ExecutionStatus::Failed, Some(summary)))
                    .await;
            }
        }
        Err(err) => tracing::warn!(error = %err, "could not mark the execution failed"),
    }
}

/// The event that closes an execution's stream.
fn finished(execution: &Execution, status: ExecutionStatus, error: Option<String>) -> ProgressEvent {
    ProgressEvent::ExecutionFinished {
        execution_id: execution.id.as_uuid(),
        project_id: execution.project.as_uuid(),
        status,
        error,
    }
}

async fn run_step(worker: &StepWorker, job: &StepJob, deadline: DateTime<Utc>) -> Result<(), JobError> {
    let engine = &worker.engine;
    let Some((execution, runs)) = engine.executions.load(job.execution_id).await? else {
        tracing::warn!(execution_id = %job.execution_id, "no such execution; dropping the job");
        return Ok(());
    };
    let Some(run) = runs.get(&job.step_id).cloned() else {
        tracing::warn!(step = job.step_id, "no such step; dropping the job");
        return Ok(());
    };
    let now = Utc::now();
    match run.status {
        // A redelivery after the step finished: only make sure what follows it was started.
        StepStatus::Succeeded => return Ok(resume_after(worker, execution.id, &run.step_id, true).await?),
        // A gate is passed only by its owner's decision, never by a redelivery. But a worker
        // that finished the step died before the run was told to wait (found by the property
        // test): the run would stay `running` with no message and no way to approve, so the
        // redelivery tells it now.
        StepStatus::AwaitingApproval if execution.status == ExecutionStatus::Running => {
            return Ok(await_approval(worker, &execution, &run.step_id).await?);
        }
        StepStatus::Pending | StepStatus::Failed | StepStatus::Cancelled | StepStatus::AwaitingApproval => {
            return Ok(());
        }
        StepStatus::Queued | StepStatus::Running => {}
    }
    if execution.status != ExecutionStatus::Running {
        // Cancelled, or failed elsewhere: this step will not run; a retry queues it again. A step
        // whose worker died holding it (its lease ran out) is cancelled too, or the retry, which
        // reruns only failed and cancelled steps, would leave it `running` with no message left.
        let from: &[StepStatus] = if run.can_start(now) {
            &[StepStatus::Queued, StepStatus::Running]
        } else {
            &[StepStatus::Queued]
        };
        return Ok(ignore_conflict(
            engine
                .executions
                .transition_step(execution.id, &run.step_id, from, StepStatus::Cancelled)
                .await,
        )?);
    }
    // Another delivery holds the step. Deleting this message could lose the step if that
    // holder dies, so let it come back after the visibility timeout (≥ any lease).
    if !run.can_start(now) {
        return Err(held());
    }
    let started = match engine
        .executions
        .start_step(execution.id, &run.step_id, now, deadline)
        .await
    {
        Ok(started) => started,
        Err(StoreError::Conflict(_)) => return Err(held()),
        Err(other) => return Err(other.into()),
    };
    // Checked after taking the lease: the project-deleter waits for a held step, so either it
    // sees this lease or this sees its mark; a step never writes after the deletion ends.
    if engine.projects.get(execution.owner, execution.project).await?.is_none() {
        tracing::info!(execution_id = %execution.id, "the project is being deleted; the step stops");
        let cancelled = engine
            .executions
            .transition_step(
                execution.id,
                &run.step_id,
                &[StepStatus::Running],
                StepStatus::Cancelled,
            )
            .await;
        return Ok(ignore_conflict(cancelled)?);
    }
    tracing::info!(execution_id = %execution.id, step = started.step_id, delivery = started.deliveries, "step started");
    let role = execution
        .workflow
        .step(&started.step_id)
        .and_then(|step| execution.agent(&step.agent))
        .map_or("custom", |agent| agent.role.as_str());
    let event = ProgressEvent::StepStarted {
        step: started.step_id.clone(),
        role: role.to_owned(),
        delivery: started.deliveries,
    };
    worker.progress.publish(Topic::execution(execution.id), event).await;
    match execute(worker, &execution, started).await {
        Ok(()) => Ok(()),
        Err(err) => {
            // Hand the step back so the redelivery need not wait for this lease to run out.
            let released = engine
                .executions
                .transition_step(execution.id, &run.step_id, &[StepStatus::Running], StepStatus::Queued)
                .await;
            if let Err(release) = released {
                tracing::warn!(error = %release, "could not release the step");
            }
            Err(err.into())
        }
    }
}

async fn execute(worker: &StepWorker, execution: &Execution, mut run: StepRun) -> Result<(), StoreError> {
    let engine = &worker.engine;
    let step = execution
        .workflow
        .step(&run.step_id)
        .ok_or_else(|| StoreError::backend("run step", "step missing from the workflow snapshot"))?;
    let agent = execution
        .agent(&step.agent)
        .ok_or_else(|| StoreError::backend("run step", "agent missing from the execution snapshot"))?;
    let mut inputs = BTreeMap::new();
    for ancestor in execution.workflow.ancestors(&step.id) {
        let output = engine.blobs.get_json(&output_key(execution, ancestor)).await?;
        inputs.insert(ancestor.to_owned(), output);
    }
    let base = match &execution.change {
        Some(change) => Some(Base::load(engine, change).await?),
        None => None,
    };
    let change = match &base {
        Some(base) => Some(base.context(engine).await?),
        None => None,
    };
    let instructions = match (&step.instructions, &run.feedback) {
        (instructions, Some(feedback)) => Some(format!(
            "{}Your previous answer to this step was rejected by the project's owner, with this feedback:\n{}\nAnswer again, taking it into account.",
            instructions
                .as_deref()
                .map(|text| format!("{text}\n\n"))
                .unwrap_or_default(),
            feedback.trim()
        )),
        (instructions, None) => instructions.clone(),
    };
    let mut input = AgentInput {
        step_id: step.id.clone(),
        project_name: execution.project_name.clone(),
        brief: execution.brief.clone(),
        template: execution.template,
        instructions,
        inputs,
        change,
    };
    let topic = Topic::execution(execution.id);
    let tokens = Coalesced::with_default_interval(worker.progress.clone(), topic);
    let report = |progress: TokenProgress| {
        tokens.report(ProgressEvent::StepProgress {
            step: step.id.clone(),
            output_tokens: progress.output_tokens,
        });
    };
    let meter = StepMeter::new(&engine.spending, execution).await?;
    let agents = match worker.keys.endpoint(execution.owner, agent.provider).await? {
        Some(endpoint) => worker.agents.with_endpoint(endpoint),
        None => worker.agents.clone(),
    };
    let outcome = match &base {
        Some(base) if writes_patch(agent) => {
            run_engineer(&agents, engine, base, agent, &mut input, &meter, &report).await?
        }
        _ => agents.run(agent, &input, &meter, &report).await,
    };
    tokens.finish().await;
    if let Err(AgentError::Metering(reason)) = &outcome {
        // Nothing was called: the step goes back to the queue.
        return Err(StoreError::backend("count spending", reason.clone()));
    }
    run.finished_at = Some(Utc::now());
    match outcome {
        Ok(agent_run) => {
            let key = output_key(execution, &run.step_id);
            engine.blobs.put_json(&key, &agent_run.output).await?;
            let gated = step.approval == Approval::Required;
            run.status = if gated {
                StepStatus::AwaitingApproval
            } else {
                StepStatus::Succeeded
            };
            run.attempts += agent_run.attempts;
            run.input_tokens += agent_run.input_tokens;
            run.output_tokens += agent_run.output_tokens;
            run.cost_usd += agent_run.cost_usd;
            run.model = Some(agent_run.model);
            run.output_key = Some(key);
            match engine.executions.finish_step(execution.id, &run).await {
                Ok(()) => {}
                Err(StoreError::Conflict(_)) => return Ok(()), // a later delivery took over
                Err(other) => return Err(other),
            }
            tracing::info!(execution_id = %execution.id, step = run.step_id, attempts = run.attempts, "step succeeded");
            let completed = ProgressEvent::StepCompleted {
                step: run.step_id.clone(),
                input_tokens: run.input_tokens,
                output_tokens: run.output_tokens,
                cost_usd: run.cost_usd,
                attempts: run.attempts,
            };
            worker.progress.publish(topic, completed).await;
            if meter.passed() {
                return stop_over_budget(worker, execution, &run).await;
            }
            if gated {
                return await_approval(worker, execution, &run.step_id).await;
            }
            resume_after(worker, execution.id, &run.step_id, false).await
        }
        Err(err) => {
            tracing::warn!(execution_id = %execution.id, step = run.step_id, error = %err, "step failed");
            run.status = StepStatus::Failed;
            run.attempts += err.attempts();
            run.error = Some(err.to_string());
            let status = match err {
                AgentError::Budget { .. } => ExecutionStatus::BudgetExceeded,
                _ => ExecutionStatus::Failed,
            };
            let stopped_execution = engine.stop(execution, &run, status).await?;
            let failed = ProgressEvent::StepFailed {
                step: run.step_id.clone(),
                error: err.to_string(),
            };
            worker.progress.publish(topic, failed).await;
            if stopped_execution {
                let reason = format!("step `{}` failed: {err}", run.step_id);
                worker
                    .progress
                    .publish(topic, finished(execution, status, Some(reason)))
                    .await;
            }
            Ok(())
        }
    }
}

/// A gated step ran: the run waits for its owner (no Lambda does), until the deadline.
async fn await_approval(worker: &StepWorker, execution: &Execution, step_id: &str) -> Result<(), StoreError> {
    let deadline = Utc::now() + chrono::Duration::hours(i64::from(execution.approval_hours));
    match worker.engine.executions.await_approval(execution.id, deadline).await {
        Ok(()) => {}
        // Cancelled meanwhile: nothing waits.
        Err(StoreError::Conflict(_)) => return Ok(()),
        Err(other) => return Err(other),
    }
    tracing::info!(execution_id = %execution.id, step = step_id, %deadline, "awaiting approval");
    let event = ProgressEvent::ApprovalRequested {
        step: step_id.to_owned(),
        deadline,
    };
    worker.progress.publish(Topic::execution(execution.id), event).await;
    Ok(())
}

/// A step's actual usage took the run past its budget: its work is kept, nothing after it runs;
/// a retry with a raised budget goes on from there.
async fn stop_over_budget(worker: &StepWorker, execution: &Execution, run: &StepRun) -> Result<(), StoreError> {
    let reason = format!(
        "step `{}` used more than estimated and the run passed its budget; raise it and retry to go on",
        run.step_id
    );
    let stopped = worker
        .engine
        .executions
        .transition(
            execution.id,
            &[ExecutionStatus::Running],
            ExecutionStatus::BudgetExceeded,
            Some(&reason),
            Utc::now(),
        )
        .await;
    match stopped {
        Ok(()) => {
            let event = finished(execution, ExecutionStatus::BudgetExceeded, Some(reason));
            worker.progress.publish(Topic::execution(execution.id), event).await;
            Ok(())
        }
        Err(StoreError::Conflict(_)) => Ok(()),
        Err(other) => Err(other),
    }
}

/// After `step_id` succeeded: [`Engine::resume`](forgeflow_store::Engine::resume), and the
/// closing event if that finished the run.
async fn resume_after(
    worker: &StepWorker,
    id: Id<Execution>,
    step_id: &str,
    redelivered: bool,
) -> Result<(), StoreError> {
    let engine = &worker.engine;
    if engine.resume(id, step_id, redelivered).await?
        && let Some((execution, _)) = engine.executions.load(id).await?
    {
        let event = finished(&execution, ExecutionStatus::Succeeded, None);
        worker.progress.publish(Topic::execution(execution.id), event).await;
    }
    Ok(())
}

fn ignore_conflict(result: Result<(), StoreError>) -> Result<(), StoreError> {
    match result {
        Err(StoreError::Conflict(_)) => Ok(()),
        other => other,
    }
}

fn held() -> JobError {
    JobError::Held("the step is held by another delivery".into())
}
