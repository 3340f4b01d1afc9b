//! `forgeflow schedule set|show|rm <project>`: `PUT/GET/DELETE /projects/{id}/export-schedule`.

use serde_json::{Value, json};

use super::Ctx;
use crate::api::encode;
use crate::args::{ScheduleCommand, SetScheduleArgs};
use crate::error::CliError;
use crate::output::field;

pub async fn schedule(ctx: &mut Ctx<'_>, command: ScheduleCommand) -> Result<(), CliError> {
    match command {
        ScheduleCommand::Set(args) => set(ctx, args).await,
        ScheduleCommand::Show { project } => {
            let schedule = ctx.api.get(&path(&project)).await?;
            show(ctx, &schedule);
            Ok(())
        }
        ScheduleCommand::Rm { project } => {
            ctx.api.delete(&path(&project)).await?;
            if ctx.json() {
                ctx.io.json(&json!({"project_id": project, "removed": true}));
            } else {
                ctx.io.out(format!("removed the export schedule of project {project}"));
            }
            Ok(())
        }
    }
}

fn path(project: &str) -> String {
    format!("/projects/{}/export-schedule", encode(project))
}

async fn set(ctx: &mut Ctx<'_>, args: SetScheduleArgs) -> Result<(), CliError> {
    let mut body = json!({
        "expression": args.cron,
        "target": args.target.to_json(),
        "enabled": !args.disabled,
    });
    if let Some(zone) = &args.timezone {
        body["time_zone"] = json!(zone);
    }
    let schedule = ctx.api.put(&path(&args.project), &body).await?;
    show(ctx, &schedule);
    Ok(())
}

fn show(ctx: &mut Ctx<'_>, schedule: &Value) {
    if ctx.json() {
        ctx.io.json(schedule);
        return;
    }
    let target = &schedule["target"];
    let place = match target["type"].as_str() {
        Some("github") => format!("github {}", field(target, "repository")),
        Some("gitlab") => format!("gitlab {}", field(target, "project")),
        _ => field(target, "type"),
    };
    ctx.io.out(format!(
        "project {}: export to {place} on \"{}\" ({}){}",
        field(schedule, "project_id"),
        field(schedule, "expression"),
        field(schedule, "time_zone"),
        if schedule["enabled"] == false { ", disabled" } else { "" }
    ));
    ctx.io.out(format!("next run: {}", field(schedule, "next_run")));
}
