//! The moves of an execution that both the API (start, retry) and the step-worker (advance,
//! finish) make. Each is safe to repeat: SQS delivers at least once and Lambdas die mid-way.

use std::collections::BTreeMap;

use chrono::Utc;
use forgeflow_domain::Id;
use forgeflow_domain::agent::{AgentRole, PlanOutput};
use forgeflow_domain::execution::{self, Execution, ExecutionStatus, StepJob, StepRun, StepStatus};
use forgeflow_domain::generation::GenerationJob;
use forgeflow_domain::plan::ProjectPlan;

use crate::{Blobs, Clients, ExecutionStore, JobQueue, Owned, ProjectStore, Resources, SpendingStore, StoreError};

#[derive(Clone, Debug)]
pub struct Engine {
    pub executions: ExecutionStore,
    /// Whether a run's project still lives (a step does not run for one being deleted).
    pub projects: ProjectStore,
    pub plans: Owned<ProjectPlan>,
    pub blobs: Blobs,
    pub steps_queue: JobQueue,
    pub generations_queue: JobQueue,
    pub exports_queue: JobQueue,
    pub spending: SpendingStore,
}

/// The engine over this deployment's table, bucket and queues.
pub fn engine(clients: &Clients, resources: &Resources) -> Engine {
    Engine {
        executions: ExecutionStore::new(clients.dynamo.clone(), &resources.table),
        projects: ProjectStore::new(clients.dynamo.clone(), &resources.table),
        plans: Owned::new(clients.dynamo.clone(), &resources.table, "PLAN"),
        blobs: Blobs::new(clients.s3.clone(), &resources.bucket),
        steps_queue: JobQueue::new(clients.sqs.clone(), &resources.steps_queue),
        generations_queue: JobQueue::new(clients.sqs.clone(), &resources.generations_queue),
        exports_queue: JobQueue::new(clients.sqs.clone(), &resources.exports_queue),
        spending: SpendingStore::new(clients.dynamo.clone(), &resources.table),
    }
}

/// The ids of the steps whose agent has `role`, in workflow order.
pub fn steps_of_role(execution: &Execution, role: AgentRole) -> Vec<&str> {
    execution
        .workflow
        .steps
        .iter()
        .filter(|step| execution.agent(&step.agent).is_some_and(|agent| agent.role == role))
        .map(|step| step.id.as_str())
        .collect()
}

/// Where a step's output lives: deterministic, so a redelivered step overwrites, never adds.
pub fn output_key(execution: &Execution, step_id: &str) -> String {
    format!("executions/{}/steps/{step_id}.json", execution.id)
}

impl Engine {
    pub async fn send_step(&self, execution: &Execution, step_id: &str) -> Result<(), StoreError> {
        self.steps_queue
            .send(&StepJob {
                execution_id: execution.id,
                step_id: step_id.to_owned(),
            })
            .await
    }

    /// Queues every step whose dependencies have all succeeded. The pending → queued write is
    /// conditional, so when two parents finish at once only one of them sends the child.
    pub async fn enqueue_ready(
        &self,
        execution: &Execution,
        runs: &BTreeMap<String, StepRun>,
    ) -> Result<Vec<String>, StoreError> {
        if execution.status != ExecutionStatus::Running {
            return Ok(Vec::new());
        }
        let mut sent = Vec::new();
        for step_id in execution::ready_steps(&execution.workflow, runs) {
            match self
                .executions
                .transition_step(execution.id, &step_id, &[StepStatus::Pending], StepStatus::Queued)
                .await
            {
                Ok(()) => {
                    self.send_step(execution, &step_id).await?;
                    sent.push(step_id);
                }
                Err(StoreError::Conflict(_)) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(sent)
    }

    /// After the last step: the plan is written, the generation job sent, then the execution
    /// marked succeeded. The writes before the mark are idempotent, so a crash between them is
    /// repaired by the redelivery; the mark itself happens once.
    pub async fn complete_if_done(
        &self,
        execution: &Execution,
        runs: &BTreeMap<String, StepRun>,
    ) -> Result<bool, StoreError> {
        if execution.status != ExecutionStatus::Running || !execution::all_succeeded(runs) {
            return Ok(false);
        }
        if let Some(plan) = self.plan_of(execution).await? {
            self.plans
                .put(execution.owner, &execution.project.to_string(), &plan)
                .await?;
        }
        self.generations_queue.send(&GenerationJob::after(execution)).await?;
        match self
            .executions
            .transition(
                execution.id,
                &[ExecutionStatus::Running],
                ExecutionStatus::Succeeded,
                None,
                Utc::now(),
            )
            .await
        {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// The stories and sprints from the product manager's step, if the workflow has one.
    pub async fn plan_of(&self, execution: &Execution) -> Result<Option<ProjectPlan>, StoreError> {
        let Some(step) = steps_of_role(execution, AgentRole::ProductManager).into_iter().next() else {
            return Ok(None);
        };
        let output: PlanOutput = self.blobs.get_json(&output_key(execution, step)).await?;
        Ok(Some(ProjectPlan {
            project_id: execution.project,
            execution_id: execution.id,
            stories: output.stories,
            sprints: output.sprints,
            updated_at: Utc::now(),
        }))
    }

    /// Marks a step and its execution failed, so the run shows why it stopped. True if this
    /// call failed the execution (false if it had stopped already).
    pub async fn fail(&self, execution: &Execution, run: &StepRun) -> Result<bool, StoreError> {
        self.stop(execution, run, ExecutionStatus::Failed).await
    }

    /// Marks a step failed and stops its execution as `status` (failed, or budget_exceeded).
    pub async fn stop(
        &self,
        execution: &Execution,
        run: &StepRun,
        status: ExecutionStatus,
    ) -> Result<bool, StoreError> {
        match self.executions.finish_step(execution.id, run).await {
            Ok(()) | Err(StoreError::Conflict(_)) => {}
            Err(other) => return Err(other),
        }
        let reason = format!(
            "step `{}` failed: {}",
            run.step_id,
            run.error.as_deref().unwrap_or("unknown error")
        );
        match self
            .executions
            .transition(
                execution.id,
                &[ExecutionStatus::Running],
                status,
                Some(&reason),
                Utc::now(),
            )
            .await
        {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict(_)) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// Stops an execution: it becomes cancelled and its waiting steps with it. Running steps
    /// finish, but nothing after them is queued.
    pub async fn cancel(&self, execution: &Execution, runs: &BTreeMap<String, StepRun>) -> Result<(), StoreError> {
        self.cancel_with(execution, runs, None).await
    }

    /// [`Engine::cancel`] with the reason recorded (a gate's deadline passed). A step awaiting
    /// its approval is cancelled too: a retry runs it again, and it waits again.
    pub async fn cancel_with(
        &self,
        execution: &Execution,
        runs: &BTreeMap<String, StepRun>,
        reason: Option<&str>,
    ) -> Result<(), StoreError> {
        self.executions
            .transition(
                execution.id,
                &[ExecutionStatus::Running, ExecutionStatus::AwaitingApproval],
                ExecutionStatus::Cancelled,
                reason,
                Utc::now(),
            )
            .await?;
        for run in runs.values() {
            match self
                .executions
                .transition_step(
                    execution.id,
                    &run.step_id,
                    &[StepStatus::Pending, StepStatus::Queued, StepStatus::AwaitingApproval],
                    StepStatus::Cancelled,
                )
                .await
            {
                Ok(()) | Err(StoreError::Conflict(_)) => {}
                Err(other) => return Err(other),
            }
        }
        Ok(())
    }

    /// After `step_id` succeeded: queue what became ready and finish the execution if this was
    /// the last step. True if this call finished it. On a redelivery, children claimed earlier
    /// are sent again too: the delivery that claimed them may have died before sending (a
    /// duplicate is harmless, a loss is not).
    pub async fn resume(&self, id: Id<Execution>, step_id: &str, redelivered: bool) -> Result<bool, StoreError> {
        let Some((execution, runs)) = self.executions.load(id).await? else {
            return Ok(false);
        };
        if execution.status != ExecutionStatus::Running {
            return Ok(false);
        }
        if redelivered {
            for child in execution.workflow.children(step_id) {
                if runs.get(&child.id).is_some_and(|run| run.status == StepStatus::Queued) {
                    self.send_step(&execution, &child.id).await?;
                }
            }
        }
        self.enqueue_ready(&execution, &runs).await?;
        self.complete_if_done(&execution, &runs).await
    }

    /// The owner approved `step_id`: it counts as succeeded and the run goes on from it. True
    /// if that finished the run. `Conflict` unless the step was awaiting its gate.
    pub async fn approve(&self, execution: &Execution, step_id: &str) -> Result<bool, StoreError> {
        self.executions.decide(execution.id, step_id, None).await?;
        let resumed = self.resume(execution.id, step_id, false).await;
        if resumed.is_err() {
            self.fail_unqueued(
                execution.id,
                "could not queue the steps after the approved one; retry the execution",
            )
            .await;
        }
        resumed
    }

    /// A running execution whose next message could not be sent: failed with `reason`, so it
    /// never sits `running` with nothing queued (a retry sends what is owed). Best effort: the
    /// caller reports the send's own error.
    pub async fn fail_unqueued(&self, id: Id<Execution>, reason: &str) {
        let _ = self
            .executions
            .transition(
                id,
                &[ExecutionStatus::Running],
                ExecutionStatus::Failed,
                Some(reason),
                Utc::now(),
            )
            .await;
    }

    /// The owner rejected `step_id` with `feedback`: it runs again, told why. A lost message
    /// leaves the step failed and the run failed, so a retry runs it (never a run waiting on
    /// nothing).
    pub async fn reject(&self, execution: &Execution, step_id: &str, feedback: &str) -> Result<(), StoreError> {
        self.executions.decide(execution.id, step_id, Some(feedback)).await?;
        if let Err(error) = self.send_step(execution, step_id).await {
            let _ = self
                .executions
                .transition_step(execution.id, step_id, &[StepStatus::Queued], StepStatus::Failed)
                .await;
            self.fail_unqueued(
                execution.id,
                "could not queue the rejected step again; retry the execution",
            )
            .await;
            return Err(error);
        }
        Ok(())
    }

    /// Runs the failed and cancelled steps again, keeping every finished one, and sends again
    /// the steps that were queued when the run stopped. A run whose every
    /// step had succeeded (a cancel that raced the last step's completion) has nothing to rerun:
    /// it is completed instead, so it never sits `running` with nothing queued. True if this
    /// call completed it.
    pub async fn retry(&self, execution: &Execution, runs: &BTreeMap<String, StepRun>) -> Result<bool, StoreError> {
        self.executions
            .transition(
                execution.id,
                &ExecutionStatus::RETRYABLE,
                ExecutionStatus::Running,
                None,
                Utc::now(),
            )
            .await?;
        let mut runs = runs.clone();
        for step_id in execution::steps_to_retry(&runs) {
            self.executions
                .transition_step(
                    execution.id,
                    &step_id,
                    &[StepStatus::Failed, StepStatus::Cancelled],
                    StepStatus::Pending,
                )
                .await?;
            if let Some(run) = runs.get_mut(&step_id) {
                run.status = StepStatus::Pending;
            }
        }
        let mut running = execution.clone();
        running.status = ExecutionStatus::Running;
        // A step claimed as queued whose message was lost (the run then failed) is sent again;
        // a duplicate is harmless, the step-worker takes a step once.
        for run in runs.values().filter(|run| run.status == StepStatus::Queued) {
            self.send_step(&running, &run.step_id).await?;
        }
        self.enqueue_ready(&running, &runs).await?;
        self.complete_if_done(&running, &runs).await
    }
}
