//! The second half of an export: the commit goes where the target says.

use std::path::Path;

use forgeflow_domain::credential::Forge;
use forgeflow_domain::export::{Export, ExportTarget};
use forgeflow_domain::generation::Generation;
use forgeflow_domain::project::Project;
use forgeflow_domain::text::slug;
use forgeflow_exporter::FileEntry;
use forgeflow_exporter::archive::{self, Format};
use forgeflow_forges::github::{GitHub, GitHubTarget};
use forgeflow_forges::gitlab::{GitLab, GitLabTarget};
use forgeflow_forges::{CommitRequest, ForgeError, Outcome, Previous, RemoteFile};
use forgeflow_store::exports::RemoteRecord;
use futures_util::FutureExt;

use super::history::blocking;
use super::{ExportWorker, tree};
use crate::batch::JobError;
use crate::generate::Manifest;

const GITLAB_COM: &str = "https://gitlab.com";

#[allow(clippy::too_many_arguments)]
pub async fn deliver(
    worker: &ExportWorker,
    export: &mut Export,
    project: &Project,
    generation: &Generation,
    manifest: &Manifest,
    files: &[FileEntry],
    workdir: &Path,
    git_dir: &Path,
) -> Result<(), JobError> {
    match export.target.clone() {
        ExportTarget::Zip => archive_to_s3(worker, export, project, files, workdir, git_dir, Format::Zip).await,
        ExportTarget::TarGz => archive_to_s3(worker, export, project, files, workdir, git_dir, Format::TarGz).await,
        target @ (ExportTarget::Github { .. } | ExportTarget::Gitlab { .. }) => {
            push(worker, export, project, generation, manifest, workdir, &target).await
        }
    }
}

async fn archive_to_s3(
    worker: &ExportWorker,
    export: &mut Export,
    project: &Project,
    files: &[FileEntry],
    workdir: &Path,
    git_dir: &Path,
    format: Format,
) -> Result<(), JobError> {
    // The archive's root directory: the project's name as a slug.
    let root = match slug(&project.name, usize::MAX) {
        root if root.is_empty() => "project".to_owned(),
        root => root,
    };
    let path = workdir.join(format!("{root}.{}", format.extension()));
    let (out, files, tree_dir, git, name) = (
        path.clone(),
        files.to_vec(),
        workdir.join("tree"),
        git_dir.to_owned(),
        root.clone(),
    );
    blocking(move || {
        let mut file = std::fs::File::create(&out).map_err(|err| forgeflow_exporter::ExportError::Io {
            action: "create",
            path: out.clone(),
            source: err,
        })?;
        archive::write(format, &mut file, &name, &files, &mut tree::reader(&tree_dir), &git)
    })
    .await?;
    let key = format!("exports/{}/{root}.{}", export.id, format.extension());
    worker.blobs.put_file(&key, &path, format.content_type()).await?;
    export.result.archive_key = Some(key);
    Ok(())
}

fn remote_files(manifest: &Manifest) -> Vec<RemoteFile> {
    manifest
        .files
        .iter()
        .map(|entry| RemoteFile {
            path: entry.path.clone(),
            mode: entry.mode.as_str().to_owned(),
            git_blob_id: entry.git_blob_id.clone(),
            size: entry.size,
        })
        .collect()
}

fn failure(err: ForgeError) -> JobError {
    if err.is_retryable() {
        JobError::Retryable(err.to_string())
    } else {
        JobError::Final(err.to_string())
    }
}

async fn push(
    worker: &ExportWorker,
    export: &mut Export,
    project: &Project,
    generation: &Generation,
    manifest: &Manifest,
    workdir: &Path,
    target: &ExportTarget,
) -> Result<(), JobError> {
    let forge = if matches!(target, ExportTarget::Github { .. }) {
        Forge::Github
    } else {
        Forge::Gitlab
    };
    let token = worker.credentials.reveal(export.owner, forge).await?.ok_or_else(|| {
        JobError::Final(format!(
            "no {} token is set: PUT /credentials/{} first",
            forge.as_str(),
            forge.as_str()
        ))
    })?;
    let remote_key = target.remote_key().unwrap_or_default();
    let previous = match worker.exports.remote(project.id, &remote_key).await? {
        Some(record) => {
            let old: Manifest = worker.blobs.get_json(&record.manifest_key).await?;
            Some(Previous {
                commit_sha: record.commit_sha,
                files: remote_files(&old),
                exact: !record.merged,
            })
        }
        None => None,
    };
    let files = remote_files(manifest);
    let tree_dir = workdir.join("tree");
    // The same words as the project's own history: the remote commit is that commit, remotely.
    let message = super::history::commit_message(project, generation, export);
    let owner = worker
        .users
        .get(export.owner)
        .await?
        .ok_or_else(|| JobError::Final("the owner no longer exists".into()))?;
    let already_created = export.remote_commit.clone();
    // The callbacks own what they use, so the futures they return borrow nothing of this one.
    let read = {
        let tree_dir = tree_dir.clone();
        move |file: &RemoteFile| {
            let path = tree_dir.join(&file.path);
            async move {
                tokio::fs::read(&path)
                    .await
                    .map_err(|err| ForgeError::Read(err.to_string()))
            }
            .boxed()
        }
    };
    let on_commit = {
        let (exports, id) = (worker.exports.clone(), export.id);
        move |sha: &str| {
            let (exports, sha) = (exports.clone(), sha.to_owned());
            async move {
                exports
                    .set_remote_commit(id, &sha)
                    .await
                    .map_err(|err| ForgeError::Transport(err.to_string()))
            }
            .boxed()
        }
    };
    let request = CommitRequest {
        files: &files,
        read: &read,
        previous: previous.as_ref(),
        message: &message,
        change: generation.change_request.as_deref(),
        author_name: owner.email.as_str().split('@').next().unwrap_or("forgeflow"),
        author_email: owner.email.as_str(),
        already_created: already_created.as_deref(),
        on_commit: &on_commit,
    };
    let outcome: Outcome = match target {
        ExportTarget::Github {
            repository,
            private,
            branch,
            pull_request,
        } => {
            let (owner, repo) = repository.split_once('/').unwrap_or((repository.as_str(), ""));
            let github = GitHub::new(token.expose(), worker.forges.github_api_url.as_deref()).map_err(failure)?;
            let target = GitHubTarget {
                owner: owner.to_owned(),
                repo: repo.to_owned(),
                private: *private,
                branch: branch.clone(),
                pull_request: *pull_request,
            };
            github.export(&target, request).await.map_err(failure)?
        }
        ExportTarget::Gitlab {
            project: path,
            base_url,
            private,
            branch,
            merge_request,
        } => {
            let base = base_url.as_deref().unwrap_or(GITLAB_COM);
            let gitlab = GitLab::new(token.expose(), base, worker.forges.gitlab_allow_private_network)
                .await
                .map_err(failure)?;
            let target = GitLabTarget {
                project_path: path.clone(),
                private: *private,
                branch: branch.clone(),
                merge_request: *merge_request,
            };
            gitlab.export(&target, request).await.map_err(failure)?
        }
        ExportTarget::Zip | ExportTarget::TarGz => unreachable_target()?,
    };
    worker
        .exports
        .set_remote(
            project.id,
            &remote_key,
            &RemoteRecord {
                commit_sha: outcome.commit_sha.clone(),
                manifest_key: generation.manifest_key(),
                merged: outcome.merged,
            },
        )
        .await?;
    export.remote_commit = Some(outcome.commit_sha.clone());
    export.result.repository_url = Some(outcome.repository_url);
    export.result.commit_sha = Some(outcome.commit_sha);
    export.result.branch = Some(outcome.branch);
    export.result.pull_request_url = outcome.pull_request_url;
    export.result.merged = outcome.merged;
    export.result.conflicts = outcome.conflicts;
    tracing::info!(export_id = %export.id, api_calls = outcome.api_calls, "pushed");
    Ok(())
}

fn unreachable_target() -> Result<Outcome, JobError> {
    Err(JobError::Final("an archive target has no forge".into()))
}
