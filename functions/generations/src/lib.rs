//! Generations: a project's rendered files. List, read (with the manifest), read one file, diff
//! two, regenerate from an execution, import one from a repository — one Lambda each. The work
//! is the generate-worker's and the import-worker's.

pub mod create;
pub mod diff;
pub mod file;
pub mod get;
pub mod import;
pub mod list;

/// This crate's functions, by the names the manifests give them.
pub const FUNCTIONS: &[forgeflow_api::HttpFunction] = &[
    forgeflow_api::http_function!("generations-create", create::handler),
    forgeflow_api::http_function!("generations-list", list::handler),
    forgeflow_api::http_function!("generations-get", get::handler),
    forgeflow_api::http_function!("generations-file", file::handler),
    forgeflow_api::http_function!("generations-diff", diff::handler),
    forgeflow_api::http_function!("imports-create", import::create),
    forgeflow_api::http_function!("imports-start", import::start),
];

use forgeflow_api::{ApiContext, ApiError, Request, request};
use forgeflow_domain::Id;
use forgeflow_domain::generation::Generation;
use forgeflow_domain::user::User;

/// The caller's generation named in the path; another user's is not found.
async fn load_owned(ctx: &ApiContext, owner: Id<User>, req: &Request) -> Result<Generation, ApiError> {
    ctx.owned_generation(owner, request::path_param(req, "id")?).await
}
