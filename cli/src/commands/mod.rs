//! One module per command.

mod again;
mod credentials;
mod diff;
mod export;
mod import;
mod login;
mod projects;
mod run;
mod schedule;
mod usage;

use crate::api::Api;
use crate::args::{Cli, Command};
use crate::config::Settings;
use crate::error::CliError;
use crate::io::{Env, Io};

/// What every command works with.
pub struct Ctx<'a> {
    pub settings: Settings,
    pub api: Api,
    pub io: &'a mut Io,
}

impl Ctx<'_> {
    pub fn json(&self) -> bool {
        self.settings.json
    }

    /// A secret (password, token): prompted without echo on a terminal unless `from_stdin`,
    /// else one line of standard input.
    pub async fn secret(&mut self, prompt: &'static str, from_stdin: bool, what: &str) -> Result<String, CliError> {
        let secret = if !from_stdin && self.io.stdin_tty {
            tokio::task::spawn_blocking(move || rpassword::prompt_password(prompt))
                .await
                .map_err(|err| CliError::io("prompt", std::io::Error::other(err)))?
                .map_err(|err| CliError::io(format!("cannot read the {what}"), err))?
        } else {
            let mut line = String::new();
            std::io::BufRead::read_line(&mut self.io.stdin, &mut line)
                .map_err(|err| CliError::io(format!("cannot read the {what} from standard input"), err))?;
            line
        };
        let secret = secret.trim_end_matches(['\n', '\r']).to_owned();
        if secret.is_empty() {
            return Err(CliError::Usage(format!(
                "no {what} given (type it at the prompt or pipe it to standard input)"
            )));
        }
        Ok(secret)
    }
}

pub async fn dispatch(cli: Cli, env: &Env, io: &mut Io) -> Result<(), CliError> {
    let settings = Settings::resolve(&cli.global, env)?;
    let api = Api::new(&settings.endpoint, settings.token.clone())?;
    let mut ctx = Ctx { settings, api, io };
    match cli.command {
        Command::Login(args) => login::login(&mut ctx, args).await,
        Command::Logout => login::logout(&mut ctx),
        Command::Projects(command) => projects::projects(&mut ctx, command).await,
        Command::Run(args) => run::run(&mut ctx, args).await,
        Command::Change(args) => run::change(&mut ctx, args).await,
        Command::Retry(args) => run::retry(&mut ctx, args).await,
        Command::Approve(args) => run::approve(&mut ctx, args).await,
        Command::Reject(args) => run::reject(&mut ctx, args).await,
        Command::Estimate(args) => usage::estimate(&mut ctx, args).await,
        Command::Usage(args) => usage::usage(&mut ctx, args).await,
        Command::Watch { execution } => run::watch(&mut ctx, &execution).await,
        Command::Export(args) => export::export(&mut ctx, args).await,
        Command::Import(args) => import::import(&mut ctx, args).await,
        Command::ExportAgain(args) => again::export_again(&mut ctx, args).await,
        Command::Diff(args) => diff::diff(&mut ctx, args).await,
        Command::Schedule(command) => schedule::schedule(&mut ctx, command).await,
        Command::Credentials(command) => credentials::credentials(&mut ctx, command).await,
    }
}
