//! `/projects` CRUD: one Lambda per endpoint. Every handler scopes its reads and writes to the
//! caller, so another user's project id is answered exactly like an unknown one: 404.

pub mod create;
pub mod delete;
pub mod get;
pub mod list;
pub mod plan;
pub mod update;

/// This crate's functions, by the names the manifests give them.
pub const FUNCTIONS: &[forgeflow_api::HttpFunction] = &[
    forgeflow_api::http_function!("projects-create", create::handler),
    forgeflow_api::http_function!("projects-list", list::handler),
    forgeflow_api::http_function!("projects-get", get::handler),
    forgeflow_api::http_function!("projects-update", update::handler),
    forgeflow_api::http_function!("projects-delete", delete::handler),
    forgeflow_api::http_function!("projects-stories", plan::stories),
    forgeflow_api::http_function!("projects-sprints", plan::sprints),
];

use forgeflow_api::{ApiError, Request, request};
use forgeflow_domain::Id;
use forgeflow_domain::project::Project;

fn project_id(req: &Request) -> Result<Id<Project>, ApiError> {
    request::path_param(req, "id")
}

const NOT_FOUND: ApiError = ApiError::NotFound("project");
