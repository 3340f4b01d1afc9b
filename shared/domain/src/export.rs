//! Exports: a generation delivered as a git repository with history — an archive in S3, a
//! commit on GitHub, or a commit on GitLab.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::Id;
use crate::ValidationError;
use crate::generation::Generation;
use crate::project::Project;
use crate::user::User;

/// Where an export goes. The body's `target` field, tagged by `type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ExportTarget {
    Zip,
    #[serde(rename = "tar.gz")]
    TarGz,
    Github {
        /// `owner/name`
        repository: String,
        #[serde(default = "yes")]
        private: bool,
        #[serde(default)]
        branch: Option<String>,
        /// Commit on a new branch and open a pull request instead of moving the branch.
        #[serde(default)]
        pull_request: bool,
    },
    Gitlab {
        /// `group/sub/name`
        project: String,
        /// A self-hosted instance (https only); gitlab.com when absent.
        #[serde(default)]
        base_url: Option<String>,
        #[serde(default = "yes")]
        private: bool,
        #[serde(default)]
        branch: Option<String>,
        /// Commit on a new branch and open a merge request instead of moving the branch.
        #[serde(default)]
        merge_request: bool,
    },
}

fn yes() -> bool {
    true
}

pub(crate) fn is_name(segment: &str) -> bool {
    !segment.is_empty()
        && segment.len() <= 100
        && !segment.starts_with('.')
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

pub(crate) fn check_branch(field: &'static str, branch: &Option<String>) -> Result<(), ValidationError> {
    match branch {
        Some(name)
            if name.is_empty()
                || name.len() > 200
                || name.contains("..")
                || name.starts_with('/')
                || name.ends_with('/')
                || name
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || "~^:?*[\\".contains(c)) =>
        {
            Err(ValidationError::new(field, "is not a valid branch name"))
        }
        _ => Ok(()),
    }
}

/// `owner/name` on GitHub.
pub(crate) fn check_repository(field: &'static str, repository: &str) -> Result<(), ValidationError> {
    let parts: Vec<&str> = repository.split('/').collect();
    if parts.len() != 2 || !parts.iter().all(|part| is_name(part)) {
        return Err(ValidationError::new(field, "must be owner/name"));
    }
    Ok(())
}

/// `group/sub/name` on GitLab.
pub(crate) fn check_gitlab_project(field: &'static str, project: &str) -> Result<(), ValidationError> {
    let parts: Vec<&str> = project.split('/').collect();
    if parts.len() < 2 || !parts.iter().all(|part| is_name(part)) {
        return Err(ValidationError::new(field, "must be group/name (subgroups allowed)"));
    }
    Ok(())
}

/// A self-hosted GitLab: https only (the worker also checks where it resolves).
pub(crate) fn check_base_url(field: &'static str, base_url: &Option<String>) -> Result<(), ValidationError> {
    match base_url {
        Some(url) if !url.starts_with("https://") => Err(ValidationError::new(field, "must be an https:// URL")),
        _ => Ok(()),
    }
}

impl ExportTarget {
    pub fn validate(&self) -> Result<(), ValidationError> {
        match self {
            Self::Zip | Self::TarGz => Ok(()),
            Self::Github { repository, branch, .. } => {
                check_repository("target.repository", repository)?;
                check_branch("target.branch", branch)
            }
            Self::Gitlab {
                project,
                base_url,
                branch,
                ..
            } => {
                check_gitlab_project("target.project", project)?;
                check_base_url("target.base_url", base_url)?;
                check_branch("target.branch", branch)
            }
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Zip => "zip",
            Self::TarGz => "tar.gz",
            Self::Github { .. } => "github",
            Self::Gitlab { .. } => "gitlab",
        }
    }

    /// Identifies a target among a project's remembered ones: the remote for a forge, the
    /// format for an archive.
    pub fn memory_key(&self) -> String {
        self.remote_key().unwrap_or_else(|| self.kind().to_owned())
    }

    /// Identifies the remote (and branch) an export updates, so the next export to the same
    /// place can be incremental: `github:owner/name@branch`.
    pub fn remote_key(&self) -> Option<String> {
        let branch = |branch: &Option<String>| branch.clone().unwrap_or_else(|| "default".to_owned());
        match self {
            Self::Zip | Self::TarGz => None,
            Self::Github {
                repository, branch: b, ..
            } => Some(format!("github:{repository}@{}", branch(b))),
            Self::Gitlab {
                project,
                base_url,
                branch: b,
                ..
            } => Some(format!(
                "gitlab:{}/{project}@{}",
                base_url.as_deref().unwrap_or("https://gitlab.com"),
                branch(b)
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
}

impl ExportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportResult {
    /// S3 key of the archive; the API turns it into a fresh presigned URL on each read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_sha: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_request_url: Option<String>,
    /// The branch had moved since the last export: the commit merges the edits made there.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub merged: bool,
    /// Files that did not merge: the commit went to a pull/merge request that lists them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<crate::merge::MergeConflict>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Export {
    pub id: Id<Export>,
    pub project_id: Id<Project>,
    pub generation_id: Id<Generation>,
    pub owner: Id<User>,
    pub target: ExportTarget,
    pub status: ExportStatus,
    /// What the worker is doing: `queued`, `committing`, `delivering`, `done`.
    pub phase: String,
    #[serde(default)]
    pub result: ExportResult,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The local history commit this export made (set once, reused by a redelivery).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_commit: Option<String>,
    /// The remote commit this export created, recorded before the remote branch moves, so a
    /// redelivered job never makes a second one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_commit: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    /// Bumped by every save, and every save is conditioned on the version it read: two writers
    /// cannot lose each other's fields.
    #[serde(default)]
    pub version: u64,
    /// Until when the delivery working on the export holds it; a duplicate delivery meanwhile
    /// (same batch, another container) leaves it alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_expires_at: Option<DateTime<Utc>>,
}

/// Whether `url` may become a link on a page: `http(s)://` only, so an address a forge answers
/// with can never be `javascript:` or `data:` once clicked.
pub fn is_web_link(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")) && !url.chars().any(char::is_control)
}

impl Export {
    /// Whether a delivery may take the export at `now`: no live lease on it.
    pub fn is_free(&self, now: DateTime<Utc>) -> bool {
        self.lease_expires_at.is_none_or(|until| until <= now)
    }

    pub fn new(id: Id<Export>, generation: &Generation, target: ExportTarget, now: DateTime<Utc>) -> Self {
        Self {
            id,
            project_id: generation.project_id,
            generation_id: generation.id,
            owner: generation.owner,
            target,
            status: ExportStatus::Queued,
            phase: "queued".to_owned(),
            result: ExportResult::default(),
            error: None,
            local_commit: None,
            remote_commit: None,
            created_at: now,
            updated_at: now,
            finished_at: None,
            version: 0,
            lease_expires_at: None,
        }
    }
}

/// Body of `POST /generations/{id}/exports`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartExport {
    pub target: ExportTarget,
}

/// The message that asks the export-worker to run one export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportJob {
    pub export_id: Id<Export>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_http_and_https_addresses_are_links() {
        for url in [
            "https://gitlab.com/a/b",
            "http://localhost:8080/x",
            "HTTPS://EXAMPLE.COM",
        ] {
            assert!(super::is_web_link(url), "{url}");
        }
        for url in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,x",
            "//evil.com",
            "",
            "https://a\nb",
        ] {
            assert!(!super::is_web_link(url), "{url}");
        }
    }

    use super::*;

    fn target(json: serde_json::Value) -> Result<ExportTarget, String> {
        let target: ExportTarget = serde_json::from_value(json).map_err(|err| err.to_string())?;
        target.validate().map_err(|err| err.field)?;
        Ok(target)
    }

    #[test]
    fn targets_parse_by_type_with_defaults() {
        assert_eq!(target(serde_json::json!({"type": "zip"})).unwrap(), ExportTarget::Zip);
        assert_eq!(
            target(serde_json::json!({"type": "tar.gz"})).unwrap(),
            ExportTarget::TarGz
        );
        let github = target(serde_json::json!({"type": "github", "repository": "ada/library"})).unwrap();
        assert_eq!(github.remote_key().unwrap(), "github:ada/library@default");
        assert!(matches!(
            github,
            ExportTarget::Github {
                private: true,
                pull_request: false,
                ..
            }
        ));
    }

    #[test]
    fn malformed_targets_name_the_field() {
        let cases = [
            (
                serde_json::json!({"type": "github", "repository": "no-slash"}),
                "target.repository",
            ),
            (
                serde_json::json!({"type": "github", "repository": "a/b/c"}),
                "target.repository",
            ),
            (
                serde_json::json!({"type": "github", "repository": "a/.."}),
                "target.repository",
            ),
            (
                serde_json::json!({"type": "github", "repository": "a/b", "branch": "x..y"}),
                "target.branch",
            ),
            (
                serde_json::json!({"type": "gitlab", "project": "solo"}),
                "target.project",
            ),
            (
                serde_json::json!({"type": "gitlab", "project": "g/p", "base_url": "http://gitlab.local"}),
                "target.base_url",
            ),
        ];
        for (json, field) in cases {
            assert_eq!(target(json.clone()).unwrap_err(), field, "{json}");
        }
        assert!(target(serde_json::json!({"type": "svn"})).is_err());
    }
}
