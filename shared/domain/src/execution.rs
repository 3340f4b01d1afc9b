//! Executions: one run of a workflow over a project, step by step. The rules of what may
//! happen next live here; the store applies them with conditional writes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::agent::Agent;
use crate::budget::{Budget, Spend};
use crate::change::ChangeRequest;
use crate::project::{Project, Template};
use crate::user::User;
use crate::workflow::Workflow;
use crate::{Id, ValidationError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExecutionStatus {
    Running,
    Succeeded,
    Failed,
    Cancelled,
    /// A budget stopped it before a provider call could pass it; what finished is kept, and a
    /// retry with a raised budget goes on from there.
    BudgetExceeded,
    /// A gated step ran: nothing more runs until its owner approves, edits or rejects it (or
    /// its deadline passes, which cancels the run). No Lambda waits.
    AwaitingApproval,
}

impl ExecutionStatus {
    /// Stopped for good unless someone retries it (awaiting an approval is not finished).
    pub fn is_finished(self) -> bool {
        !matches!(self, Self::Running | Self::AwaitingApproval)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::BudgetExceeded => "budget_exceeded",
            Self::AwaitingApproval => "awaiting_approval",
        }
    }

    /// The stopped states a retry may resume.
    pub const RETRYABLE: [ExecutionStatus; 3] = [Self::Failed, Self::Cancelled, Self::BudgetExceeded];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Waiting for its dependencies.
    Pending,
    /// Its message is on the queue (claimed by exactly one writer).
    Queued,
    /// A worker holds it until `lease_expires_at`.
    Running,
    Succeeded,
    Failed,
    Cancelled,
    /// Ran, its output stored; waits for its owner's approval before it counts as succeeded.
    AwaitingApproval,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::AwaitingApproval => "awaiting_approval",
        }
    }
}

/// Everything an execution needs, frozen when it starts: later edits to the workflow or an
/// agent do not change a run in flight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Execution {
    pub id: Id<Execution>,
    pub project: Id<Project>,
    pub owner: Id<User>,
    pub project_name: String,
    pub brief: String,
    pub template: Template,
    pub workflow: Workflow,
    pub agents: Vec<Agent>,
    /// Set for a change request: what to change, and in which generation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<ChangeRequest>,
    pub status: ExecutionStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What the run may spend; unlimited when empty (the owner's monthly budget still applies).
    #[serde(default, skip_serializing_if = "Budget::is_unlimited")]
    pub budget: Budget,
    /// How long a gate waits for its owner before the run is cancelled.
    #[serde(default = "default_approval_hours")]
    pub approval_hours: u32,
    /// While awaiting an approval: when the wait ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_deadline: Option<DateTime<Utc>>,
    #[serde(default, flatten)]
    pub spending: Spending,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
}

fn default_approval_hours() -> u32 {
    DEFAULT_APPROVAL_HOURS
}

/// The workflow an execution ran, by id and name.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WorkflowRef {
    pub id: String,
    pub name: String,
}

/// An execution in a listing: what it ran, how it ended and what it spent, without its steps.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ExecutionSummary {
    #[schema(value_type = uuid::Uuid)]
    pub id: Id<Execution>,
    pub workflow: WorkflowRef,
    pub status: ExecutionStatus,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// What its provider calls used.
    pub spent: Spend,
}

impl From<Execution> for ExecutionSummary {
    fn from(execution: Execution) -> Self {
        Self {
            id: execution.id,
            spent: execution.spending.spent(),
            workflow: WorkflowRef {
                id: execution.workflow.id,
                name: execution.workflow.name,
            },
            status: execution.status,
            error: execution.error,
            created_at: execution.created_at,
            finished_at: execution.finished_at,
        }
    }
}

/// What a run has spent, and committed (spent plus what calls in flight reserved). Top-level
/// attributes of the row, so the store adds to them atomically under a budget's condition; money
/// in whole nano-dollars, so the sums are exact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Spending {
    #[serde(default)]
    pub spent_nano_usd: i64,
    #[serde(default)]
    pub spent_tokens: u64,
    #[serde(default)]
    pub committed_nano_usd: i64,
    #[serde(default)]
    pub committed_tokens: u64,
}

impl Spending {
    pub fn spent(&self) -> Spend {
        Spend::new(self.spent_nano_usd as f64 / 1e9, self.spent_tokens)
    }

    pub fn committed(&self) -> Spend {
        Spend::new(self.committed_nano_usd as f64 / 1e9, self.committed_tokens)
    }
}

/// The most an execution's row may weigh as DynamoDB counts items (the caller measures it): under
/// the 400 KB item limit, with room for what the run adds later (its error, its finish time).
pub const MAX_SNAPSHOT_BYTES: usize = 300 * 1024;

impl Execution {
    pub fn agent(&self, id: &str) -> Option<&Agent> {
        self.agents.iter().find(|agent| agent.id == id)
    }

    /// Refuses a snapshot too large to store as one row (many steps of long custom agents);
    /// `item_bytes` is its size as a DynamoDB item.
    pub fn check_size(&self, item_bytes: usize) -> Result<(), ValidationError> {
        let bytes = item_bytes;
        if bytes > MAX_SNAPSHOT_BYTES {
            return Err(ValidationError::new(
                "workflow",
                format!(
                    "the workflow with its agents takes {} KiB; at most {} KiB can run (fewer steps or shorter agents)",
                    bytes / 1024,
                    MAX_SNAPSHOT_BYTES / 1024
                ),
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRun {
    pub step_id: String,
    pub status: StepStatus,
    /// Provider calls made for this step, over all deliveries.
    #[serde(default)]
    pub attempts: u32,
    /// Times a worker started this step.
    #[serde(default)]
    pub deliveries: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// Epoch milliseconds in storage, so a condition expression can compare it with `now`.
    #[serde(
        default,
        with = "chrono::serde::ts_milliseconds_option",
        skip_serializing_if = "Option::is_none"
    )]
    pub lease_expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
    #[serde(default)]
    pub cost_usd: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_key: Option<String>,
    /// Why its owner rejected the last output: the next run of the step reads it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<String>,
    /// Times its owner rejected it.
    #[serde(default)]
    pub rejections: u32,
}

impl StepRun {
    pub fn new(step_id: &str, status: StepStatus) -> Self {
        Self {
            step_id: step_id.to_owned(),
            status,
            attempts: 0,
            deliveries: 0,
            started_at: None,
            finished_at: None,
            lease_expires_at: None,
            input_tokens: 0,
            output_tokens: 0,
            cost_usd: 0.0,
            model: None,
            error: None,
            output_key: None,
            feedback: None,
            rejections: 0,
        }
    }

    /// Whether a worker may take this step now: it is queued, or its holder's lease ran out
    /// (the holder died; SQS redelivered the message).
    pub fn can_start(&self, now: DateTime<Utc>) -> bool {
        match self.status {
            StepStatus::Queued => true,
            StepStatus::Running => self.lease_expires_at.is_none_or(|lease| lease < now),
            _ => false,
        }
    }
}

/// The initial step states of a new execution: roots are queued, the rest wait.
pub fn initial_steps(workflow: &Workflow) -> Vec<StepRun> {
    workflow
        .steps
        .iter()
        .map(|step| {
            let status = if step.depends_on.is_empty() {
                StepStatus::Queued
            } else {
                StepStatus::Pending
            };
            StepRun::new(&step.id, status)
        })
        .collect()
}

/// Pending steps whose dependencies have all succeeded: the ones to queue now.
pub fn ready_steps(workflow: &Workflow, runs: &BTreeMap<String, StepRun>) -> Vec<String> {
    let succeeded = |id: &str| runs.get(id).is_some_and(|run| run.status == StepStatus::Succeeded);
    workflow
        .steps
        .iter()
        .filter(|step| runs.get(&step.id).is_some_and(|run| run.status == StepStatus::Pending))
        .filter(|step| step.depends_on.iter().all(|dependency| succeeded(dependency)))
        .map(|step| step.id.clone())
        .collect()
}

pub fn all_succeeded(runs: &BTreeMap<String, StepRun>) -> bool {
    runs.values().all(|run| run.status == StepStatus::Succeeded)
}

/// Steps a retry runs again: the failed and cancelled ones; finished work is kept.
pub fn steps_to_retry(runs: &BTreeMap<String, StepRun>) -> Vec<String> {
    runs.values()
        .filter(|run| matches!(run.status, StepStatus::Failed | StepStatus::Cancelled))
        .map(|run| run.step_id.clone())
        .collect()
}

/// Body of `POST /projects/{id}/executions`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartExecution {
    #[serde(default)]
    pub workflow: Option<String>,
    /// Caps on what this run may spend (USD, tokens); none by default.
    #[serde(default)]
    pub budget: Budget,
    /// Steps whose output waits for your approval before the run goes on (e.g. `["plan",
    /// "architecture"]`); none by default.
    #[serde(default)]
    pub approvals: Vec<String>,
    /// How long a gate waits before the run is cancelled, in hours (72 by default).
    #[serde(default)]
    pub approval_hours: Option<u32>,
}

/// How long a gate waits by default, and at most.
pub const DEFAULT_APPROVAL_HOURS: u32 = 72;
pub const MAX_APPROVAL_HOURS: u32 = 30 * 24;

/// Checks `approval_hours`: 1 to [`MAX_APPROVAL_HOURS`].
pub fn approval_hours(hours: Option<u32>) -> Result<u32, ValidationError> {
    match hours.unwrap_or(DEFAULT_APPROVAL_HOURS) {
        hours @ 1..=MAX_APPROVAL_HOURS => Ok(hours),
        _ => Err(ValidationError::new(
            "approval_hours",
            format!("must be 1 to {MAX_APPROVAL_HOURS}"),
        )),
    }
}

/// The message that asks a step-worker to run one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepJob {
    pub execution_id: Id<Execution>,
    pub step_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflow::full_project;

    fn execution(agents: Vec<Agent>) -> Execution {
        let now = Utc::now();
        Execution {
            id: Id::new(),
            project: Id::new(),
            owner: Id::new(),
            project_name: "p".into(),
            brief: "b".into(),
            template: Template::RustAxum,
            workflow: full_project(),
            agents,
            change: None,
            status: ExecutionStatus::Running,
            error: None,
            budget: Budget::default(),
            approval_hours: DEFAULT_APPROVAL_HOURS,
            approval_deadline: None,
            spending: Spending::default(),
            created_at: now,
            updated_at: now,
            finished_at: None,
        }
    }

    #[test]
    fn a_snapshot_too_large_for_one_row_is_refused_naming_the_workflow() {
        let run = execution(crate::catalog::builtin_agents());
        assert!(run.check_size(MAX_SNAPSHOT_BYTES).is_ok());
        let err = run.check_size(MAX_SNAPSHOT_BYTES + 1).unwrap_err();
        assert_eq!(err.field, "workflow");
        assert!(err.message.contains("KiB"), "{}", err.message);
    }

    fn runs(statuses: &[(&str, StepStatus)]) -> BTreeMap<String, StepRun> {
        statuses
            .iter()
            .map(|(id, status)| ((*id).to_owned(), StepRun::new(id, *status)))
            .collect()
    }

    #[test]
    fn a_new_execution_queues_only_its_roots() {
        let steps = initial_steps(&full_project());
        let queued: Vec<_> = steps
            .iter()
            .filter(|s| s.status == StepStatus::Queued)
            .map(|s| s.step_id.as_str())
            .collect();
        assert_eq!(queued, ["plan"]);
        assert_eq!(steps.len(), 5);
    }

    #[test]
    fn a_join_step_becomes_ready_only_when_both_parents_succeeded() {
        use StepStatus::*;
        let workflow = full_project();
        let one_parent = runs(&[
            ("plan", Succeeded),
            ("architecture", Succeeded),
            ("code", Succeeded),
            ("tests", Running),
            ("review", Pending),
        ]);
        assert!(ready_steps(&workflow, &one_parent).is_empty());
        let both = runs(&[
            ("plan", Succeeded),
            ("architecture", Succeeded),
            ("code", Succeeded),
            ("tests", Succeeded),
            ("review", Pending),
        ]);
        assert_eq!(ready_steps(&workflow, &both), ["review"]);
        let already_queued = runs(&[
            ("plan", Succeeded),
            ("architecture", Succeeded),
            ("code", Succeeded),
            ("tests", Succeeded),
            ("review", Queued),
        ]);
        assert!(ready_steps(&workflow, &already_queued).is_empty());
    }

    #[test]
    fn the_fan_out_makes_both_branches_ready_at_once() {
        use StepStatus::*;
        let state = runs(&[
            ("plan", Succeeded),
            ("architecture", Succeeded),
            ("code", Pending),
            ("tests", Pending),
            ("review", Pending),
        ]);
        assert_eq!(ready_steps(&full_project(), &state), ["code", "tests"]);
    }

    #[test]
    fn a_retry_reruns_failed_and_cancelled_steps_only() {
        use StepStatus::*;
        let state = runs(&[
            ("plan", Succeeded),
            ("architecture", Failed),
            ("code", Cancelled),
            ("tests", Pending),
        ]);
        assert_eq!(steps_to_retry(&state), ["architecture", "code"]);
    }

    #[test]
    fn a_running_step_can_be_taken_over_only_after_its_lease() {
        let now = Utc::now();
        let mut run = StepRun::new("a", StepStatus::Running);
        run.lease_expires_at = Some(now + chrono::Duration::seconds(30));
        assert!(!run.can_start(now));
        assert!(run.can_start(now + chrono::Duration::seconds(31)));
        assert!(StepRun::new("a", StepStatus::Queued).can_start(now));
        assert!(!StepRun::new("a", StepStatus::Succeeded).can_start(now));
    }
}
