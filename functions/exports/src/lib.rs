//! Exports: start one from a ready generation, read one, list a project's, export a project again
//! to every target it remembers. The work (git history, archive, GitHub, GitLab) is the
//! export-worker's.

pub mod again;
pub mod create;
pub mod get;
pub mod list;
pub mod view;

/// This crate's functions, by the names the manifests give them.
pub const FUNCTIONS: &[forgeflow_api::HttpFunction] = &[
    forgeflow_api::http_function!("exports-create", create::handler),
    forgeflow_api::http_function!("exports-get", get::handler),
    forgeflow_api::http_function!("exports-list", list::handler),
    forgeflow_api::http_function!("exports-again", again::handler),
];
