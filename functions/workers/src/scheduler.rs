//! export-scheduler: run every minute (EventBridge; the local stack ticks it too). Each due
//! schedule gets ONE export per slot — the export's id is derived from the slot, so a tick
//! delivered twice or two overlapping ticks create it once — and its next run moves on.
//! Missed slots (no tick for an hour) give one catch-up run, for the latest of them.
//!
//! The same minute also ends the waits that ran out: an execution awaiting an approval past its
//! deadline is cancelled (the gated step with it, so a retry asks again).

use aws_lambda_events::eventbridge::EventBridgeEvent;
use chrono::{DateTime, Utc};
use forgeflow_domain::execution::{ExecutionStatus, StepStatus};
use forgeflow_domain::export_schedule::ExportSchedule;
use forgeflow_domain::progress::{ProgressEvent, Topic};
use forgeflow_domain::schedule::slot_key;
use forgeflow_progress::Publisher;
use forgeflow_store::schedules::SHARDS;
use forgeflow_store::{
    Clients, ExecutionStore, ExportStore, GenerationStore, JobQueue, Resources, ScheduleStore, StoreError,
};

pub struct Scheduler {
    pub executions: ExecutionStore,
    /// Tells a cancelled run's listeners why it stopped.
    pub progress: Publisher,
    pub schedules: ScheduleStore,
    pub generations: GenerationStore,
    pub exports: ExportStore,
    pub exports_queue: JobQueue,
}

impl Scheduler {
    /// The scheduler as its Lambda builds it.
    pub fn from_clients(clients: &Clients, resources: &Resources, progress: Publisher) -> Self {
        Self {
            executions: ExecutionStore::new(clients.dynamo.clone(), &resources.table),
            progress,
            schedules: ScheduleStore::new(clients.dynamo.clone(), &resources.table),
            generations: GenerationStore::new(clients.dynamo.clone(), &resources.table),
            exports: ExportStore::new(clients.dynamo.clone(), &resources.table),
            exports_queue: JobQueue::new(clients.sqs.clone(), &resources.exports_queue),
        }
    }
}

/// What one tick did, for logs and tests.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Tick {
    pub due: usize,
    pub enqueued: usize,
    pub without_generation: usize,
    /// Executions cancelled because their approval's deadline passed.
    pub expired: usize,
}

/// Why an invocation was refused before any schedule was read.
#[derive(Debug, thiserror::Error)]
pub enum TickError {
    /// The rule's target was wired to something other than an EventBridge schedule.
    #[error("not a scheduled event: source {event_source:?}, detail-type {detail_type:?}")]
    NotScheduled { event_source: String, detail_type: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The Lambda's handler: EventBridge's documented scheduled event (`"source": "aws.events"`,
/// `"detail-type": "Scheduled Event"`) → one [`tick`] at `now`.
pub async fn handler(scheduler: &Scheduler, event: EventBridgeEvent, now: DateTime<Utc>) -> Result<Tick, TickError> {
    if event.source != "aws.events" || event.detail_type != "Scheduled Event" {
        return Err(TickError::NotScheduled {
            event_source: event.source,
            detail_type: event.detail_type,
        });
    }
    Ok(tick(scheduler, now).await?)
}

pub async fn tick(scheduler: &Scheduler, now: DateTime<Utc>) -> Result<Tick, StoreError> {
    let mut report = Tick::default();
    for shard in 0..SHARDS {
        for schedule in scheduler.schedules.due(shard, now).await? {
            report.due += 1;
            match run_schedule(scheduler, &schedule, now).await {
                Ok(Some(true)) => report.enqueued += 1,
                Ok(Some(false)) => {}
                Ok(None) => report.without_generation += 1,
                // One broken schedule must not stop the others; the next tick tries it again.
                Err(err) => tracing::warn!(project_id = %schedule.project_id, error = %err, "schedule not run"),
            }
        }
    }
    report.expired = expire_approvals(scheduler, now).await?;
    tracing::info!(
        due = report.due,
        enqueued = report.enqueued,
        expired = report.expired,
        "tick"
    );
    Ok(report)
}

/// Cancels every execution whose gate waited past its deadline; returns how many.
async fn expire_approvals(scheduler: &Scheduler, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let mut expired = 0;
    for id in scheduler.executions.expired_approvals(now).await? {
        let Some((execution, runs)) = scheduler.executions.load(id).await? else {
            continue;
        };
        if execution.status != ExecutionStatus::AwaitingApproval || execution.approval_deadline.is_some_and(|d| d > now)
        {
            continue;
        }
        let reason = "nobody approved or rejected the gated step before its deadline";
        match scheduler
            .executions
            .transition(
                id,
                &[ExecutionStatus::AwaitingApproval],
                ExecutionStatus::Cancelled,
                Some(reason),
                now,
            )
            .await
        {
            Ok(()) => expired += 1,
            // Decided in the same instant: the decision stands.
            Err(StoreError::Conflict(_)) => continue,
            Err(other) => return Err(other),
        }
        for run in runs.values().filter(|run| run.status == StepStatus::AwaitingApproval) {
            match scheduler
                .executions
                .transition_step(id, &run.step_id, &[StepStatus::AwaitingApproval], StepStatus::Cancelled)
                .await
            {
                Ok(()) | Err(StoreError::Conflict(_)) => {}
                Err(other) => return Err(other),
            }
        }
        tracing::info!(execution_id = %id, "approval deadline passed: cancelled");
        let event = ProgressEvent::ExecutionFinished {
            execution_id: id.as_uuid(),
            project_id: execution.project.as_uuid(),
            status: ExecutionStatus::Cancelled,
            error: Some(reason.to_owned()),
        };
        scheduler.progress.publish(Topic::execution(id), event).await;
    }
    Ok(expired)
}

/// `Some(true)`: an export was sent for this slot; `Some(false)`: the slot was handled already;
/// `None`: the project has no ready generation to export yet.
async fn run_schedule(
    scheduler: &Scheduler,
    schedule: &ExportSchedule,
    now: DateTime<Utc>,
) -> Result<Option<bool>, StoreError> {
    if !schedule.enabled {
        return Ok(Some(false));
    }
    let parsed = schedule
        .parsed()
        .map_err(|err| StoreError::backend("read schedule", err.to_string()))?;
    let Some(due) = parsed.due_slot(schedule.next_run, now) else {
        return Ok(Some(false));
    };
    let key = slot_key(&schedule.project_id.to_string(), due.slot);
    let sent = match scheduler.generations.latest_ready(schedule.project_id).await? {
        Some(generation) => {
            let queue = &scheduler.exports_queue;
            Some(
                scheduler
                    .exports
                    .enqueue_once(queue, &key, &generation, &schedule.target, now)
                    .await?
                    .1,
            )
        }
        None => None,
    };
    let mut next = schedule.clone();
    next.next_run = due.next_run;
    next.last_slot = Some(due.slot);
    next.updated_at = now;
    match scheduler.schedules.advance(schedule, &next).await {
        Ok(()) | Err(StoreError::Conflict(_)) => Ok(sent),
        Err(other) => Err(other),
    }
}
