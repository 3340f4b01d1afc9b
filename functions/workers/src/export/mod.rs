//! export-worker: turns a ready generation into a git commit on top of the project's history,
//! then delivers it — an archive in S3, a commit on GitHub, or one on GitLab.
//!
//! History lives in S3 as a packed `.git` per commit, and the project's head in DynamoDB is
//! moved with a conditional write: two exports of one project racing cannot lose a commit (the
//! loser is redelivered and builds on the winner). Remote commits are recorded before the
//! remote branch moves, so a redelivered job never makes a second one.

mod deliver;
pub(crate) mod history;
pub(crate) mod tree;

use std::path::PathBuf;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::{DateTime, Utc};
use forgeflow_domain::Id;
use forgeflow_domain::export::{Export, ExportJob, ExportStatus};
use forgeflow_domain::generation::GenerationStatus;
use forgeflow_domain::progress::{ExportPhase, ProgressEvent, Topic};
use forgeflow_progress::Publisher;
use forgeflow_store::{
    Blobs, Clients, CredentialStore, ExportStore, GenerationStore, JobQueue, ProjectStore, Resources, StoreError,
    UserStore,
};

use crate::batch::{self, JobError, ReceiveLimit};
use crate::generate::Manifest;

/// Settings for the forges; tests and the local stack point them at local servers.
#[derive(Clone, Debug, Default)]
pub struct ForgeSettings {
    /// GitHub's REST API base (api.github.com when unset).
    pub github_api_url: Option<String>,
    /// Lets a GitLab base URL be http or resolve to a private address: local testing only.
    pub gitlab_allow_private_network: bool,
}

impl ForgeSettings {
    pub const VARIABLES: &[&str] = &["FORGEFLOW_GITHUB_API_URL", "FORGEFLOW_GITLAB_ALLOW_PRIVATE_NETWORK"];

    pub fn from_env(env: &forgeflow_store::Env) -> Self {
        Self {
            github_api_url: env.get("FORGEFLOW_GITHUB_API_URL").map(str::to_owned),
            gitlab_allow_private_network: env.flag("FORGEFLOW_GITLAB_ALLOW_PRIVATE_NETWORK"),
        }
    }
}

pub struct ExportWorker {
    pub exports: ExportStore,
    pub generations: GenerationStore,
    pub projects: ProjectStore,
    pub users: UserStore,
    pub credentials: CredentialStore,
    pub blobs: Blobs,
    pub queue: JobQueue,
    pub forges: ForgeSettings,
    /// Where jobs unpack trees and repositories (Lambda's /tmp).
    pub scratch: PathBuf,
    pub progress: Publisher,
    receive_limit: ReceiveLimit,
}

impl ExportWorker {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        exports: ExportStore,
        generations: GenerationStore,
        projects: ProjectStore,
        users: UserStore,
        credentials: CredentialStore,
        blobs: Blobs,
        queue: JobQueue,
        forges: ForgeSettings,
        progress: Publisher,
    ) -> Self {
        Self {
            exports,
            generations,
            projects,
            users,
            credentials,
            blobs,
            receive_limit: ReceiveLimit::new(queue.clone()),
            queue,
            forges,
            scratch: std::env::temp_dir(),
            progress,
        }
    }

    /// The worker as its Lambda builds it.
    pub fn from_clients(clients: &Clients, resources: &Resources, forges: ForgeSettings, progress: Publisher) -> Self {
        let table = &resources.table;
        Self::new(
            ExportStore::new(clients.dynamo.clone(), table),
            GenerationStore::new(clients.dynamo.clone(), table),
            ProjectStore::new(clients.dynamo.clone(), table),
            UserStore::new(clients.dynamo.clone(), table),
            CredentialStore::new(
                clients.dynamo.clone(),
                clients.kms.clone(),
                table,
                &resources.credentials_key,
            ),
            Blobs::new(clients.s3.clone(), &resources.bucket),
            JobQueue::new(clients.sqs.clone(), &resources.exports_queue),
            forges,
            progress,
        )
    }
}

/// Handles one batch. `deadline` is when this invocation is killed: the lease on an export.
pub async fn handler(worker: &ExportWorker, event: SqsEvent, deadline: DateTime<Utc>) -> SqsBatchResponse {
    batch::for_each_record(event, |record| process_record(worker, record, deadline)).await
}

async fn process_record(worker: &ExportWorker, record: SqsMessage, deadline: DateTime<Utc>) -> Result<(), JobError> {
    let job: ExportJob = batch::parse(&record, "an export job")?;
    let result = run(worker, &job, deadline).await;
    let job = &job;
    batch::settle(&record, &worker.receive_limit, result, |reason| async move {
        finish_failed(worker, job, &reason).await
    })
    .await
}

async fn finish_failed(worker: &ExportWorker, job: &ExportJob, reason: &str) {
    let Ok(Some(mut export)) = worker.exports.get(job.export_id).await else {
        return;
    };
    if matches!(export.status, ExportStatus::Succeeded | ExportStatus::Failed) {
        return;
    }
    let now = Utc::now();
    export.status = ExportStatus::Failed;
    export.error = Some(reason.to_owned());
    export.updated_at = now;
    export.finished_at = Some(now);
    export.lease_expires_at = None;
    match worker.exports.save(&mut export).await {
        Ok(()) => {
            let event = ProgressEvent::ExportFailed {
                export_id: export.id.as_uuid(),
                project_id: export.project_id.as_uuid(),
                error: reason.to_owned(),
            };
            worker.progress.publish(Topic::export(export.id), event).await;
        }
        Err(err) => tracing::warn!(error = %err, "could not record the failed export"),
    }
}

/// One export, from the queued row to `succeeded`. Copies of the job delivered at once (same
/// batch, other containers) do not run it twice: the first claims it until `deadline`, the others
/// are `Held` and come back to find it finished; each works in its own scratch directory.
pub async fn run(worker: &ExportWorker, job: &ExportJob, deadline: DateTime<Utc>) -> Result<(), JobError> {
    let Some(mut export) = worker.exports.get(job.export_id).await? else {
        tracing::warn!(export_id = %job.export_id, "no such export; dropping the job");
        return Ok(());
    };
    if matches!(export.status, ExportStatus::Succeeded | ExportStatus::Failed) {
        return Ok(());
    }
    match worker.exports.claim(&mut export, deadline, Utc::now()).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => return Err(JobError::Held("another delivery is exporting it".into())),
        Err(other) => return Err(other.into()),
    }
    set_phase(worker, &mut export, ExportPhase::Committing).await?;
    let generation = match worker.generations.get(export.generation_id).await? {
        Some(generation) if generation.status == GenerationStatus::Ready => generation,
        _ => return Err(JobError::Final("the generation is gone or not ready".into())),
    };
    let manifest: Manifest = worker.blobs.get_json(&generation.manifest_key()).await?;
    let project = worker
        .projects
        .get(export.owner, export.project_id)
        .await?
        .ok_or_else(|| JobError::Final("the project no longer exists".into()))?;

    let workdir = worker
        .scratch
        .join(format!("forgeflow-export-{}-{}", export.id, Id::<Export>::new()));
    let _cleanup = tree::Scratch::create(&workdir).map_err(|err| JobError::Retryable(err.to_string()))?;
    let files = tree::download(&worker.blobs, &generation, &manifest, &workdir.join("tree")).await?;
    let git_dir = workdir.join("git");
    let commit = history::commit(worker, &mut export, &project, &generation, &files, &workdir, &git_dir).await?;
    tracing::info!(export_id = %export.id, commit, "history advanced");

    set_phase(worker, &mut export, ExportPhase::Delivering).await?;
    deliver::deliver(
        worker,
        &mut export,
        &project,
        &generation,
        &manifest,
        &files,
        &workdir,
        &git_dir,
    )
    .await?;

    let now = Utc::now();
    export.status = ExportStatus::Succeeded;
    export.phase = "done".into();
    export.updated_at = now;
    export.finished_at = Some(now);
    export.lease_expires_at = None;
    worker.exports.save(&mut export).await?;
    tracing::info!(export_id = %export.id, target = export.target.kind(), "export succeeded");
    let result = &export.result;
    let done = ProgressEvent::ExportDone {
        export_id: export.id.as_uuid(),
        project_id: export.project_id.as_uuid(),
        target: export.target.kind().to_owned(),
        commit: result.commit_sha.clone().or_else(|| export.local_commit.clone()),
        url: result
            .pull_request_url
            .clone()
            .or_else(|| result.repository_url.clone()),
    };
    worker.progress.publish(Topic::export(export.id), done).await;
    Ok(())
}

async fn set_phase(worker: &ExportWorker, export: &mut Export, phase: ExportPhase) -> Result<(), JobError> {
    export.status = ExportStatus::Running;
    export.phase = phase.as_str().to_owned();
    export.updated_at = Utc::now();
    worker.exports.save(export).await?;
    let event = ProgressEvent::ExportPhase {
        export_id: export.id.as_uuid(),
        phase,
        done: phase.number(),
        total: ExportPhase::ALL.len() as u64,
    };
    worker.progress.publish(Topic::export(export.id), event).await;
    Ok(())
}
