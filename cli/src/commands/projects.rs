//! `forgeflow projects create|list|show`.

use std::io::Read;

use serde_json::json;

use super::Ctx;
use crate::api::encode;
use crate::args::{CreateProjectArgs, ListProjectsArgs, ProjectsCommand};
use crate::error::CliError;
use crate::output::{field, short};

pub async fn projects(ctx: &mut Ctx<'_>, command: ProjectsCommand) -> Result<(), CliError> {
    match command {
        ProjectsCommand::Create(args) => create(ctx, args).await,
        ProjectsCommand::List(args) => list(ctx, args).await,
        ProjectsCommand::Show { id } => show(ctx, &id).await,
    }
}

async fn create(ctx: &mut Ctx<'_>, args: CreateProjectArgs) -> Result<(), CliError> {
    let brief = if args.brief == "-" {
        let mut brief = String::new();
        ctx.io
            .stdin
            .read_to_string(&mut brief)
            .map_err(|err| CliError::io("cannot read the brief from standard input", err))?;
        brief.trim().to_owned()
    } else {
        args.brief
    };
    let mut body = json!({"name": args.name, "brief": brief});
    if let Some(template) = args.template {
        body["template"] = json!(template);
    }
    let project = ctx.api.post("/projects", &body).await?;
    if ctx.json() {
        ctx.io.json(&project);
    } else {
        ctx.io.out(format!(
            "created project {} \"{}\" (template {})",
            field(&project, "id"),
            field(&project, "name"),
            field(&project, "template")
        ));
        ctx.io
            .out(format!("run it: forgeflow run {} --watch", field(&project, "id")));
    }
    Ok(())
}

async fn list(ctx: &mut Ctx<'_>, args: ListProjectsArgs) -> Result<(), CliError> {
    let mut query = Vec::new();
    if let Some(limit) = args.limit {
        query.push(format!("limit={limit}"));
    }
    if let Some(cursor) = &args.cursor {
        query.push(format!("cursor={}", encode(cursor)));
    }
    let path = if query.is_empty() {
        "/projects".to_owned()
    } else {
        format!("/projects?{}", query.join("&"))
    };
    let page = ctx.api.get(&path).await?;
    if ctx.json() {
        ctx.io.json(&page);
        return Ok(());
    }
    let items = page["items"].as_array().map(Vec::as_slice).unwrap_or_default();
    if items.is_empty() {
        ctx.io
            .out("no projects yet: forgeflow projects create --name … --brief …");
    } else {
        ctx.io
            .out(format!("{:<36}  {:<14}  {:<20}  NAME", "ID", "TEMPLATE", "UPDATED"));
        for project in items {
            ctx.io.out(format!(
                "{:<36}  {:<14}  {:<16}  {}",
                field(project, "id"),
                field(project, "template"),
                field(project, "updated_at")
                    .chars()
                    .take(16)
                    .collect::<String>()
                    .replace('T', " "),
                short(&field(project, "name"), 60)
            ));
        }
    }
    if let Some(cursor) = page["next_cursor"].as_str() {
        ctx.io.out(format!("more: forgeflow projects list --cursor {cursor}"));
    }
    Ok(())
}

async fn show(ctx: &mut Ctx<'_>, id: &str) -> Result<(), CliError> {
    let project = ctx.api.get(&format!("/projects/{}", encode(id))).await?;
    if ctx.json() {
        ctx.io.json(&project);
        return Ok(());
    }
    for key in ["id", "name", "template", "version", "created_at", "updated_at"] {
        ctx.io.out(format!("{key:<11} {}", field(&project, key)));
    }
    if let Some(settings) = project.get("settings").filter(|settings| !settings.is_null()) {
        ctx.io.out(format!("{:<11} {settings}", "settings"));
    }
    ctx.io.out("brief");
    for line in field(&project, "brief").lines() {
        ctx.io.out(format!("  {line}"));
    }
    Ok(())
}
