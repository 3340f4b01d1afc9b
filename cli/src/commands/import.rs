//! `forgeflow import <project> --archive PATH | --github OWNER/NAME | --gitlab GROUP/NAME`:
//! starts the import (`POST /projects/{id}/imports`), uploads an archive to the presigned URL
//! and starts it, then waits for the generation (`GET /generations/{id}`).

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use super::Ctx;
use crate::api::encode;
use crate::args::ImportArgs;
use crate::error::CliError;
use crate::output::field;
use crate::progress::Spinner;

const POLL_EVERY: Duration = Duration::from_millis(500);

pub async fn import(ctx: &mut Ctx<'_>, args: ImportArgs) -> Result<(), CliError> {
    ctx.api.token()?;
    let (source, archive) = source(&args)?;
    let created = ctx
        .api
        .post(
            &format!("/projects/{}/imports", encode(&args.project)),
            &json!({"source": source}),
        )
        .await?;
    let id = field(&created["generation"], "id");
    let spinner = Spinner::new(ctx.io, ctx.json(), "import");
    if let Some(bytes) = archive {
        spinner.message(&format!("{id} · uploading {} bytes", bytes.len()));
        let upload = &created["upload"];
        let headers: Vec<(String, String)> = upload["headers"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(name, value)| Some((name.clone(), value.as_str()?.to_owned())))
            .collect();
        ctx.api.upload(&field(upload, "url"), &headers, bytes).await?;
        ctx.api
            .post(&format!("/generations/{}/import", encode(&id)), &json!({}))
            .await?;
    }
    let generation = loop {
        let generation = ctx.api.get(&format!("/generations/{}", encode(&id))).await?;
        match generation["status"].as_str() {
            Some("ready" | "failed") => break generation,
            _ => spinner.message(&format!("{id} · {}", field(&generation, "status"))),
        }
        tokio::time::sleep(POLL_EVERY).await;
    };
    if generation["status"] != "ready" {
        spinner.done(false, "failed");
        return Err(CliError::Failed(format!(
            "import {id} failed: {}",
            generation["error"].as_str().unwrap_or("no reason given")
        )));
    }
    spinner.clear();
    if ctx.json() {
        ctx.io.json(&generation);
        return Ok(());
    }
    ctx.io.out(format!(
        "imported {} files as generation {id}",
        field(&generation, "file_count")
    ));
    let imported = &generation["imported"];
    if let Some(commit) = imported["commit"].as_str() {
        let history = match imported["history_commits"].as_u64() {
            Some(commits) if commits > 0 => format!("{commits} commits of history kept"),
            _ => "its history stays on the forge; exports there continue it".to_owned(),
        };
        ctx.io.out(format!("commit: {commit} ({history})"));
    }
    for refused in generation["refused"].as_array().into_iter().flatten() {
        ctx.io.out(format!(
            "left out: {} ({})",
            field(refused, "path"),
            field(refused, "reason")
        ));
    }
    Ok(())
}

/// The API's `source`, and the archive's bytes for an upload.
fn source(args: &ImportArgs) -> Result<(Value, Option<Vec<u8>>), CliError> {
    let with_branch = |mut source: Value| {
        if let Some(branch) = &args.branch {
            source["branch"] = json!(branch);
        }
        source
    };
    if let Some(repository) = &args.github {
        return Ok((with_branch(json!({"type": "github", "repository": repository})), None));
    }
    if let Some(project) = &args.gitlab {
        let mut source = with_branch(json!({"type": "gitlab", "project": project}));
        if let Some(url) = &args.gitlab_url {
            source["base_url"] = json!(url);
        }
        return Ok((source, None));
    }
    let path = args.archive.as_deref().unwrap_or(Path::new(""));
    let name = path.to_string_lossy().to_lowercase();
    let format = if name.ends_with(".zip") {
        "zip"
    } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        "tar.gz"
    } else {
        return Err(CliError::Usage(format!(
            "{} is neither a .zip nor a .tar.gz",
            path.display()
        )));
    };
    let bytes = std::fs::read(path).map_err(|err| CliError::io(format!("cannot read {}", path.display()), err))?;
    Ok((
        json!({"type": "upload", "format": format, "size": bytes.len()}),
        Some(bytes),
    ))
}
