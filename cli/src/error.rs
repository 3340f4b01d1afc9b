//! What can go wrong, and the exit code and message each gets.

use thiserror::Error;

use crate::io::Io;

/// Exit codes: 0 success, 1 an error the API or the command found (2 is clap's usage errors),
/// 3 the API or WebSocket could not be reached, 4 a run or export that failed.
pub mod exit {
    pub const ERROR: u8 = 1;
    pub const CONNECTION: u8 = 3;
    pub const FAILED: u8 = 4;
}

#[derive(Debug, Error)]
pub enum CliError {
    /// The API refused the request: its `{"error": {code, message, field}}`.
    #[error("{message}")]
    Api {
        status: u16,
        code: String,
        message: String,
        field: Option<String>,
    },
    #[error("cannot reach {url}: {reason}")]
    Connection { url: String, reason: String },
    #[error("not logged in to {endpoint}: run `forgeflow login --email <address>` or set FORGEFLOW_TOKEN")]
    NotLoggedIn { endpoint: String },
    /// Input the command itself refuses (before asking the API).
    #[error("{0}")]
    Usage(String),
    #[error("config file {path}: {reason}")]
    Config { path: String, reason: String },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    /// The server answered something the command cannot read.
    #[error("unexpected answer from {url}: {reason}")]
    Protocol { url: String, reason: String },
    /// A run or an export that finished unsuccessfully.
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Connection { .. } => exit::CONNECTION,
            Self::Failed(_) => exit::FAILED,
            _ => exit::ERROR,
        }
    }

    /// `error: <message> (field: <field>)` on standard error, and a hint where one helps.
    pub fn report(&self, io: &mut Io) {
        match self {
            Self::Api {
                message,
                field: Some(field),
                ..
            } => io.err(format!("error: {message} (field: {field})")),
            other => io.err(format!("error: {other}")),
        }
        if let Self::Api { status: 401, .. } = self {
            io.err("hint: sign in again with `forgeflow login --email <address>` (tokens expire)");
        }
    }
}

/// The innermost cause of an error: "Connection refused (os error 111)" rather than
/// "error sending request".
pub fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
