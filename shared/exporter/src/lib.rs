//! The local half of Forgeflow's RepositoryExporter: a generation's files become a real git
//! repository (built with gix, history kept between exports) and a zip or tar.gz archive of the
//! working tree with its `.git`.
//!
//! - [`LocalRepo`]: a repository kept between exports as a git directory. Each
//!   [`LocalRepo::commit`] is a full snapshot on top of the branch's last commit, so every
//!   re-export is one new commit; [`CommitInfo::changes`] says what it changed.
//! - [`archive::write`]: the working tree and the git directory streamed into a zip or tar.gz,
//!   one file at a time, so memory is bounded by the largest file rather than the project.
//! - [`pack_git_dir`] / [`unpack_git_dir`]: the git directory as one tar.gz, for keeping the
//!   history in object storage between exports.
//!
//! Pure filesystem and CPU work, all blocking: the async worker calls it from `spawn_blocking`.
//! Paths arrive validated by the generator; they are checked again here ([`ExportError::UnsafePath`])
//! because a path that escapes the tree or writes into `.git` must never reach a repository or
//! an archive, whoever produced it.

pub mod archive;
mod changes;
mod error;
pub mod import;
mod pack;
mod path;
mod repo;
mod walk;

pub use changes::{Change, ChangeKind};
pub use error::ExportError;
pub use pack::{pack_git_dir, unpack_git_dir};
pub use repo::{Adopted, CommitInfo, LocalRepo};

/// Checks a tree's entries (paths, modes, duplicates, case, file-or-folder) before anything is
/// read or written for them; the repository and archive writers check again.
pub fn check_files(files: &[FileEntry]) -> Result<(), ExportError> {
    path::check_all(files).map(|_| ())
}

/// Who an export's commit is attributed to (author and committer alike).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub name: String,
    pub email: String,
}

/// One file of the tree to export. Its content is not held here: callers hand it over through a
/// `read` callback, one file at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    /// Relative, `/`-separated, already checked by the generator (and again here).
    pub path: String,
    /// `"100644"` or `"100755"`, as git writes it (and as the generator's manifest stores it).
    pub mode: String,
}

impl FileEntry {
    pub fn new(path: impl Into<String>, mode: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            mode: mode.into(),
        }
    }
}
