//! `forgeflow estimate <project> [--workflow W]` (`GET /projects/{id}/estimate`) and
//! `forgeflow usage [--month M] [--set-budget --max-cost USD --max-tokens N]` (`GET /usage`,
//! `PUT /usage/budget`).

use serde_json::Value;

use super::Ctx;
use crate::api::encode;
use crate::args::{EstimateArgs, UsageArgs};
use crate::error::CliError;
use crate::output::{count, field};

pub async fn estimate(ctx: &mut Ctx<'_>, args: EstimateArgs) -> Result<(), CliError> {
    ctx.api.token()?;
    let mut path = format!("/projects/{}/estimate", encode(&args.project));
    if let Some(workflow) = &args.workflow {
        path.push_str(&format!("?workflow={}", encode(workflow)));
    }
    let estimate = ctx.api.get(&path).await?;
    if ctx.json() {
        ctx.io.json(&estimate);
        return Ok(());
    }
    ctx.io.out(format!(
        "estimate of {} (list prices; high = every answer at the output limit, one repair each)",
        field(&estimate, "workflow")
    ));
    for step in estimate["steps"].as_array().into_iter().flatten() {
        ctx.io.out(format!(
            "  {:<14} {:<26} {:>9} – {:<9} tokens  {}",
            field(step, "step"),
            field(step, "model"),
            count(total(step, "low")),
            count(total(step, "high")),
            dollars(&step["cost_usd"]),
        ));
    }
    ctx.io.out(format!(
        "  total: {} – {} tokens, {}",
        count(estimate["tokens"]["low"].as_u64().unwrap_or(0)),
        count(estimate["tokens"]["high"].as_u64().unwrap_or(0)),
        dollars(&estimate["cost_usd"])
    ));
    Ok(())
}

fn total(step: &Value, end: &str) -> u64 {
    step["input_tokens"][end].as_u64().unwrap_or(0) + step["output_tokens"][end].as_u64().unwrap_or(0)
}

fn dollars(range: &Value) -> String {
    let at = |end: &str| range[end].as_f64().unwrap_or(0.0);
    format!("${:.4} – ${:.4}", at("low"), at("high"))
}

pub async fn usage(ctx: &mut Ctx<'_>, args: UsageArgs) -> Result<(), CliError> {
    ctx.api.token()?;
    if args.set_budget {
        let budget = ctx.api.put("/usage/budget", &args.budget.to_json()).await?;
        if !ctx.json() {
            ctx.io.out(format!("monthly budget: {}", describe_budget(&budget)));
        }
    }
    let mut path = "/usage".to_owned();
    if let Some(month) = &args.month {
        path.push_str(&format!("?month={}", encode(month)));
    }
    let usage = ctx.api.get(&path).await?;
    if ctx.json() {
        ctx.io.json(&usage);
        return Ok(());
    }
    ctx.io.out(format!(
        "{}: ${:.4}, {} tokens (budget: {})",
        field(&usage, "month"),
        usage["spent"]["cost_usd"].as_f64().unwrap_or(0.0),
        count(usage["spent"]["tokens"].as_u64().unwrap_or(0)),
        describe_budget(&usage["budget"])
    ));
    for (title, key, name) in [
        ("by project", "by_project", "project_id"),
        ("by model", "by_model", "model"),
    ] {
        let rows = usage[key].as_array().cloned().unwrap_or_default();
        if rows.is_empty() {
            continue;
        }
        ctx.io.out(format!("{title}:"));
        for row in rows {
            ctx.io.out(format!(
                "  {:<38} ${:.4}  {} tokens",
                field(&row, name),
                row["cost_usd"].as_f64().unwrap_or(0.0),
                count(row["tokens"].as_u64().unwrap_or(0))
            ));
        }
    }
    Ok(())
}

fn describe_budget(budget: &Value) -> String {
    let parts: Vec<String> = [
        budget["max_cost_usd"].as_f64().map(|cost| format!("${cost}")),
        budget["max_tokens"]
            .as_u64()
            .map(|tokens| format!("{} tokens", count(tokens))),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        "none".to_owned()
    } else {
        parts.join(" / ")
    }
}
