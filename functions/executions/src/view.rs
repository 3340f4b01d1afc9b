use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use forgeflow_domain::budget::{Budget, Spend};
use forgeflow_domain::execution::{Execution, ExecutionStatus, StepRun, StepStatus};
use serde::Serialize;
use utoipa::ToSchema;

/// What a client sees of an execution: its status and, per step in workflow order, the
/// status, attempts, timings, tokens and cost.
#[derive(Serialize, ToSchema)]
pub struct ExecutionView {
    #[schema(value_type = uuid::Uuid)]
    pub id: String,
    #[schema(value_type = uuid::Uuid)]
    pub project_id: String,
    pub workflow: WorkflowRef,
    /// A change request's request and base generation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<forgeflow_domain::change::ChangeRequest>,
    pub status: ExecutionStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    pub steps: Vec<StepView>,
    pub totals: Totals,
    /// The run's caps; empty when unlimited.
    pub budget: Budget,
    /// What the run's provider calls used, as counted against its budget.
    pub spent: Spend,
    /// Awaiting an approval: when the wait ends (the run is then cancelled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approval_deadline: Option<DateTime<Utc>>,
}

pub use forgeflow_domain::execution::WorkflowRef;

#[derive(Serialize, ToSchema)]
pub struct StepView {
    pub id: String,
    pub agent: String,
    pub depends_on: Vec<String>,
    pub status: StepStatus,
    pub attempts: u32,
    pub deliveries: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<i64>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Times its owner rejected it.
    pub rejections: u32,
    /// Awaiting approval: what it wrote (`GET /executions/{id}` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub output: Option<serde_json::Value>,
}

#[derive(Serialize, Default, ToSchema)]
pub struct Totals {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
}

impl ExecutionView {
    pub fn new(execution: &Execution, runs: &BTreeMap<String, StepRun>) -> Self {
        let mut totals = Totals::default();
        let steps = execution
            .workflow
            .steps
            .iter()
            .map(|step| {
                let run = runs
                    .get(&step.id)
                    .cloned()
                    .unwrap_or_else(|| StepRun::new(&step.id, StepStatus::Pending));
                totals.input_tokens += run.input_tokens;
                totals.output_tokens += run.output_tokens;
                totals.cost_usd += run.cost_usd;
                let duration_ms = match (run.started_at, run.finished_at) {
                    (Some(start), Some(end)) => Some((end - start).num_milliseconds()),
                    _ => None,
                };
                StepView {
                    id: step.id.clone(),
                    agent: step.agent.clone(),
                    depends_on: step.depends_on.clone(),
                    status: run.status,
                    attempts: run.attempts,
                    deliveries: run.deliveries,
                    started_at: run.started_at,
                    finished_at: run.finished_at,
                    duration_ms,
                    input_tokens: run.input_tokens,
                    output_tokens: run.output_tokens,
                    cost_usd: run.cost_usd,
                    model: run.model,
                    error: run.error,
                    rejections: run.rejections,
                    output: None,
                }
            })
            .collect();
        Self {
            id: execution.id.to_string(),
            project_id: execution.project.to_string(),
            workflow: WorkflowRef {
                id: execution.workflow.id.clone(),
                name: execution.workflow.name.clone(),
            },
            change: execution.change.clone(),
            status: execution.status,
            error: execution.error.clone(),
            created_at: execution.created_at,
            updated_at: execution.updated_at,
            finished_at: execution.finished_at,
            steps,
            totals,
            budget: execution.budget,
            spent: execution.spending.spent(),
            approval_deadline: execution.approval_deadline,
        }
    }
}
