use std::path::PathBuf;

/// Everything that can stop an export. Messages name the file or path concerned.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("refused path {path:?}: {reason}")]
    UnsafePath { path: String, reason: String },

    #[error("file {path:?} has mode {mode:?}; only \"100644\" and \"100755\" can be exported")]
    UnsupportedMode { path: String, mode: String },

    #[error("file {path:?} is listed more than once")]
    DuplicatePath { path: String },

    #[error("{path:?} is listed as a file and is also the directory of other files")]
    FileDirectoryConflict { path: String },

    #[error("{path:?} and {other:?} differ only by case: one file on Windows and macOS")]
    CaseCollision { path: String, other: String },

    #[error("{name:?} is not a valid branch name")]
    InvalidBranch { name: String },

    #[error("author {name:?} <{email}> cannot be written into a commit: {reason}")]
    InvalidAuthor {
        name: String,
        email: String,
        reason: &'static str,
    },

    /// For `read` callbacks: the content of a file could not be fetched (e.g. from object storage).
    #[error("could not read the content of {path:?}: {source}")]
    Read {
        path: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    #[error("git: could not {action}: {source}")]
    Git {
        action: &'static str,
        #[source]
        source: gix::Error,
    },

    #[error("{} is not a git directory and not empty: refusing to initialise a repository there", .0.display())]
    NotARepository(PathBuf),

    #[error("{} is not a git directory (it has no HEAD file)", .0.display())]
    MissingGitDir(PathBuf),

    #[error("{} is {reason}: a git directory to archive holds only files and directories", .path.display())]
    UnsupportedGitDirEntry { path: PathBuf, reason: &'static str },

    #[error("{} is not empty: unpack a git directory into a fresh one", .0.display())]
    NotEmpty(PathBuf),

    #[error("the packed git directory holds {path:?}, which is {reason}")]
    BadPackEntry { path: String, reason: &'static str },

    #[error("could not {action} {}: {source}", .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("could not write the archive: {0}")]
    Archive(#[source] std::io::Error),

    /// An imported archive or history that cannot become a project (too big, unreadable,
    /// damaged): the same input fails the same way every time.
    #[error("{0}")]
    BadImport(String),

    #[error("could not write the zip archive: {0}")]
    Zip(#[from] zip::result::ZipError),
}

impl ExportError {
    /// Whether the same export may succeed if tried again: input that is wrong stays wrong, while
    /// disk, I/O and a busy repository (a held lock) can recover. For a worker deciding between
    /// "retry" and "fail the job".
    pub fn is_retryable(&self) -> bool {
        match self {
            ExportError::Read { .. }
            | ExportError::Git { .. }
            | ExportError::Io { .. }
            | ExportError::Archive(_)
            | ExportError::Zip(zip::result::ZipError::Io(_)) => true,
            ExportError::UnsafePath { .. }
            | ExportError::UnsupportedMode { .. }
            | ExportError::DuplicatePath { .. }
            | ExportError::FileDirectoryConflict { .. }
            | ExportError::CaseCollision { .. }
            | ExportError::InvalidBranch { .. }
            | ExportError::InvalidAuthor { .. }
            | ExportError::NotARepository(_)
            | ExportError::MissingGitDir(_)
            | ExportError::UnsupportedGitDirEntry { .. }
            | ExportError::NotEmpty(_)
            | ExportError::BadPackEntry { .. }
            | ExportError::BadImport(_)
            | ExportError::Zip(_) => false,
        }
    }

    pub(crate) fn git(action: &'static str) -> impl FnOnce(gix::Error) -> Self {
        move |source| ExportError::Git { action, source }
    }

    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| ExportError::Io { action, path, source }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_is_final_and_io_is_retryable() {
        let unsafe_path = ExportError::UnsafePath {
            path: "../x".into(),
            reason: "it has a `..` segment".into(),
        };
        assert!(!unsafe_path.is_retryable());
        assert_eq!(unsafe_path.to_string(), "refused path \"../x\": it has a `..` segment");
        let io = ExportError::io("write", "/tmp/x")(std::io::Error::other("disk full"));
        assert!(io.is_retryable());
        assert_eq!(io.to_string(), "could not write /tmp/x: disk full");
    }

    #[test]
    fn errors_can_leave_a_blocking_task() {
        fn send<T: Send + Sync + 'static>() {}
        send::<ExportError>();
    }
}
