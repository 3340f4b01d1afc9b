//! `forgeflow`: the command-line client of Forgeflow's public API (HTTP + the progress
//! WebSocket). The whole command runs through [`run`] with injectable streams and environment,
//! so tests drive it in-process; `main` is the binary's.

mod api;
mod archive;
mod args;
mod commands;
mod config;
mod error;
mod io;
mod output;
mod progress;
mod watch;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

pub use error::{CliError, exit};
pub use io::{Buffer, Env, Io};

/// The binary: the process's arguments, environment and streams.
pub fn main() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build();
    let code = match runtime {
        Ok(runtime) => runtime.block_on(run(std::env::args_os().collect(), Env::from_process(), Io::process())),
        Err(err) => {
            eprintln!("error: cannot start: {err}");
            exit::ERROR
        }
    };
    ExitCode::from(code)
}

/// Runs one command line (`args[0]` is the program name) and returns its exit code.
pub async fn run(args: Vec<OsString>, env: Env, mut io: Io) -> u8 {
    // One TLS provider for wss:// whatever else the build links (ignored if one is installed).
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cli = match args::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            let text = err.render().to_string();
            if err.use_stderr() {
                let _ = std::io::Write::write_all(&mut io.stderr, text.as_bytes());
            } else {
                let _ = std::io::Write::write_all(&mut io.stdout, text.as_bytes());
            }
            return u8::try_from(err.exit_code()).unwrap_or(exit::ERROR);
        }
    };
    match commands::dispatch(cli, &env, &mut io).await {
        Ok(()) => 0,
        Err(err) => {
            err.report(&mut io);
            err.exit_code()
        }
    }
}
