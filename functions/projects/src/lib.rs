//! `/projects` CRUD: one Lambda per endpoint. Every handler scopes its reads and writes to the
//! caller, so another user's project id is answered exactly like an unknown one: 404.

pub mod create;
pub mod delete;
pub mod get;
pub mod list;
pub mod plan;
pub mod update;

use forgeflow_api::{ApiError, Request, request};
use forgeflow_domain::Id;
use forgeflow_domain::project::Project;

fn project_id(req: &Request) -> Result<Id<Project>, ApiError> {
    request::path_param(req, "id")
}

const NOT_FOUND: ApiError = ApiError::NotFound("project");
