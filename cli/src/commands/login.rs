//! `forgeflow login` / `logout`: the token lives in the config file (0600), never on screen.

use serde_json::json;

use super::Ctx;
use crate::args::LoginArgs;
use crate::config;
use crate::error::CliError;
use crate::output::field;

pub async fn login(ctx: &mut Ctx<'_>, args: LoginArgs) -> Result<(), CliError> {
    let password = ctx.secret("Password: ", args.password_stdin, "password").await?;
    let path = if args.register { "/auth/register" } else { "/auth/login" };
    let body = json!({"email": args.email, "password": password});
    let mut answer = ctx.api.post_anonymous(path, &body).await?;
    let token = answer["token"]
        .as_str()
        .ok_or_else(|| CliError::Protocol {
            url: format!("{}{path}", ctx.api.endpoint()),
            reason: "no token in the answer".into(),
        })?
        .to_owned();

    let mut file = ctx.settings.file.clone();
    if file.endpoint.as_deref() != Some(ctx.settings.endpoint.as_str()) {
        file.ws_url = None;
    }
    file.endpoint = Some(ctx.settings.endpoint.clone());
    file.token = Some(token);
    if ctx.settings.ws_url_explicit {
        file.ws_url = ctx.settings.ws_url.clone();
    }
    config::save(&ctx.settings.path, &file)?;

    if let Some(object) = answer.as_object_mut() {
        object.remove("token");
        object.insert("endpoint".into(), json!(ctx.settings.endpoint));
        object.insert("config".into(), json!(ctx.settings.path.display().to_string()));
    }
    if ctx.json() {
        ctx.io.json(&answer);
    } else {
        let verb = if args.register {
            "registered and logged in"
        } else {
            "logged in"
        };
        ctx.io.out(format!(
            "{verb} as {} at {} (token saved to {}, valid until {})",
            field(&answer["user"], "email"),
            ctx.settings.endpoint,
            ctx.settings.path.display(),
            field(&answer, "expires_at")
        ));
    }
    Ok(())
}

pub fn logout(ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let mut file = ctx.settings.file.clone();
    let had = file.token.take().is_some();
    if had {
        config::save(&ctx.settings.path, &file)?;
    }
    if ctx.json() {
        ctx.io
            .json(&json!({"logged_out": had, "config": ctx.settings.path.display().to_string()}));
    } else if had {
        ctx.io.out(format!(
            "logged out (token removed from {})",
            ctx.settings.path.display()
        ));
    } else {
        ctx.io.out("not logged in");
    }
    Ok(())
}
