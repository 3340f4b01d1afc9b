//! `forgeflow credentials set|show|rm github|gitlab`: the forge token exports use.

use serde_json::json;

use super::Ctx;
use crate::args::CredentialsCommand;
use crate::error::CliError;
use crate::output::field;

pub async fn credentials(ctx: &mut Ctx<'_>, command: CredentialsCommand) -> Result<(), CliError> {
    match command {
        CredentialsCommand::Set { forge, token_stdin } => {
            ctx.api.token()?;
            let token = ctx.secret("Token: ", token_stdin, "token").await?;
            let status = ctx
                .api
                .put(&format!("/credentials/{forge}"), &json!({"token": token}))
                .await?;
            if ctx.json() {
                ctx.io.json(&status);
            } else {
                ctx.io
                    .out(format!("{forge} token stored (encrypted; it is never shown again)"));
            }
        }
        CredentialsCommand::Show { forge } => {
            let status = ctx.api.get(&format!("/credentials/{forge}")).await?;
            if ctx.json() {
                ctx.io.json(&status);
            } else if status["set"] == true {
                ctx.io
                    .out(format!("{forge} token set (updated {})", field(&status, "updated_at")));
            } else {
                ctx.io
                    .out(format!("no {forge} token: forgeflow credentials set {forge}"));
            }
        }
        CredentialsCommand::Rm { forge } => {
            ctx.api.delete(&format!("/credentials/{forge}")).await?;
            if ctx.json() {
                ctx.io.json(&json!({"provider": forge, "removed": true}));
            } else {
                ctx.io.out(format!("{forge} token removed"));
            }
        }
    }
    Ok(())
}
