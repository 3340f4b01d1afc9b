//! `forgeflow credentials set|show|rm github|gitlab|openai|anthropic`: the forge token exports
//! use, and your own AI provider keys (with an OpenAI-compatible base URL and allowed models).

use serde_json::json;

use super::Ctx;
use crate::args::CredentialsCommand;
use crate::error::CliError;
use crate::output::field;

pub async fn credentials(ctx: &mut Ctx<'_>, command: CredentialsCommand) -> Result<(), CliError> {
    match command {
        CredentialsCommand::Set {
            provider,
            token_stdin,
            base_url,
            models,
        } => {
            ctx.api.token()?;
            let prompt = if is_ai(&provider) { "API key: " } else { "Token: " };
            let token = ctx.secret(prompt, token_stdin, "token").await?;
            let mut body = json!({"token": token});
            if let Some(url) = base_url {
                body["base_url"] = json!(url);
            }
            if !models.is_empty() {
                body["models"] = json!(models);
            }
            let status = ctx.api.put(&format!("/credentials/{provider}"), &body).await?;
            if ctx.json() {
                ctx.io.json(&status);
            } else {
                ctx.io.out(format!(
                    "{provider} {} stored (encrypted; it is never shown again){}",
                    noun(&provider),
                    settings(&status)
                ));
            }
        }
        CredentialsCommand::Show { provider } => {
            let status = ctx.api.get(&format!("/credentials/{provider}")).await?;
            if ctx.json() {
                ctx.io.json(&status);
            } else if status["set"] == true {
                ctx.io.out(format!(
                    "{provider} {} set (updated {}){}",
                    noun(&provider),
                    field(&status, "updated_at"),
                    settings(&status)
                ));
            } else {
                ctx.io.out(format!(
                    "no {provider} {}: forgeflow credentials set {provider}",
                    noun(&provider)
                ));
            }
        }
        CredentialsCommand::Rm { provider } => {
            ctx.api.delete(&format!("/credentials/{provider}")).await?;
            if ctx.json() {
                ctx.io.json(&json!({"provider": provider, "removed": true}));
            } else {
                ctx.io.out(format!("{provider} {} removed", noun(&provider)));
            }
        }
    }
    Ok(())
}

fn is_ai(provider: &str) -> bool {
    matches!(provider, "openai" | "anthropic")
}

fn noun(provider: &str) -> &'static str {
    if is_ai(provider) { "key" } else { "token" }
}

/// `; base URL …; models a, b` for what the credential has.
fn settings(status: &serde_json::Value) -> String {
    let mut out = String::new();
    if let Some(url) = status["base_url"].as_str() {
        out.push_str(&format!("; base URL {url}"));
    }
    if let Some(models) = status["models"].as_array() {
        let names: Vec<&str> = models.iter().filter_map(|m| m.as_str()).collect();
        out.push_str(&format!("; models {}", names.join(", ")));
    }
    out
}
