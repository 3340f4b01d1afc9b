//! The project's git history: restored from S3, advanced by one commit, stored back, and the
//! head moved with a conditional write.

use std::path::Path;

use chrono::Utc;
use forgeflow_domain::export::Export;
use forgeflow_domain::generation::Generation;
use forgeflow_domain::project::Project;
use forgeflow_exporter::{Author, FileEntry, LocalRepo, pack_git_dir, unpack_git_dir};
use forgeflow_store::StoreError;
use forgeflow_store::exports::RepoHead;

use super::{ExportWorker, tree};
use crate::batch::JobError;

pub const BRANCH: &str = "main";

/// How often a commit that lost the race for the project's head is made again on the winner
/// before the job goes back to the queue.
const RACES: usize = 3;

/// Restores the history into `git_dir` and makes this export's commit on top of it (or finds
/// the one a previous delivery of this job, or an export of the same generation, already made).
/// Returns the commit id. Losing the head to a concurrent export, it builds on the winner.
pub async fn commit(
    worker: &ExportWorker,
    export: &mut Export,
    project: &Project,
    generation: &Generation,
    files: &[FileEntry],
    workdir: &Path,
    git_dir: &Path,
) -> Result<String, JobError> {
    for _ in 0..RACES {
        if let Some(commit) = try_commit(worker, export, project, generation, files, workdir, git_dir).await? {
            return Ok(commit);
        }
        match std::fs::remove_dir_all(git_dir) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(JobError::Retryable(format!("clearing {}: {err}", git_dir.display()))),
        }
    }
    Err(JobError::Retryable(
        "other exports of this project kept moving its history; building on it next time".into(),
    ))
}

/// One attempt: `None` when another export moved the head first.
async fn try_commit(
    worker: &ExportWorker,
    export: &mut Export,
    project: &Project,
    generation: &Generation,
    files: &[FileEntry],
    workdir: &Path,
    git_dir: &Path,
) -> Result<Option<String>, JobError> {
    let head = worker.exports.head(project.id).await?;
    if let Some(head) = &head {
        let packed = worker.blobs.get_bytes(&head.state_key).await?;
        let target = git_dir.to_owned();
        blocking(move || unpack_git_dir(packed.as_slice(), &target)).await?;
    }
    if let (Some(recorded), Some(head)) = (&export.local_commit, &head)
        && recorded == &head.commit
    {
        return Ok(Some(recorded.clone()));
    }
    if let Some(head) = &head
        && head.generation == Some(generation.id)
    {
        export.local_commit = Some(head.commit.clone());
        return Ok(Some(head.commit.clone()));
    }

    let owner = worker
        .users
        .get(export.owner)
        .await?
        .ok_or_else(|| JobError::Final("the owner no longer exists".into()))?;
    let email = owner.email.as_str().to_owned();
    let author = Author {
        name: email.split('@').next().unwrap_or("forgeflow").to_owned(),
        email,
    };
    let message = commit_message(project, generation, export);
    let (files, tree_dir, git) = (files.to_vec(), workdir.join("tree"), git_dir.to_owned());
    let packed_path = workdir.join("history.tar.gz");
    let packed = packed_path.clone();
    let info = blocking(move || {
        let mut repo = LocalRepo::open_or_init(&git, BRANCH)?;
        let info = repo.commit(&files, &mut tree::reader(&tree_dir), &author, &message, Utc::now())?;
        repo.write_index()?;
        let mut out = std::fs::File::create(&packed).map_err(|err| forgeflow_exporter::ExportError::Io {
            action: "create",
            path: packed.clone(),
            source: err,
        })?;
        pack_git_dir(&git, &mut out)?;
        Ok(info)
    })
    .await?;

    let state_key = format!("projects/{}/git/{}.tar.gz", project.id, info.commit);
    worker
        .blobs
        .put_file(&state_key, &packed_path, "application/gzip")
        .await?;
    let next = RepoHead {
        commit: info.commit.clone(),
        state_key,
        version: head.as_ref().map_or(1, |head| head.version + 1),
        generation: Some(generation.id),
    };
    match worker.exports.advance_head(project.id, head.as_ref(), &next).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => return Ok(None),
        Err(other) => return Err(other.into()),
    }
    export.local_commit = Some(info.commit.clone());
    Ok(Some(info.commit))
}

/// Runs git and archive work off the async executor.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, forgeflow_exporter::ExportError> + Send + 'static,
) -> Result<T, JobError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| JobError::Retryable(format!("export task failed: {err}")))?
        .map_err(|err| {
            // Disk or git trouble may pass on another delivery; bad input never will.
            if err.is_retryable() {
                JobError::Retryable(err.to_string())
            } else {
                JobError::Final(err.to_string())
            }
        })
}

/// A change's commit says what was asked; a first generation's says where it came from. The
/// local history and the forges get the same message.
pub(super) fn commit_message(project: &Project, generation: &Generation, export: &Export) -> String {
    if let Some(imported) = &generation.imported {
        let commit = imported
            .commit
            .as_deref()
            .map(|sha| format!(" at {sha}"))
            .unwrap_or_default();
        return format!(
            "Import {} from {}\n\nImported by Forgeflow from {}{commit} (generation {}, export {}).",
            project.name,
            imported.source.describe(imported.branch.as_deref()),
            imported.source.describe(imported.branch.as_deref()),
            generation.id,
            export.id
        );
    }
    let origin = format!(
        "Generated by Forgeflow from execution {} with the {} template (generation {}, export {}).",
        generation.execution_id,
        generation.template.as_str(),
        generation.id,
        export.id
    );
    match &generation.change_request {
        Some(request) => {
            let subject: String = request.lines().next().unwrap_or_default().chars().take(72).collect();
            format!(
                "{subject}\n\nChange request on {}:\n{request}\n\n{origin}",
                project.name
            )
        }
        None => format!("{}: export of generation {}\n\n{origin}", project.name, generation.id),
    }
}
