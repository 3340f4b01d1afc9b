//! `forgeflow diff <generation> [--against <generation>] [--stat]`: every page of
//! `GET /generations/{id}/diff`, printed as `git diff` would (or as `git diff --stat`).

use serde_json::{Value, json};

use super::Ctx;
use crate::api::encode;
use crate::args::DiffArgs;
use crate::error::CliError;
use crate::output::field;

pub async fn diff(ctx: &mut Ctx<'_>, args: DiffArgs) -> Result<(), CliError> {
    let mut files = Vec::new();
    let mut cursor: Option<String> = None;
    let first = loop {
        let mut path = format!("/generations/{}/diff?limit=100", encode(&args.generation));
        if let Some(against) = &args.against {
            path.push_str(&format!("&against={}", encode(against)));
        }
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={}", encode(cursor)));
        }
        let mut page = ctx.api.get(&path).await?;
        files.extend(page["files"].as_array_mut().map(std::mem::take).unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break page,
        }
    };
    if ctx.json() {
        ctx.io.json(&json!({
            "generation_id": first["generation_id"],
            "against": first["against"],
            "stat": first["stat"],
            "files": files,
        }));
        return Ok(());
    }
    for file in &files {
        if args.stat {
            ctx.io.out(stat_line(file));
        } else {
            print_file(ctx, file);
        }
    }
    ctx.io.out(summary(&first["stat"]));
    Ok(())
}

/// One file as `git diff --stat` lists it: status, path, lines added and removed.
fn stat_line(file: &Value) -> String {
    let path = match file["old_path"].as_str() {
        Some(old) => format!("{old} => {}", field(file, "path")),
        None => field(file, "path"),
    };
    let change = if file["binary"] == true {
        "binary".to_owned()
    } else if file["too_large"] == true {
        "too large to diff".to_owned()
    } else {
        format!("+{} -{}", file["additions"], file["deletions"])
    };
    format!("{:<9} {path} ({change})", field(file, "status"))
}

fn print_file(ctx: &mut Ctx<'_>, file: &Value) {
    let path = field(file, "path");
    let old = file["old_path"].as_str().map_or_else(|| path.clone(), str::to_owned);
    ctx.io.out(format!("diff --forgeflow a/{old} b/{path}"));
    match field(file, "status").as_str() {
        "added" => ctx.io.out(format!("new file mode {}", field(file, "new_mode"))),
        "deleted" => ctx.io.out(format!("deleted file mode {}", field(file, "old_mode"))),
        "renamed" => {
            ctx.io.out(format!("rename from {old}"));
            ctx.io.out(format!("rename to {path}"));
        }
        _ if file["old_mode"] != file["new_mode"] => {
            ctx.io.out(format!("old mode {}", field(file, "old_mode")));
            ctx.io.out(format!("new mode {}", field(file, "new_mode")));
        }
        _ => {}
    }
    if file["binary"] == true {
        ctx.io.out(format!("Binary files a/{old} and b/{path} differ"));
    } else if file["too_large"] == true {
        ctx.io.out("(too large to diff)");
    } else if let Some(patch) = file["patch"].as_str() {
        ctx.io.out(patch.trim_end_matches('\n'));
    }
}

fn summary(stat: &Value) -> String {
    format!(
        "{} files changed: {} added, {} modified, {} deleted, {} renamed",
        stat["files_changed"], stat["added"], stat["modified"], stat["deleted"], stat["renamed"]
    )
}
