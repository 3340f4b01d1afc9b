use thiserror::Error;

/// Why a generation failed. Every case is permanent: the same input fails the same way, so a
/// worker should record the message rather than retry.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GenerateError {
    #[error(
        "the project would have {count} files, over the limit of {limit} (max_files); `{path}` is the first file past it"
    )]
    TooManyFiles { count: usize, limit: usize, path: String },
    #[error("`{path}` is {size} bytes, over the limit of {limit} bytes per file (max_file_bytes)")]
    FileTooLarge { path: String, size: u64, limit: u64 },
    #[error(
        "the project would be {total} bytes, over the limit of {limit} bytes in all (max_total_bytes); `{path}` crossed it"
    )]
    TooLarge { total: u64, limit: u64, path: String },
    #[error("`{first}` and `{second}` differ only in case, which macOS and Windows checkouts cannot hold")]
    CaseCollision { first: String, second: String },
    #[error("template `{template}` failed on `{path}`: {reason}")]
    Template {
        template: String,
        path: String,
        reason: String,
    },
}
