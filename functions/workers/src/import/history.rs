//! An uploaded repository's history becomes the project's: its objects and `HEAD` adopted into
//! a fresh git directory (plus one commit when the archive's files differ from `HEAD`), packed
//! to S3 and set as the project's head, so the first export of the import is that history and
//! the next generation is a commit on top of it.

use std::path::{Path, PathBuf};

use chrono::Utc;
use forgeflow_domain::generation::Generation;
use forgeflow_domain::project::Project;
use forgeflow_exporter::import::ImportedFile;
use forgeflow_exporter::{Author, ExportError, LocalRepo, pack_git_dir};
use forgeflow_store::StoreError;
use forgeflow_store::exports::RepoHead;

use super::ImportWorker;
use crate::batch::JobError;
use crate::export::history::BRANCH;

/// The adopted history, packed on disk.
pub struct Adopted {
    pub head: String,
    pub commits: u64,
    pub packed: PathBuf,
}

/// Adopts `theirs` (an unpacked `.git`) into `workdir/git`; `None` for a repository without a
/// commit. Blocking: run it off the executor.
pub fn adopt(
    theirs: &Path,
    workdir: &Path,
    files: &[ImportedFile],
    author: &Author,
) -> Result<Option<Adopted>, ExportError> {
    let git_dir = workdir.join("git");
    let Some((mut repo, adopted)) = LocalRepo::adopt(theirs, &git_dir, BRANCH)? else {
        return Ok(None);
    };
    let (mut head, mut commits) = (adopted.head, adopted.commits);
    let committed = repo.head_files()?;
    let same = committed.len() == files.len()
        && files.iter().all(|file| {
            committed.get(&file.path).is_some_and(|(blob, mode)| {
                *blob == forgeflow_domain::manifest::git_blob_id(&file.content) && mode == file.mode
            })
        });
    if !same {
        // The archive's files are what the user sent: uncommitted edits become one commit.
        let entries: Vec<_> = files.iter().map(ImportedFile::entry).collect();
        let mut read = |entry: &forgeflow_exporter::FileEntry| {
            Ok(files
                .iter()
                .find(|file| file.path == entry.path)
                .map(|file| file.content.clone())
                .unwrap_or_default())
        };
        let message = "Import the archive's uncommitted changes\n\nThe files as uploaded differ from the HEAD commit of its .git; Forgeflow committed them on top.";
        head = repo.commit(&entries, &mut read, author, message, Utc::now())?.commit;
        commits += 1;
    }
    repo.write_index()?;
    let packed = workdir.join("history.tar.gz");
    let mut out = std::fs::File::create(&packed).map_err(|err| ExportError::Io {
        action: "create",
        path: packed.clone(),
        source: err,
    })?;
    pack_git_dir(&git_dir, &mut out)?;
    Ok(Some(Adopted { head, commits, packed }))
}

/// Stores the packed history and makes it the project's head. An export that already gave the
/// project a history wins: the import then starts none (it is still a generation to export).
pub async fn store(
    worker: &ImportWorker,
    project: &Project,
    generation: &Generation,
    adopted: &Adopted,
) -> Result<bool, JobError> {
    let state_key = format!("projects/{}/git/{}.tar.gz", project.id, adopted.head);
    worker
        .blobs
        .put_file(&state_key, &adopted.packed, "application/gzip")
        .await?;
    let head = RepoHead {
        commit: adopted.head.clone(),
        state_key,
        version: 1,
        generation: Some(generation.id),
    };
    match worker.exports.advance_head(project.id, None, &head).await {
        Ok(()) => Ok(true),
        Err(StoreError::Conflict(_)) => {
            // An earlier delivery of this job set it; or an export gave the project a history first.
            let current = worker.exports.head(project.id).await?;
            let ours = current.is_some_and(|current| current.generation == Some(generation.id));
            if !ours {
                tracing::warn!(project_id = %project.id, "the project already has a history; the import's is not adopted");
            }
            Ok(ours)
        }
        Err(other) => Err(other.into()),
    }
}
