//! The import's bytes: the uploaded archive from S3, or a forge branch's tarball read with the
//! owner's stored token.

use forgeflow_domain::credential::{Forge, Token};
use forgeflow_domain::generation::Generation;
use forgeflow_domain::import::{ArchiveFormat, ImportSource, MAX_UPLOAD_BYTES, upload_key};
use forgeflow_exporter::import::ArchiveKind;
use forgeflow_forges::ForgeError;
use forgeflow_forges::github::GitHub;
use forgeflow_forges::gitlab::GitLab;
use forgeflow_store::StoreError;

use super::ImportWorker;
use crate::batch::JobError;

const GITLAB_COM: &str = "https://gitlab.com";

/// What was read, before unpacking.
pub struct Read {
    pub bytes: Vec<u8>,
    pub kind: ArchiveKind,
    /// A forge's branch and the commit its tarball holds.
    pub branch: Option<String>,
    pub commit: Option<String>,
}

pub async fn read(worker: &ImportWorker, generation: &Generation, source: &ImportSource) -> Result<Read, JobError> {
    match source {
        ImportSource::Upload { format, .. } => {
            let key = upload_key(generation.id, *format);
            let bytes = match worker.blobs.get_bytes(&key).await {
                Ok(bytes) => bytes,
                Err(StoreError::NotFound) => return Err(JobError::Final("the uploaded archive is gone".into())),
                Err(other) => return Err(other.into()),
            };
            if bytes.len() as u64 > MAX_UPLOAD_BYTES {
                return Err(JobError::Final(format!(
                    "the archive is {} bytes; an upload may have at most {MAX_UPLOAD_BYTES}",
                    bytes.len()
                )));
            }
            let kind = match format {
                ArchiveFormat::Zip => ArchiveKind::Zip,
                ArchiveFormat::TarGz => ArchiveKind::TarGz,
            };
            Ok(Read {
                bytes,
                kind,
                branch: None,
                commit: None,
            })
        }
        ImportSource::Github { repository, branch } => {
            let token = token(worker, generation, Forge::Github).await?;
            let github = GitHub::new(token.expose(), worker.forges.github_api_url.as_deref()).map_err(failure)?;
            let (owner, repo) = repository.split_once('/').unwrap_or((repository.as_str(), ""));
            let tarball = github
                .tarball(owner, repo, branch.as_deref(), MAX_UPLOAD_BYTES)
                .await
                .map_err(failure)?;
            Ok(Read {
                bytes: tarball.bytes,
                kind: ArchiveKind::TarGz,
                branch: Some(tarball.branch),
                commit: Some(tarball.commit_sha),
            })
        }
        ImportSource::Gitlab {
            project,
            base_url,
            branch,
        } => {
            let token = token(worker, generation, Forge::Gitlab).await?;
            let base = base_url.as_deref().unwrap_or(GITLAB_COM);
            let gitlab = GitLab::new(token.expose(), base, worker.forges.gitlab_allow_private_network)
                .await
                .map_err(failure)?;
            let tarball = gitlab
                .tarball(project, branch.as_deref(), MAX_UPLOAD_BYTES)
                .await
                .map_err(failure)?;
            Ok(Read {
                bytes: tarball.bytes,
                kind: ArchiveKind::TarGz,
                branch: Some(tarball.branch),
                commit: Some(tarball.commit_sha),
            })
        }
    }
}

async fn token(worker: &ImportWorker, generation: &Generation, forge: Forge) -> Result<Token, JobError> {
    worker
        .credentials
        .reveal(generation.owner, forge)
        .await?
        .ok_or_else(|| {
            JobError::Final(format!(
                "no {} token is set: PUT /credentials/{} first",
                forge.as_str(),
                forge.as_str()
            ))
        })
}

fn failure(err: ForgeError) -> JobError {
    if err.is_retryable() {
        JobError::Retryable(err.to_string())
    } else {
        JobError::Final(err.to_string())
    }
}
