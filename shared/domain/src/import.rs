//! Imports: a project that starts from an existing repository instead of a brief. The source is
//! an uploaded zip or tar.gz (through a presigned S3 upload) or a GitHub/GitLab branch read with
//! the owner's stored token. The import becomes the project's first generation, so change
//! requests, diffs and exports work on it as on a generated one.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Id;
use crate::ValidationError;
use crate::export::{ExportTarget, check_base_url, check_branch, check_gitlab_project, check_repository};
use crate::generation::Generation;

/// An upload may be this big (compressed); what it unpacks to meets the generations' limits.
pub const MAX_UPLOAD_BYTES: u64 = 100 * 1024 * 1024;

/// How long a presigned upload URL stays valid.
pub const UPLOAD_URL_SECONDS: u64 = 15 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum ArchiveFormat {
    #[serde(rename = "zip")]
    Zip,
    #[serde(rename = "tar.gz")]
    TarGz,
}

impl ArchiveFormat {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Zip => "zip",
            Self::TarGz => "tar.gz",
        }
    }
}

/// Where an import comes from. The body's `source` field, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ImportSource {
    /// An archive the client uploads to the returned presigned URL. A `.git` folder in it (at
    /// the top, or under the archive's single top folder) brings the history along.
    Upload {
        format: ArchiveFormat,
        /// The archive's exact size in bytes (the upload URL is signed for it).
        size: u64,
    },
    Github {
        /// `owner/name`
        repository: String,
        /// The repository's default branch when absent.
        #[serde(default)]
        branch: Option<String>,
    },
    Gitlab {
        /// `group/sub/name`
        project: String,
        /// A self-hosted instance (https only); gitlab.com when absent.
        #[serde(default)]
        base_url: Option<String>,
        #[serde(default)]
        branch: Option<String>,
    },
}

impl ImportSource {
    pub fn validate(&self) -> Result<(), ValidationError> {
        match self {
            Self::Upload { size, .. } if *size == 0 => Err(ValidationError::new("source.size", "must be above 0")),
            Self::Upload { size, .. } if *size > MAX_UPLOAD_BYTES => Err(ValidationError::new(
                "source.size",
                format!("must be at most {MAX_UPLOAD_BYTES} bytes"),
            )),
            Self::Upload { .. } => Ok(()),
            Self::Github { repository, branch } => {
                check_repository("source.repository", repository)?;
                check_branch("source.branch", branch)
            }
            Self::Gitlab {
                project,
                base_url,
                branch,
            } => {
                check_gitlab_project("source.project", project)?;
                check_base_url("source.base_url", base_url)?;
                check_branch("source.branch", branch)
            }
        }
    }

    /// `"upload"`, `"github"` or `"gitlab"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Upload { .. } => "upload",
            Self::Github { .. } => "github",
            Self::Gitlab { .. } => "gitlab",
        }
    }

    /// The credential the import reads with (`None` for an upload).
    pub fn forge(&self) -> Option<&'static str> {
        match self {
            Self::Upload { .. } => None,
            Self::Github { .. } => Some("github"),
            Self::Gitlab { .. } => Some("gitlab"),
        }
    }

    /// Where an export continues the imported history: the same repository and branch. `None`
    /// for an upload (its history continues in the project's own, locally kept one).
    pub fn export_target(&self, branch: &str) -> Option<ExportTarget> {
        match self {
            Self::Upload { .. } => None,
            Self::Github { repository, .. } => Some(ExportTarget::Github {
                repository: repository.clone(),
                private: true,
                branch: Some(branch.to_owned()),
                pull_request: false,
            }),
            Self::Gitlab { project, base_url, .. } => Some(ExportTarget::Gitlab {
                project: project.clone(),
                base_url: base_url.clone(),
                private: true,
                branch: Some(branch.to_owned()),
                merge_request: false,
            }),
        }
    }

    /// A one-line description for commit messages and logs: `github acme/app@main`.
    pub fn describe(&self, branch: Option<&str>) -> String {
        let at = |name: &str| match branch {
            Some(branch) => format!("{name}@{branch}"),
            None => name.to_owned(),
        };
        match self {
            Self::Upload { format, .. } => format!("an uploaded {} archive", format.extension()),
            Self::Github { repository, .. } => format!("GitHub {}", at(repository)),
            Self::Gitlab { project, base_url, .. } => match base_url {
                Some(url) => format!("GitLab {} on {url}", at(project)),
                None => format!("GitLab {}", at(project)),
            },
        }
    }
}

/// What a generation was imported from, once read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Imported {
    pub source: ImportSource,
    /// The branch read (forges), once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// The commit imported: the forge branch's head, or the uploaded repository's `HEAD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Commits of history kept (the upload's `.git`; a forge's history stays on the forge and
    /// exports there continue it).
    #[serde(default)]
    pub history_commits: u64,
}

/// The job that asks the import-worker to read one import into its generation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportJob {
    pub generation_id: Id<Generation>,
}

/// Where an upload is put, and read from, in the bucket.
pub fn upload_key(id: Id<Generation>, format: ArchiveFormat) -> String {
    format!("imports/{id}/archive.{}", format.extension())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(json: serde_json::Value) -> Result<ImportSource, String> {
        let source: ImportSource = serde_json::from_value(json).map_err(|e| e.to_string())?;
        source.validate().map_err(|e| e.field)?;
        Ok(source)
    }

    #[test]
    fn sources_are_checked_naming_the_field() {
        use serde_json::json;
        assert!(source(json!({"type": "upload", "format": "zip", "size": 10})).is_ok());
        assert!(source(json!({"type": "github", "repository": "acme/app", "branch": "dev"})).is_ok());
        assert!(source(json!({"type": "gitlab", "project": "acme/sub/app"})).is_ok());
        assert_eq!(
            source(json!({"type": "upload", "format": "zip", "size": 0})).unwrap_err(),
            "source.size"
        );
        assert_eq!(
            source(json!({"type": "upload", "format": "tar.gz", "size": MAX_UPLOAD_BYTES + 1})).unwrap_err(),
            "source.size"
        );
        assert!(source(json!({"type": "upload", "format": "rar", "size": 1})).is_err());
        assert_eq!(
            source(json!({"type": "github", "repository": "acme"})).unwrap_err(),
            "source.repository"
        );
        assert_eq!(
            source(json!({"type": "github", "repository": "acme/app", "branch": "a..b"})).unwrap_err(),
            "source.branch"
        );
        assert_eq!(
            source(json!({"type": "gitlab", "project": "app"})).unwrap_err(),
            "source.project"
        );
        assert_eq!(
            source(json!({"type": "gitlab", "project": "a/b", "base_url": "http://x"})).unwrap_err(),
            "source.base_url"
        );
        assert!(source(json!({"type": "github", "repository": "a/b", "token": "x"})).is_err());
    }

    #[test]
    fn a_forge_import_continues_its_history_on_the_same_branch() {
        let github = ImportSource::Github {
            repository: "acme/app".into(),
            branch: None,
        };
        let target = github.export_target("trunk").unwrap();
        assert_eq!(target.remote_key().as_deref(), Some("github:acme/app@trunk"));
        assert_eq!(github.describe(Some("trunk")), "GitHub acme/app@trunk");
        let upload = ImportSource::Upload {
            format: ArchiveFormat::Zip,
            size: 1,
        };
        assert!(upload.export_target("main").is_none());
        assert_eq!(
            upload_key(Id::from_uuid(uuid::Uuid::nil()), ArchiveFormat::TarGz)
                .rsplit('.')
                .next(),
            Some("gz")
        );
    }
}
