//! The project-deleter: removes a project whose deletion started (`DELETE /projects/{id}` marked
//! it and queued the job) with everything it owns, then the project's row. Passes repeat until one
//! finds nothing left and nothing a worker still holds, so what jobs in flight when the deletion
//! began write goes too; if the invocation runs short of time the job comes back and carries on.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::{DateTime, Duration, Utc};
use forgeflow_domain::project::DeletionJob;
use forgeflow_store::{Clients, JobQueue, Pass, ProjectStore, Purge, Resources, StoreError};

use crate::batch::{self, JobError, ReceiveLimit};

/// Time kept in hand at the end of an invocation: a pass is not started later than this.
const MARGIN: Duration = Duration::seconds(60);
/// How long to wait before looking again at what a worker still holds.
const HELD_POLL: std::time::Duration = std::time::Duration::from_secs(1);

pub struct ProjectDeleter {
    pub projects: ProjectStore,
    pub purge: Purge,
    receive_limit: ReceiveLimit,
}

impl ProjectDeleter {
    pub fn from_clients(clients: &Clients, resources: &Resources) -> Self {
        Self {
            projects: ProjectStore::new(clients.dynamo.clone(), &resources.table),
            purge: Purge::new(clients, resources),
            receive_limit: ReceiveLimit::new(JobQueue::new(clients.sqs.clone(), &resources.deletions_queue)),
        }
    }
}

/// Handles one batch. `deadline` is when this invocation is killed.
pub async fn handler(worker: &ProjectDeleter, event: SqsEvent, deadline: DateTime<Utc>) -> SqsBatchResponse {
    batch::for_each_record(event, |record| process_record(worker, record, deadline)).await
}

async fn process_record(worker: &ProjectDeleter, record: SqsMessage, deadline: DateTime<Utc>) -> Result<(), JobError> {
    let job: DeletionJob = batch::parse(&record, "a deletion job")?;
    let result = delete(worker, &job, deadline).await;
    batch::settle(&record, &worker.receive_limit, result, |reason| async move {
        // The project stays marked (gone for the API); the DLQ's alarm calls for a look.
        tracing::error!(project_id = %job.project_id, reason, "project deletion gave up");
    })
    .await
}

/// Deletes the job's project; `Ok` once its row is gone (also when it already was).
pub async fn delete(worker: &ProjectDeleter, job: &DeletionJob, deadline: DateTime<Utc>) -> Result<(), JobError> {
    let Some(project) = worker.projects.get_any(job.owner, job.project_id).await? else {
        return Ok(());
    };
    if project.deleting_since.is_none() {
        // Only a deletion the owner started removes anything.
        return Err(JobError::Final("the project is not being deleted".into()));
    }
    loop {
        if Utc::now() + MARGIN > deadline {
            return Err(JobError::Retryable("out of time; the next delivery carries on".into()));
        }
        let pass = worker.purge.pass(job.owner, job.project_id).await?;
        tracing::info!(project_id = %job.project_id, removed = pass.removed, held = pass.held, "deletion pass");
        match pass {
            Pass { removed: 0, held: 0 } => break,
            // Workers still writing (their leases end with their invocations): wait for them.
            Pass { removed: 0, .. } => tokio::time::sleep(HELD_POLL).await,
            _ => {}
        }
    }
    match worker.projects.delete(job.owner, job.project_id).await {
        Ok(()) | Err(StoreError::NotFound) => {}
        Err(other) => return Err(other.into()),
    }
    tracing::info!(project_id = %job.project_id, "project deleted");
    Ok(())
}
