use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::text::bounded;
use crate::user::User;
use crate::{Id, ValidationError};

pub const NAME_MAX_CHARS: usize = 100;
pub const BRIEF_MAX_CHARS: usize = 20_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Project {
    #[schema(value_type = uuid::Uuid)]
    pub id: Id<Project>,
    #[schema(value_type = uuid::Uuid)]
    pub owner: Id<User>,
    pub name: String,
    pub brief: String,
    pub template: Template,
    pub settings: ProjectSettings,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Bumped by every update; a writer must name the version it read (optimistic concurrency).
    pub version: u64,
    /// Set when its deletion starts: from then on the API treats the project as gone, and the
    /// project-deleter removes what it owns, then the row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(ignore)]
    pub deleting_since: Option<DateTime<Utc>>,
}

/// The message that asks the project-deleter to remove a project and everything it owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionJob {
    pub project_id: Id<Project>,
    pub owner: Id<User>,
}

/// The project templates a generation can start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Template {
    #[default]
    RustAxum,
    PythonFastapi,
    ReactVite,
}

impl Template {
    pub const ALL: [Template; 3] = [Template::RustAxum, Template::PythonFastapi, Template::ReactVite];

    pub fn as_str(self) -> &'static str {
        match self {
            Template::RustAxum => "rust-axum",
            Template::PythonFastapi => "python-fastapi",
            Template::ReactVite => "react-vite",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectSettings {
    /// Export automatically whenever a generation of this project becomes ready.
    #[serde(default)]
    pub auto_export: bool,
}

/// Body of `POST /projects`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProject {
    /// Trimmed; no control characters.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Trimmed; newlines and tabs allowed, no other control characters.
    #[schema(min_length = 1, max_length = 20_000)]
    pub brief: String,
    #[serde(default)]
    pub template: Template,
    #[serde(default)]
    pub settings: ProjectSettings,
}

/// Body of `PATCH /projects/{id}`: every field optional but `version`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProject {
    pub version: u64,
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    #[schema(min_length = 1, max_length = 20_000)]
    pub brief: Option<String>,
    pub template: Option<Template>,
    pub settings: Option<ProjectSettings>,
}

fn name(raw: &str) -> Result<String, ValidationError> {
    bounded("name", raw, NAME_MAX_CHARS, false)
}

fn brief(raw: &str) -> Result<String, ValidationError> {
    bounded("brief", raw, BRIEF_MAX_CHARS, true)
}

impl CreateProject {
    pub fn into_project(self, owner: Id<User>, now: DateTime<Utc>) -> Result<Project, ValidationError> {
        Ok(Project {
            id: Id::new(),
            owner,
            name: name(&self.name)?,
            brief: brief(&self.brief)?,
            template: self.template,
            settings: self.settings,
            created_at: now,
            updated_at: now,
            version: 1,
            deleting_since: None,
        })
    }
}

impl UpdateProject {
    /// The project as it will be after this update, or why the update is refused.
    /// The caller stores it only if the stored version is still `self.version`.
    pub fn apply_to(self, current: &Project, now: DateTime<Utc>) -> Result<Project, ValidationError> {
        if self.name.is_none() && self.brief.is_none() && self.template.is_none() && self.settings.is_none() {
            return Err(ValidationError::new("body", "names no field to change"));
        }
        let mut next = current.clone();
        if let Some(raw) = &self.name {
            next.name = name(raw)?;
        }
        if let Some(raw) = &self.brief {
            next.brief = brief(raw)?;
        }
        if let Some(template) = self.template {
            next.template = template;
        }
        if let Some(settings) = self.settings {
            next.settings = settings;
        }
        next.updated_at = now;
        next.version = self.version + 1;
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn create(json: serde_json::Value) -> Result<Project, ValidationError> {
        let request: CreateProject = serde_json::from_value(json).expect("shape");
        request.into_project(Id::new(), Utc::now())
    }

    #[test]
    fn a_new_project_starts_at_version_one_with_defaults() {
        let project = create(serde_json::json!({"name": " Todo ", "brief": "A todo app"})).unwrap();
        assert_eq!(project.name, "Todo");
        assert_eq!(project.version, 1);
        assert_eq!(project.template, Template::RustAxum);
        assert!(!project.settings.auto_export);
        assert_eq!(project.created_at, project.updated_at);
    }

    #[test]
    fn empty_or_oversize_fields_are_refused_by_name() {
        let long_name = "n".repeat(NAME_MAX_CHARS + 1);
        let long_brief = "b".repeat(BRIEF_MAX_CHARS + 1);
        let cases = [
            (serde_json::json!({"name": "", "brief": "x"}), "name"),
            (serde_json::json!({"name": long_name, "brief": "x"}), "name"),
            (serde_json::json!({"name": "x", "brief": "  "}), "brief"),
            (serde_json::json!({"name": "x", "brief": long_brief}), "brief"),
        ];
        for (json, field) in cases {
            assert_eq!(create(json).unwrap_err().field, field);
        }
    }

    #[test]
    fn templates_use_their_kebab_case_names() {
        for template in Template::ALL {
            let json = serde_json::to_value(template).unwrap();
            assert_eq!(json, template.as_str());
        }
        assert!(serde_json::from_value::<Template>(serde_json::json!("cobol")).is_err());
    }

    #[test]
    fn an_update_changes_only_named_fields_and_bumps_the_version() {
        let project = create(serde_json::json!({"name": "Todo", "brief": "A todo app"})).unwrap();
        let update: UpdateProject = serde_json::from_value(serde_json::json!({"version": 1, "name": "Tasks"})).unwrap();
        let later = project.created_at + chrono::Duration::seconds(5);
        let next = update.apply_to(&project, later).unwrap();
        assert_eq!(next.name, "Tasks");
        assert_eq!(next.brief, project.brief);
        assert_eq!(next.version, 2);
        assert_eq!(next.updated_at, later);
        assert_eq!(next.created_at, project.created_at);
    }

    #[test]
    fn an_update_that_changes_nothing_is_refused() {
        let project = create(serde_json::json!({"name": "Todo", "brief": "A todo app"})).unwrap();
        let update: UpdateProject = serde_json::from_value(serde_json::json!({"version": 1})).unwrap();
        assert_eq!(update.apply_to(&project, Utc::now()).unwrap_err().field, "body");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let result =
            serde_json::from_value::<CreateProject>(serde_json::json!({"name": "x", "brief": "y", "owner": "z"}));
        assert!(result.unwrap_err().to_string().contains("owner"));
    }
}
