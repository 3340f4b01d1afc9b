//! `forgeflow export <generation> --zip|--tar [--out DIR] | --github … | --gitlab …`: request the
//! export, wait for it (`GET /exports/{id}`), then unpack the archive or print where it went.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use super::Ctx;
use crate::api::{Api, connection, encode};
use crate::archive::{self, Format};
use crate::args::ExportArgs;
use crate::error::CliError;
use crate::output::field;
use crate::progress::Spinner;

const POLL_EVERY: Duration = Duration::from_millis(500);

pub async fn export(ctx: &mut Ctx<'_>, args: ExportArgs) -> Result<(), CliError> {
    ctx.api.token()?;
    let body = json!({"target": args.target.to_json()});
    let started = ctx
        .api
        .post(&format!("/generations/{}/exports", encode(&args.generation)), &body)
        .await?;
    let id = field(&started, "id");
    let spinner = Spinner::new(ctx.io, ctx.json(), "export");
    let export = wait(&ctx.api, &id, &spinner).await?;
    if export["status"] != "succeeded" {
        spinner.done(false, "failed");
        if ctx.json() {
            ctx.io.json(&export);
        }
        return Err(CliError::Failed(format!(
            "export {id} failed: {}",
            export["error"].as_str().unwrap_or("no reason given")
        )));
    }
    spinner.clear();
    let result = &export["result"];
    let format = if args.target.zip { Format::Zip } else { Format::TarGz };
    let unpacked = match (&args.out, result["download_url"].as_str()) {
        (Some(out), Some(url)) => Some(download(&ctx.api, url, format, out).await?),
        _ => None,
    };
    if ctx.json() {
        let mut export = export.clone();
        if let Some(path) = &unpacked {
            export["path"] = json!(path.display().to_string());
        }
        ctx.io.json(&export);
        return Ok(());
    }
    ctx.io.out(format!("export {id}: succeeded"));
    if let Some(path) = unpacked {
        ctx.io.out(format!("unpacked into {}", path.display()));
        ctx.io.out(format!("history: git -C {} log", path.display()));
    } else if let Some(url) = result["download_url"].as_str() {
        ctx.io.out(format!("download (link valid for an hour): {url}"));
    }
    for line in where_it_went(result) {
        ctx.io.out(line);
    }
    Ok(())
}

/// A forge export's result, line by line: the repository, the branch and commit, the pull or
/// merge request, whether it merged edits made there and what did not merge.
pub(super) fn where_it_went(result: &Value) -> Vec<String> {
    let mut lines = Vec::new();
    for (label, key) in [
        ("repository", "repository_url"),
        ("branch", "branch"),
        ("commit", "commit_sha"),
        ("pull/merge request", "pull_request_url"),
    ] {
        if let Some(value) = result[key].as_str() {
            lines.push(format!("{label}: {value}"));
        }
    }
    if result["merged"] == true {
        lines.push("merged: the branch had edits since the last export; they are kept".into());
    }
    for conflict in result["conflicts"].as_array().into_iter().flatten() {
        lines.push(format!(
            "conflict: {} ({})",
            field(conflict, "path"),
            field(conflict, "kind")
        ));
    }
    lines
}

/// Polls the export until it succeeds or fails.
pub(super) async fn wait(api: &Api, id: &str, spinner: &Spinner) -> Result<Value, CliError> {
    let path = format!("/exports/{}", encode(id));
    loop {
        let export = api.get(&path).await?;
        match export["status"].as_str() {
            Some("succeeded" | "failed") => return Ok(export),
            _ => spinner.message(&format!("{id} · {}", field(&export, "phase"))),
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// Downloads the archive to a temporary file and unpacks it into `out`.
async fn download(api: &Api, url: &str, format: Format, out: &Path) -> Result<PathBuf, CliError> {
    let mut response = api.fetch(url, None).await?;
    let mut file = tempfile::tempfile().map_err(|err| CliError::io("cannot create a temporary file", err))?;
    while let Some(chunk) = response.chunk().await.map_err(|err| connection(url, &err))? {
        file.write_all(&chunk)
            .map_err(|err| CliError::io("cannot write the download", err))?;
    }
    let out = out.to_owned();
    tokio::task::spawn_blocking(move || archive::unpack(&mut file, format, &out))
        .await
        .map_err(|err| CliError::io("unpacking", std::io::Error::other(err)))?
}
