//! One module per command.

mod export;
mod login;
mod projects;
mod run;
mod schedule;

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
        Command::Export(args) => export::export(&mut ctx, args).await,
        Command::Schedule(command) => schedule::schedule(&mut ctx, command).await,
    }
}
