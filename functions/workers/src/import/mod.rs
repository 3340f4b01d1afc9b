//! import-worker: reads an import (an uploaded zip / tar.gz, or a GitHub / GitLab branch) into
//! the project's first generation. The files go through the project's one path policy and the
//! generations' limits; an archive's `.git` becomes the project's history; a forge import is
//! remembered as an export target whose last commit is the branch's head, so the next export
//! there continues that repository's history.
//!
//! Copies of a job delivered at once do not import twice: the generation is claimed under a
//! lease, as the generate-worker does.

mod history;
mod source;

use std::path::PathBuf;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::{DateTime, Utc};
use forgeflow_domain::Id;
use forgeflow_domain::generation::{Generation, GenerationStatus, RefusedFile};
use forgeflow_domain::import::ImportJob;
use forgeflow_domain::manifest::{FileMode, GeneratedFile, Source};
use forgeflow_domain::progress::{ProgressEvent, Topic};
use forgeflow_exporter::Author;
use forgeflow_exporter::import::{ImportLimits, unpack};
use forgeflow_generator::{Limits, Manifest};
use forgeflow_progress::Publisher;
use forgeflow_store::exports::RemoteRecord;
use forgeflow_store::{
    Blobs, Clients, CredentialStore, ExportStore, GenerationStore, JobQueue, ProjectStore, Resources, StoreError,
    UserStore,
};

use crate::batch::{self, JobError, ReceiveLimit};
use crate::export::ForgeSettings;
use crate::export::history::blocking;
use crate::generate::{FileProgress, upload};

/// How many refused paths the generation row lists (the manifest keeps them all).
const LISTED_ON_ROW: usize = 20;

pub struct ImportWorker {
    pub generations: GenerationStore,
    pub projects: ProjectStore,
    pub users: UserStore,
    pub exports: ExportStore,
    pub credentials: CredentialStore,
    pub blobs: Blobs,
    pub forges: ForgeSettings,
    pub limits: ImportLimits,
    /// Where jobs unpack archives (Lambda's /tmp).
    pub scratch: PathBuf,
    pub progress: Publisher,
    receive_limit: ReceiveLimit,
}

impl ImportWorker {
    /// The worker as its Lambda builds it.
    pub fn from_clients(clients: &Clients, resources: &Resources, forges: ForgeSettings, progress: Publisher) -> Self {
        let table = &resources.table;
        let limits = Limits::default();
        Self {
            generations: GenerationStore::new(clients.dynamo.clone(), table),
            projects: ProjectStore::new(clients.dynamo.clone(), table),
            users: UserStore::new(clients.dynamo.clone(), table),
            exports: ExportStore::new(clients.dynamo.clone(), table),
            credentials: CredentialStore::new(
                clients.dynamo.clone(),
                clients.kms.clone(),
                table,
                &resources.credentials_key,
            ),
            blobs: Blobs::new(clients.s3.clone(), &resources.bucket),
            forges,
            limits: ImportLimits {
                max_files: limits.max_files,
                max_file_bytes: limits.max_file_bytes,
                max_total_bytes: limits.max_total_bytes,
                max_history_bytes: limits.max_total_bytes,
            },
            scratch: std::env::temp_dir(),
            progress,
            receive_limit: ReceiveLimit::new(JobQueue::new(clients.sqs.clone(), &resources.imports_queue)),
        }
    }
}

/// Handles one batch. `deadline` is when this invocation is killed: the lease on the import.
pub async fn handler(worker: &ImportWorker, event: SqsEvent, deadline: DateTime<Utc>) -> SqsBatchResponse {
    batch::for_each_record(event, |record| process_record(worker, record, deadline)).await
}

async fn process_record(worker: &ImportWorker, record: SqsMessage, deadline: DateTime<Utc>) -> Result<(), JobError> {
    let job: ImportJob = batch::parse(&record, "an import job")?;
    let result = run(worker, &job, deadline).await;
    let job = &job;
    batch::settle(&record, &worker.receive_limit, result, |reason| async move {
        fail(worker, job, &reason).await
    })
    .await
}

/// Marks the import failed and tells its listeners why.
async fn fail(worker: &ImportWorker, job: &ImportJob, reason: &str) {
    let Ok(Some(generation)) = worker.generations.get(job.generation_id).await else {
        return;
    };
    if let Err(err) = worker.generations.fail(generation.id, reason, Utc::now()).await {
        tracing::warn!(error = %err, "could not mark the import failed");
        return;
    }
    let event = ProgressEvent::GenerationFailed {
        generation_id: generation.id.as_uuid(),
        project_id: generation.project_id.as_uuid(),
        error: reason.to_owned(),
    };
    worker.progress.publish(Topic::generation(generation.id), event).await;
}

/// One import, from the queued generation to `ready`.
pub async fn run(worker: &ImportWorker, job: &ImportJob, deadline: DateTime<Utc>) -> Result<(), JobError> {
    let lease = Id::<Generation>::new().to_string();
    let Some(mut generation) = take(worker, job, &lease, deadline).await? else {
        return Ok(());
    };
    let mut imported = generation
        .imported
        .clone()
        .ok_or_else(|| JobError::Final("this generation is not an import".into()))?;
    let project = worker
        .projects
        .get(generation.owner, generation.project_id)
        .await?
        .ok_or_else(|| JobError::Final("the project no longer exists".into()))?;
    let read = source::read(worker, &generation, &imported.source).await?;

    let workdir = worker.scratch.join(format!(
        "forgeflow-import-{}-{}",
        generation.id,
        Id::<Generation>::new()
    ));
    let _cleanup =
        crate::export::tree::Scratch::create(&workdir).map_err(|err| JobError::Retryable(err.to_string()))?;
    let owner = worker
        .users
        .get(generation.owner)
        .await?
        .ok_or_else(|| JobError::Final("the owner no longer exists".into()))?;
    let author = Author {
        name: owner.email.as_str().split('@').next().unwrap_or("forgeflow").to_owned(),
        email: owner.email.as_str().to_owned(),
    };
    let (limits, dir) = (worker.limits, workdir.clone());
    let (unpacked, adopted) = blocking(move || {
        let unpacked = unpack(&read.bytes, read.kind, &dir.join("theirs"), &limits)?;
        let adopted = match &unpacked.git_dir {
            Some(theirs) => history::adopt(theirs, &dir, &unpacked.files, &author)?,
            None => None,
        };
        Ok((unpacked, adopted))
    })
    .await?;
    if unpacked.files.is_empty() {
        return Err(JobError::Final(
            "the repository has no file Forgeflow can import".into(),
        ));
    }

    let files: Vec<GeneratedFile> = unpacked
        .files
        .into_iter()
        .map(|file| GeneratedFile {
            mode: if file.mode == "100755" {
                FileMode::Executable
            } else {
                FileMode::Regular
            },
            path: file.path,
            content: file.content,
            source: Source::Imported,
        })
        .collect();
    upload(&worker.blobs, &generation, &files, &|_: FileProgress| {}).await?;
    let refused: Vec<RefusedFile> = unpacked
        .refused
        .into_iter()
        .map(|(path, reason)| RefusedFile { path, reason })
        .collect();
    let manifest = Manifest {
        generation_id: generation.id.to_string(),
        files: files.iter().map(GeneratedFile::manifest_entry).collect(),
        conflicts: Vec::new(),
        refused,
    };
    worker.blobs.put_json(&generation.manifest_key(), &manifest).await?;

    imported.branch = read.branch.clone();
    imported.commit = read.commit.clone();
    if let Some(adopted) = &adopted
        && history::store(worker, &project, &generation, adopted).await?
    {
        imported.commit = Some(adopted.head.clone());
        imported.history_commits = adopted.commits;
    }
    if let (Some(target), Some(commit)) = (
        imported.source.export_target(read.branch.as_deref().unwrap_or("main")),
        &read.commit,
    ) {
        let record = RemoteRecord {
            commit_sha: commit.clone(),
            manifest_key: generation.manifest_key(),
            merged: false,
        };
        worker
            .exports
            .set_remote(project.id, &target.remote_key().unwrap_or_default(), &record)
            .await?;
        worker.exports.remember_target(project.id, &target, Utc::now()).await?;
    }

    let now = Utc::now();
    generation.imported = Some(imported);
    generation.status = GenerationStatus::Ready;
    generation.file_count = manifest.files.len() as u64;
    generation.total_bytes = manifest.files.iter().map(|file| file.size).sum();
    generation.refused = manifest.refused.iter().take(LISTED_ON_ROW).cloned().collect();
    generation.updated_at = now;
    generation.finished_at = Some(now);
    match worker.generations.complete(&generation, &lease).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => return Ok(()),
        Err(other) => return Err(other.into()),
    }
    tracing::info!(generation_id = %generation.id, files = generation.file_count, "import ready");
    let ready = ProgressEvent::GenerationReady {
        generation_id: generation.id.as_uuid(),
        project_id: generation.project_id.as_uuid(),
        files: generation.file_count,
        bytes: generation.total_bytes,
    };
    worker.progress.publish(Topic::generation(generation.id), ready).await;
    Ok(())
}

/// The import's generation claimed under `lease`; `None` when it already finished (or is not
/// queued yet: an upload is queued by `POST /generations/{id}/import`).
async fn take(
    worker: &ImportWorker,
    job: &ImportJob,
    lease: &str,
    deadline: DateTime<Utc>,
) -> Result<Option<Generation>, JobError> {
    let Some(mut generation) = worker.generations.get(job.generation_id).await? else {
        tracing::warn!(generation_id = %job.generation_id, "no such import; dropping the job");
        return Ok(None);
    };
    if matches!(
        generation.status,
        GenerationStatus::Ready | GenerationStatus::Failed | GenerationStatus::AwaitingUpload
    ) {
        return Ok(None);
    }
    let now = Utc::now();
    match worker.generations.claim(generation.id, lease, deadline, now).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => return Err(JobError::Held("another delivery is importing it".into())),
        Err(other) => return Err(other.into()),
    }
    if !crate::generate::still_owned(&worker.projects, &worker.generations, &generation).await? {
        return Ok(None);
    }
    generation.status = GenerationStatus::Running;
    generation.updated_at = now;
    Ok(Some(generation))
}
