//! export-scheduler: run every minute (EventBridge; the local stack ticks it too). Each due
//! schedule gets ONE export per slot — the export's id is derived from the slot, so a tick
//! delivered twice or two overlapping ticks create it once — and its next run moves on.
//! Missed slots (no tick for an hour) give one catch-up run, for the latest of them.

use chrono::{DateTime, Utc};
use forgeflow_domain::Id;
use forgeflow_domain::export::{Export, ExportJob, ExportStatus, ExportTarget};
use forgeflow_domain::export_schedule::ExportSchedule;
use forgeflow_domain::generation::{Generation, GenerationStatus};
use forgeflow_domain::schedule::slot_key;
use forgeflow_store::schedules::SHARDS;
use forgeflow_store::{ExportStore, GenerationStore, JobQueue, ScheduleStore, StoreError};

pub struct Scheduler {
    pub schedules: ScheduleStore,
    pub generations: GenerationStore,
    pub exports: ExportStore,
    pub exports_queue: JobQueue,
}

/// What one tick did, for logs and tests.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Tick {
    pub due: usize,
    pub enqueued: usize,
    pub without_generation: usize,
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
    tracing::info!(due = report.due, enqueued = report.enqueued, "tick");
    Ok(report)
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
    let sent = match latest_ready(&scheduler.generations, schedule).await? {
        Some(generation) => Some(
            enqueue_once(
                &scheduler.exports,
                &scheduler.exports_queue,
                &key,
                &generation,
                &schedule.target,
                now,
            )
            .await?,
        ),
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

async fn latest_ready(
    generations: &GenerationStore,
    schedule: &ExportSchedule,
) -> Result<Option<Generation>, StoreError> {
    let page = generations.list_for_project(schedule.project_id, 20, None).await?;
    Ok(page
        .items
        .into_iter()
        .find(|generation| generation.status == GenerationStatus::Ready))
}

/// Creates the export named by `key` and sends its job. If it exists already (a second tick, an
/// auto-export redelivered) it is sent again only while still queued — the creator may have died
/// before sending, and the export-worker ignores a duplicate. Returns whether this call created it.
pub async fn enqueue_once(
    exports: &ExportStore,
    queue: &JobQueue,
    key: &str,
    generation: &Generation,
    target: &ExportTarget,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let export = Export::new(Id::derived(key), generation, target.clone(), now);
    let created = match exports.create(&export).await {
        Ok(()) => true,
        Err(StoreError::Conflict(_)) => false,
        Err(other) => return Err(other),
    };
    let still_queued = created
        || exports
            .get(export.id)
            .await?
            .is_some_and(|e| e.status == ExportStatus::Queued);
    if still_queued {
        queue.send(&ExportJob { export_id: export.id }).await?;
    }
    Ok(created)
}
