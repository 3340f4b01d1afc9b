//! `forgeflow export-again <project> [--generation G]`: one call sends the project's latest
//! generation to every place it was exported before (`POST /projects/{id}/exports`), then waits
//! for each export and says where it went.

use serde_json::{Value, json};

use super::Ctx;
use super::export::{wait, where_it_went};
use crate::api::encode;
use crate::args::AgainArgs;
use crate::error::CliError;
use crate::output::field;
use crate::progress::Spinner;

pub async fn export_again(ctx: &mut Ctx<'_>, args: AgainArgs) -> Result<(), CliError> {
    ctx.api.token()?;
    let body = match &args.generation {
        Some(generation) => json!({"generation": generation}),
        None => json!({}),
    };
    let queued = ctx
        .api
        .post(&format!("/projects/{}/exports", encode(&args.project)), &body)
        .await?;
    let mut finished = Vec::new();
    for item in queued["items"].as_array().into_iter().flatten() {
        let id = field(item, "id");
        let spinner = Spinner::new(ctx.io, ctx.json(), "export");
        let export = wait(&ctx.api, &id, &spinner).await?;
        spinner.clear();
        finished.push(export);
    }
    let failed: Vec<&Value> = finished
        .iter()
        .filter(|export| export["status"] != "succeeded")
        .collect();
    if ctx.json() {
        ctx.io.json(&json!({"items": finished}));
    } else {
        for export in &finished {
            report(ctx, export);
        }
    }
    match failed.as_slice() {
        [] => Ok(()),
        failed => Err(CliError::Failed(format!(
            "{} of {} exports failed: {}",
            failed.len(),
            finished.len(),
            failed
                .iter()
                .map(|export| format!("{} ({})", field(export, "id"), field(export, "error")))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn report(ctx: &mut Ctx<'_>, export: &Value) {
    let target = &export["target"];
    let place = match target["type"].as_str() {
        Some("github") => format!("github {}", field(target, "repository")),
        Some("gitlab") => format!("gitlab {}", field(target, "project")),
        _ => field(target, "type"),
    };
    ctx.io.out(format!(
        "{place}: export {} {}",
        field(export, "id"),
        field(export, "status")
    ));
    let result = &export["result"];
    if let Some(url) = result["download_url"].as_str() {
        ctx.io.out(format!("  download (link valid for an hour): {url}"));
    }
    for line in where_it_went(result) {
        ctx.io.out(format!("  {line}"));
    }
}
