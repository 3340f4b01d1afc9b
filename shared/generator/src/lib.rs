//! Forgeflow's project generator: a template (data files under `templates/`, rendered with
//! minijinja) plus the agents' output becomes a complete project tree with a manifest.
//!
//! - **Templates**: `rust-axum`, `python-fastapi`, `react-vite`, each a buildable project on its
//!   own (README, tests, CI workflow, `.gitignore`, manifests); `_docs` adds the plan
//!   (`docs/user-stories.md`, `docs/sprints.md`) and the review (`docs/review.md`) to every one.
//! - **Merge**: the engineers' files are laid over the template's; the agent wins a path both
//!   write, and the path is listed in [`GeneratedTree::conflicts`].
//! - **Safety**: every agent path goes through [`safe_path`]; a refused file is skipped and
//!   listed in [`GeneratedTree::refused`], never written.
//! - **Limits**: [`Limits`] on file count and sizes fail the generation with the limit's name.
//! - **Manifest**: [`GeneratedFile::manifest_entry`] gives size, SHA-256, git blob id and mode.
//!
//! Pure and deterministic: no I/O, and the same input gives byte-identical output.

mod context;
mod embedded;
mod error;
mod limits;
mod merge;
mod naming;
mod render;
mod revise;
mod text;

use forgeflow_domain::agent::{ReviewOutput, Sprint, Story, WrittenFile};
use forgeflow_domain::project::Template;
use serde::{Deserialize, Serialize};

pub use error::GenerateError;
pub use forgeflow_domain::manifest::{
    FileMode, GeneratedFile, Manifest, ManifestEntry, Source, git_blob_id, sha256_hex,
};
pub use forgeflow_domain::path::{MAX_PATH_BYTES, MAX_SEGMENT_BYTES, PathError, safe_path};
pub use limits::Limits;
pub use revise::{Revision, revise};

/// Everything a generation is made from: the project, its plan, the engineers' files (in step
/// order: a later file wins a path an earlier one wrote) and the review.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerationInput {
    pub project_name: String,
    pub brief: String,
    pub template: Template,
    pub stories: Vec<Story>,
    pub sprints: Vec<Sprint>,
    pub agent_files: Vec<WrittenFile>,
    pub review: Option<ReviewOutput>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedTree {
    /// Sorted by path; paths are unique and safe.
    pub files: Vec<GeneratedFile>,
    /// Paths written by the template (or docs) and an agent, or by two agents; sorted.
    pub conflicts: Vec<String>,
    /// Agent files that were not written, in the order they came.
    pub refused: Vec<Refusal>,
}

/// An agent file that was not written, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// As the agent gave it (cut to about [`MAX_PATH_BYTES`]).
    pub path: String,
    pub reason: String,
}

impl GeneratedTree {
    pub fn manifest(&self) -> Vec<ManifestEntry> {
        self.files.iter().map(GeneratedFile::manifest_entry).collect()
    }

    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.content.len() as u64).sum()
    }

    pub fn file(&self, path: &str) -> Option<&GeneratedFile> {
        self.files
            .binary_search_by(|f| f.path.as_str().cmp(path))
            .ok()
            .map(|i| &self.files[i])
    }
}

/// Renders `input.template` and the docs, lays the agents' files over them and checks `limits`.
pub fn generate(input: &GenerationInput, limits: &Limits) -> Result<GeneratedTree, GenerateError> {
    // The template's code must name the crate as the engineers' manifest does; the last
    // `Cargo.toml` an agent wrote is the one that ends up in the tree.
    let agent_manifest = input
        .agent_files
        .iter()
        .rev()
        .find(|f| safe_path(&f.path).is_ok_and(|p| p == "Cargo.toml"))
        .map(|f| f.content.as_str());
    let context = context::Context::new(input, agent_manifest);
    let template = embedded::template_set(input.template.as_str())?;
    let docs = embedded::template_set(embedded::DOCS)?;
    let mut base = render::render(&template, Source::Template, &context)?;
    base.extend(render::render(&docs, Source::Docs, &context)?);
    let tree = merge::merge(base, &input.agent_files)?;
    limits.check(&tree.files)?;
    Ok(tree)
}

#[cfg(test)]
mod tests;
