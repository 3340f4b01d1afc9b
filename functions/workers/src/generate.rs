//! generate-worker: renders a finished execution into a project — template plus the agents'
//! files — and writes every file to S3 under the generation's prefix, then its manifest.
//!
//! Idempotent by generation id: a redelivered job finds the row `ready` and does nothing, and a
//! job that died mid-upload renders the same bytes to the same keys again.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use chrono::{DateTime, Utc};
use forgeflow_domain::Id;
use forgeflow_domain::agent::{AgentRole, FilesOutput, ReviewOutput};
use forgeflow_domain::change::ChangeRequest;
use forgeflow_domain::execution::Execution;
use forgeflow_domain::export::ExportTarget;
use forgeflow_domain::generation::{Generation, GenerationJob, GenerationStatus, RefusedFile, files_prefix};
use forgeflow_domain::manifest::GeneratedFile;
use forgeflow_domain::patch::describe;
use forgeflow_domain::progress::{ProgressEvent, Topic};
use forgeflow_generator::{GeneratedTree, GenerationInput, Limits};
use forgeflow_progress::{Coalesced, Publisher};
use forgeflow_store::engine::{output_key, steps_of_role};
use forgeflow_store::{
    Blobs, Clients, Engine, ExportStore, GenerationStore, JobQueue, ProjectStore, Resources, ScheduleStore, StoreError,
};
use futures_util::{StreamExt, TryStreamExt, stream};

use crate::batch::{self, JobError, ReceiveLimit};
use crate::change::{Base, patch_of};

/// How many PutObject calls run at once: enough to hide S3 latency, few enough for a small Lambda.
pub const UPLOAD_CONCURRENCY: usize = 32;
/// The row keeps the first of these lists; the manifest keeps them all.
const LISTED_ON_ROW: usize = 100;

pub struct GenerateWorker {
    pub engine: Engine,
    pub generations: GenerationStore,
    pub queue: JobQueue,
    pub limits: Limits,
    /// For auto-export: the project's setting, its schedule's target, the export rows.
    pub projects: ProjectStore,
    pub schedules: ScheduleStore,
    pub exports: ExportStore,
    pub progress: Publisher,
    receive_limit: ReceiveLimit,
}

/// `generations/{id}/manifest.json`, defined next to its entries in the generator.
pub use forgeflow_generator::Manifest;

/// Files written so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileProgress {
    pub written: usize,
    pub total: usize,
}

impl GenerateWorker {
    /// The worker as its Lambda builds it.
    pub fn from_clients(clients: &Clients, resources: &Resources, progress: Publisher) -> Self {
        let table = &resources.table;
        let queue = JobQueue::new(clients.sqs.clone(), &resources.generations_queue);
        Self {
            engine: forgeflow_store::engine::engine(clients, resources),
            generations: GenerationStore::new(clients.dynamo.clone(), table),
            receive_limit: ReceiveLimit::new(queue.clone()),
            queue,
            limits: Limits::default(),
            projects: ProjectStore::new(clients.dynamo.clone(), table),
            schedules: ScheduleStore::new(clients.dynamo.clone(), table),
            exports: ExportStore::new(clients.dynamo.clone(), table),
            progress,
        }
    }
}

/// Handles one batch. `deadline` is when this invocation is killed: the lease on a generation.
pub async fn handler(worker: &GenerateWorker, event: SqsEvent, deadline: DateTime<Utc>) -> SqsBatchResponse {
    batch::for_each_record(event, |record| process_record(worker, record, deadline)).await
}

async fn process_record(worker: &GenerateWorker, record: SqsMessage, deadline: DateTime<Utc>) -> Result<(), JobError> {
    let job: GenerationJob = batch::parse(&record, "a generation job")?;
    let result = generate(worker, &job, deadline).await;
    batch::settle(&record, &worker.receive_limit, result, |reason| async move {
        if let Err(err) = fail(worker, &job, &reason).await {
            tracing::warn!(error = %err, "could not mark the generation failed");
        }
    })
    .await
}

/// Marks the generation failed and tells its listeners why.
async fn fail(worker: &GenerateWorker, job: &GenerationJob, reason: &str) -> Result<(), StoreError> {
    worker.generations.fail(job.generation_id, reason, Utc::now()).await?;
    let event = ProgressEvent::GenerationFailed {
        generation_id: job.generation_id.as_uuid(),
        project_id: job.project_id.as_uuid(),
        error: reason.to_owned(),
    };
    worker
        .progress
        .publish(Topic::generation(job.generation_id), event)
        .await;
    Ok(())
}

/// Runs one generation job to `ready` (or `failed` with the reason, for bad input). Copies of
/// the job delivered at once (same batch, other containers) do not run it twice: one holds the
/// lease, the others are `Held` and come back later to find it finished.
pub async fn generate(worker: &GenerateWorker, job: &GenerationJob, deadline: DateTime<Utc>) -> Result<(), JobError> {
    let lease = Id::<Generation>::new().to_string();
    let Some(mut generation) = take(worker, job, &lease, deadline).await? else {
        return Ok(());
    };
    let engine = &worker.engine;
    let Some((execution, _)) = engine.executions.load(job.execution_id).await? else {
        return Ok(fail(worker, job, "the execution no longer exists").await?);
    };
    let plan = engine.plan_of(&execution).await?;
    let review = match steps_of_role(&execution, AgentRole::Reviewer).first() {
        Some(step) => Some(
            engine
                .blobs
                .get_json::<ReviewOutput>(&output_key(&execution, step))
                .await?,
        ),
        None => None,
    };
    let mut input = GenerationInput {
        project_name: execution.project_name.clone(),
        brief: execution.brief.clone(),
        template: job.template,
        stories: plan.as_ref().map(|plan| plan.stories.clone()).unwrap_or_default(),
        sprints: plan.map(|plan| plan.sprints).unwrap_or_default(),
        agent_files: Vec::new(),
        review,
    };
    let topic = Topic::generation(generation.id);
    let files = Coalesced::with_default_interval(worker.progress.clone(), topic);
    let report = |progress: FileProgress| {
        files.report(ProgressEvent::FilesWritten {
            generation_id: generation.id.as_uuid(),
            written: progress.written as u64,
            total: progress.total as u64,
        });
    };
    let built = match &execution.change {
        Some(change) => changed(worker, &generation, &execution, change, &input, &report).await?,
        None => {
            for step in steps_of_role(&execution, AgentRole::Engineer) {
                let output: FilesOutput = engine.blobs.get_json(&output_key(&execution, step)).await?;
                input.agent_files.extend(output.files);
            }
            rendered(worker, &generation, &input, &report).await?
        }
    };
    files.finish().await;
    let manifest = match built {
        Ok(manifest) => manifest,
        Err(reason) => return Ok(fail(worker, job, &reason).await?),
    };
    engine.blobs.put_json(&generation.manifest_key(), &manifest).await?;

    let now = Utc::now();
    generation.status = GenerationStatus::Ready;
    generation.file_count = manifest.files.len() as u64;
    generation.total_bytes = manifest.files.iter().map(|f| f.size).sum();
    generation.conflicts = manifest.conflicts.iter().take(LISTED_ON_ROW).cloned().collect();
    generation.refused = manifest.refused.iter().take(LISTED_ON_ROW).cloned().collect();
    generation.updated_at = now;
    generation.finished_at = Some(now);
    match worker.generations.complete(&generation, &lease).await {
        Ok(()) => {}
        // Our lease ran out and another delivery took over: it finishes, and announces, once.
        Err(StoreError::Conflict(_)) => return Ok(()),
        Err(other) => return Err(other.into()),
    }
    tracing::info!(generation_id = %generation.id, files = generation.file_count, bytes = generation.total_bytes, "generation ready");
    let ready = ProgressEvent::GenerationReady {
        generation_id: generation.id.as_uuid(),
        project_id: generation.project_id.as_uuid(),
        files: generation.file_count,
        bytes: generation.total_bytes,
    };
    worker.progress.publish(topic, ready).await;
    Ok(auto_export(worker, &generation).await?)
}

/// A first generation: the template rendered with the agents' files over it, all uploaded.
/// `Ok(Err(reason))` when the input cannot make a project.
async fn rendered(
    worker: &GenerateWorker,
    generation: &Generation,
    input: &GenerationInput,
    report: &(dyn Fn(FileProgress) + Send + Sync),
) -> Result<Result<Manifest, String>, JobError> {
    let tree = match forgeflow_generator::generate(input, &worker.limits) {
        Ok(tree) => tree,
        Err(err) => return Ok(Err(err.to_string())),
    };
    upload(&worker.engine.blobs, generation, &tree.files, report).await?;
    Ok(Ok(Manifest {
        generation_id: generation.id.to_string(),
        files: tree.files.iter().map(|file| file.manifest_entry()).collect(),
        conflicts: tree.conflicts.clone(),
        refused: tree
            .refused
            .iter()
            .map(|r| RefusedFile {
                path: r.path.clone(),
                reason: r.reason.clone(),
            })
            .collect(),
    }))
}

/// A change's generation: the base's tree with the engineer's patch applied and the docs
/// rendered again; unchanged files are copied inside the bucket, the rest uploaded.
async fn changed(
    worker: &GenerateWorker,
    generation: &Generation,
    execution: &Execution,
    change: &ChangeRequest,
    input: &GenerationInput,
    report: &(dyn Fn(FileProgress) + Send + Sync),
) -> Result<Result<Manifest, String>, JobError> {
    let engine = &worker.engine;
    let base = Base::load(engine, change).await?;
    let patch = patch_of(engine, execution).await?;
    let applied = match base.apply(engine, &patch).await? {
        Ok(applied) => applied,
        Err(conflicts) => return Ok(Err(format!("the patch does not apply: {}", describe(&conflicts)))),
    };
    let revision = match forgeflow_generator::revise(&base.manifest.files, &applied, input, &worker.limits) {
        Ok(revision) => revision,
        Err(err) => return Ok(Err(err.to_string())),
    };
    let (from, to) = (files_prefix(change.base_generation), generation.files_prefix());
    let total = revision.kept.len() + revision.written.len();
    let kept = &revision.kept;
    let mut copies = stream::iter(0..kept.len())
        .map(|index| {
            let path = &kept[index].path;
            let (source, target) = (format!("{from}{path}"), format!("{to}{path}"));
            async move { engine.blobs.copy(&source, &target).await }
        })
        .buffer_unordered(UPLOAD_CONCURRENCY);
    let mut copied = 0;
    while copies.try_next().await?.is_some() {
        copied += 1;
        report(FileProgress { written: copied, total });
    }
    let files = revision.manifest();
    let written = GeneratedTree {
        files: revision.written,
        conflicts: Vec::new(),
        refused: Vec::new(),
    };
    let offset = |progress: FileProgress| {
        report(FileProgress {
            written: copied + progress.written,
            total,
        })
    };
    upload(&worker.engine.blobs, generation, &written.files, &offset).await?;
    Ok(Ok(Manifest {
        generation_id: generation.id.to_string(),
        files,
        conflicts: Vec::new(),
        refused: Vec::new(),
    }))
}

/// A project with `auto_export` is exported as soon as a generation is ready: to its schedule's
/// target if it has one, else as a tar.gz archive. Keyed by the generation, so once.
async fn auto_export(worker: &GenerateWorker, generation: &Generation) -> Result<(), StoreError> {
    let Some(project) = worker.projects.get(generation.owner, generation.project_id).await? else {
        return Ok(());
    };
    if !project.settings.auto_export {
        return Ok(());
    }
    let target = match worker.schedules.get(generation.owner, generation.project_id).await? {
        Some(schedule) => schedule.target,
        None => ExportTarget::TarGz,
    };
    let key = format!("auto:{}", generation.id);
    let queue = &worker.engine.exports_queue;
    worker
        .exports
        .enqueue_once(queue, &key, generation, &target, Utc::now())
        .await?;
    tracing::info!(generation_id = %generation.id, target = target.kind(), "auto-export queued");
    Ok(())
}

/// The generation row, created if need be and claimed under `lease`; `None` if it already
/// finished, `Held` while another delivery's lease on it is live.
async fn take(
    worker: &GenerateWorker,
    job: &GenerationJob,
    lease: &str,
    deadline: DateTime<Utc>,
) -> Result<Option<Generation>, JobError> {
    let now = Utc::now();
    // A project deleted meanwhile gets no generation: `still_owned`, once it is claimed, removes
    // the row this made.
    let mut generation = match worker.generations.get(job.generation_id).await? {
        Some(existing) => existing,
        None => {
            let fresh = Generation::new(job, now);
            match worker.generations.create(&fresh).await {
                Ok(()) => fresh,
                Err(StoreError::Conflict(_)) => worker
                    .generations
                    .get(job.generation_id)
                    .await?
                    .ok_or(StoreError::NotFound)?,
                Err(other) => return Err(other.into()),
            }
        }
    };
    if matches!(generation.status, GenerationStatus::Ready | GenerationStatus::Failed) {
        return Ok(None);
    }
    match worker.generations.claim(generation.id, lease, deadline, now).await {
        Ok(()) => {
            if !still_owned(&worker.projects, &worker.generations, &generation).await? {
                return Ok(None);
            }
        }
        Err(StoreError::Conflict(_)) => {
            let finished = worker
                .generations
                .get(generation.id)
                .await?
                .is_none_or(|g| matches!(g.status, GenerationStatus::Ready | GenerationStatus::Failed));
            if finished {
                return Ok(None);
            }
            return Err(JobError::Held("another delivery is generating it".into()));
        }
        Err(other) => return Err(other.into()),
    }
    generation.status = GenerationStatus::Running;
    generation.updated_at = now;
    Ok(Some(generation))
}

/// Writes `files` under the generation's prefix, reporting each one written.
pub async fn upload(
    blobs: &Blobs,
    generation: &Generation,
    files: &[GeneratedFile],
    progress: &(dyn Fn(FileProgress) + Send + Sync),
) -> Result<(), StoreError> {
    let total = files.len();
    let prefix = generation.files_prefix();
    let mut written = 0;
    // Indices, not `&GeneratedFile`s: a closure over borrowed items would make the future's
    // lifetime higher-ranked, which the Send bound on the Lambda handler cannot express.
    let mut uploads = stream::iter(0..total)
        .map(|index| {
            let file = &files[index];
            let key = format!("{prefix}{}", file.path);
            let content_type = if std::str::from_utf8(&file.content).is_ok() {
                "text/plain; charset=utf-8"
            } else {
                "application/octet-stream"
            };
            async move { blobs.put_bytes(&key, file.content.clone(), content_type).await }
        })
        .buffer_unordered(UPLOAD_CONCURRENCY);
    while uploads.try_next().await?.is_some() {
        written += 1;
        // Every file: the callback only swaps in the latest count; its publisher coalesces.
        progress(FileProgress { written, total });
    }
    Ok(())
}

/// Asked once `generation` is claimed: whether its project still lives. The project-deleter waits
/// for a claimed generation, so either it sees this claim or this sees its mark. If the project is
/// being deleted, the generation (its row, made or claimed here, nothing written yet) goes now.
pub(crate) async fn still_owned(
    projects: &ProjectStore,
    generations: &GenerationStore,
    generation: &Generation,
) -> Result<bool, StoreError> {
    if projects.get(generation.owner, generation.project_id).await?.is_some() {
        return Ok(true);
    }
    tracing::info!(generation_id = %generation.id, "the project is being deleted; the generation goes");
    generations.delete(generation.id).await?;
    Ok(false)
}
