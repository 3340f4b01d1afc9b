//! Exports: start one from a ready generation, read one, list a project's. The work (git
//! history, archive, GitHub, GitLab) is the export-worker's.

pub mod create;
pub mod get;
pub mod list;
pub mod view;
