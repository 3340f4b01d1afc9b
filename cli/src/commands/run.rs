//! `forgeflow run <project> [--workflow W] [--watch]` and `forgeflow change <project> <request>`:
//! start an execution (or a change request's) and, with --watch,
//! follow `execution:{id}` and `generation:{id}` over the WebSocket until the generation is ready.

use forgeflow_domain::execution::ExecutionStatus;
use forgeflow_domain::progress::ProgressEvent;
use serde_json::{Value, json};

use super::Ctx;
use crate::api::encode;
use crate::args::{ApproveArgs, ChangeArgs, RejectArgs, RetryArgs, RunArgs};
use crate::error::CliError;
use crate::output::{bytes, count, field};
use crate::progress::Display;
use crate::watch::{self, Feed, Item};

pub async fn run(ctx: &mut Ctx<'_>, args: RunArgs) -> Result<(), CliError> {
    ctx.api.token()?;
    let mut body = json!({"budget": args.budget.to_json(), "approvals": args.gate});
    if let Some(workflow) = &args.workflow {
        body["workflow"] = json!(workflow);
    }
    let execution = ctx
        .api
        .post(&format!("/projects/{}/executions", encode(&args.project)), &body)
        .await?;
    started(ctx, &execution, args.watch).await
}

/// `forgeflow change <project> <request> [--base G] [--workflow W] [--watch]`: a change request,
/// followed as a run is.
pub async fn change(ctx: &mut Ctx<'_>, args: ChangeArgs) -> Result<(), CliError> {
    ctx.api.token()?;
    let mut body = json!({"request": args.request, "budget": args.budget.to_json()});
    if let Some(base) = &args.base {
        body["base"] = json!(base);
    }
    if let Some(workflow) = &args.workflow {
        body["workflow"] = json!(workflow);
    }
    let execution = ctx
        .api
        .post(&format!("/projects/{}/changes", encode(&args.project)), &body)
        .await?;
    if !ctx.json() {
        ctx.io.out(format!(
            "changing generation {}",
            field(&execution["change"], "base_generation")
        ));
    }
    started(ctx, &execution, args.watch).await
}

async fn started(ctx: &mut Ctx<'_>, execution: &Value, watch: bool) -> Result<(), CliError> {
    follow_from(ctx, execution, watch, 0).await
}

/// Prints the started run and, with `watch`, follows its events numbered after `after`.
async fn follow_from(ctx: &mut Ctx<'_>, execution: &Value, watch: bool, after: u64) -> Result<(), CliError> {
    let id = field(execution, "id");
    if !watch {
        if ctx.json() {
            ctx.io.json(execution);
        } else {
            ctx.io.out(format!(
                "execution {id} started (workflow {}, {} steps)",
                field(&execution["workflow"], "id"),
                steps_of(execution).len()
            ));
            ctx.io.out(format!("generation {id} (once the execution succeeds)"));
        }
        return Ok(());
    }
    if !ctx.json() {
        ctx.io.out(format!("execution {id}"));
        ctx.io.out(format!("generation {id}"));
    }
    follow_and_report(ctx, &id, execution, after).await
}

/// `forgeflow retry <execution> [--max-cost USD] [--max-tokens N] [--watch]`: runs the stopped
/// steps again, with a new budget if one is given.
pub async fn retry(ctx: &mut Ctx<'_>, args: RetryArgs) -> Result<(), CliError> {
    ctx.api.token()?;
    let body = if args.budget.is_set() {
        json!({"budget": args.budget.to_json()})
    } else {
        json!({})
    };
    // Followed from where the earlier attempt ended, not from its old end.
    let events = ctx
        .api
        .get(&format!("/executions/{}/events?limit=1", encode(&args.execution)))
        .await?;
    let after = events["last_seq"].as_u64().unwrap_or(0);
    let execution = ctx
        .api
        .post(&format!("/executions/{}/retry", encode(&args.execution)), &body)
        .await?;
    follow_from(ctx, &execution, args.watch, after).await
}

/// `forgeflow approve <execution> <step> [--edit FILE] [--watch]`: passes the gate the run waits
/// on, with your version of the step's output if given.
pub async fn approve(ctx: &mut Ctx<'_>, args: ApproveArgs) -> Result<(), CliError> {
    ctx.api.token()?;
    let mut body = json!({});
    if let Some(path) = &args.edit {
        let text = std::fs::read_to_string(path)
            .map_err(|err| CliError::io(format!("cannot read {}", path.display()), err))?;
        let output: Value = serde_json::from_str(&text)
            .map_err(|err| CliError::Usage(format!("{} is not JSON: {err}", path.display())))?;
        body["output"] = output;
    }
    decide(ctx, &args.execution, &args.step, "approve", &body, args.watch).await
}

/// `forgeflow reject <execution> <step> --feedback TEXT [--watch]`: the step runs again, told why.
pub async fn reject(ctx: &mut Ctx<'_>, args: RejectArgs) -> Result<(), CliError> {
    ctx.api.token()?;
    let body = json!({"feedback": args.feedback});
    decide(ctx, &args.execution, &args.step, "reject", &body, args.watch).await
}

async fn decide(
    ctx: &mut Ctx<'_>,
    execution: &str,
    step: &str,
    decision: &str,
    body: &Value,
    watch: bool,
) -> Result<(), CliError> {
    let events = ctx
        .api
        .get(&format!("/executions/{}/events?limit=1", encode(execution)))
        .await?;
    let after = events["last_seq"].as_u64().unwrap_or(0);
    let execution = ctx
        .api
        .post(
            &format!("/executions/{}/steps/{}/{decision}", encode(execution), encode(step)),
            body,
        )
        .await?;
    if !watch && !ctx.json() {
        ctx.io.out(format!("step `{step}`: {decision}d; the run goes on"));
        return Ok(());
    }
    follow_from(ctx, &execution, watch, after).await
}

/// `forgeflow watch <execution>`: the same live view for an execution already running (or done).
pub async fn watch(ctx: &mut Ctx<'_>, id: &str) -> Result<(), CliError> {
    ctx.api.token()?;
    let execution = ctx.api.get(&format!("/executions/{}", encode(id))).await?;
    let id = field(&execution, "id");
    if !ctx.json() {
        ctx.io.out(format!("execution {id}"));
        ctx.io.out(format!("generation {id}"));
    }
    follow_and_report(ctx, &id, &execution, 0).await
}

async fn follow_and_report(ctx: &mut Ctx<'_>, id: &str, execution: &Value, after: u64) -> Result<(), CliError> {
    match follow(ctx, id, &steps_of(execution), after).await {
        Ok(outcome) => outcome.report(ctx, id),
        Err(CliError::Connection { url, reason }) => Err(CliError::Connection {
            url,
            reason: format!("{reason} (the execution goes on: follow it again with `forgeflow watch {id}`)"),
        }),
        Err(err) => Err(err),
    }
}

/// The `(id, agent)` of each step of an execution, in workflow order.
fn steps_of(execution: &Value) -> Vec<(String, String)> {
    execution["steps"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|step| (field(step, "id"), field(step, "agent")))
        .collect()
}

/// What the run came to.
#[derive(Debug, Default)]
struct Outcome {
    execution: Option<ExecutionStatus>,
    error: Option<String>,
    /// `Some(Ok((files, bytes)))` once ready, `Some(Err(reason))` if it failed.
    generation: Option<Result<(u64, u64), String>>,
    steps: u64,
    input_tokens: u64,
    output_tokens: u64,
    cost_usd: f64,
    /// The gated step the run waits on, and until when.
    awaiting: Option<(String, String)>,
}

impl Outcome {
    /// Whether nothing more will come (a gate waits on its owner, not on this watch).
    fn settled(&self) -> bool {
        self.generation.is_some()
            || self.awaiting.is_some()
            || matches!(self.execution, Some(status) if status != ExecutionStatus::Succeeded)
    }

    fn take(&mut self, event: &ProgressEvent) {
        match event {
            ProgressEvent::StepCompleted {
                input_tokens,
                output_tokens,
                cost_usd,
                ..
            } => {
                self.steps += 1;
                self.input_tokens += input_tokens;
                self.output_tokens += output_tokens;
                self.cost_usd += cost_usd;
            }
            ProgressEvent::ExecutionFinished { status, error, .. } => {
                self.execution = Some(*status);
                self.error.clone_from(error);
            }
            ProgressEvent::ApprovalRequested { step, deadline } => {
                self.awaiting = Some((step.clone(), deadline.to_rfc3339()));
            }
            ProgressEvent::ApprovalGiven { .. } | ProgressEvent::ApprovalRejected { .. } => self.awaiting = None,
            ProgressEvent::GenerationReady { files, bytes, .. } => self.generation = Some(Ok((*files, *bytes))),
            ProgressEvent::GenerationFailed { error, .. } => self.generation = Some(Err(error.clone())),
            _ => {}
        }
    }

    fn report(&self, ctx: &mut Ctx<'_>, id: &str) -> Result<(), CliError> {
        if let Some((step, deadline)) = &self.awaiting {
            if ctx.json() {
                ctx.io.json(&json!({
                    "type": "result", "execution_id": id, "execution": "awaiting_approval",
                    "step": step, "deadline": deadline,
                    "input_tokens": self.input_tokens, "output_tokens": self.output_tokens, "cost_usd": self.cost_usd,
                }));
            } else {
                ctx.io.out(format!(
                    "execution {id}: awaiting your approval of step `{step}` (until {deadline})"
                ));
                ctx.io.out(format!(
                    "  approve: forgeflow approve {id} {step} [--edit output.json] --watch"
                ));
                ctx.io.out(format!(
                    "  reject:  forgeflow reject {id} {step} --feedback \"what to change\" --watch"
                ));
            }
            return Ok(());
        }
        let execution = self.execution.map_or("unknown", ExecutionStatus::as_str);
        let failure = match (&self.execution, &self.generation) {
            (_, Some(Ok(_))) => None,
            (_, Some(Err(reason))) => Some(format!("generation {id} failed: {reason}")),
            (Some(status), None) => Some(format!(
                "execution {id} {}{}{}",
                status.as_str(),
                self.error
                    .as_deref()
                    .map(|error| format!(": {error}"))
                    .unwrap_or_default(),
                if *status == ExecutionStatus::BudgetExceeded {
                    format!(" (raise it and go on: forgeflow retry {id} --max-cost USD --watch)")
                } else {
                    String::new()
                }
            )),
            (None, None) => Some(format!("execution {id}: the progress feed ended early")),
        };
        if ctx.json() {
            let mut result = json!({
                "type": "result", "execution_id": id, "generation_id": id, "execution": execution,
                "generation": match &self.generation { Some(Ok(_)) => "ready", Some(Err(_)) => "failed", None => "none" },
                "input_tokens": self.input_tokens, "output_tokens": self.output_tokens, "cost_usd": self.cost_usd,
            });
            if let Some(Ok((files, size))) = &self.generation {
                result["files"] = json!(files);
                result["bytes"] = json!(size);
            }
            if let Some(failure) = &failure {
                result["error"] = json!(failure);
            }
            ctx.io.json(&result);
        } else {
            ctx.io.out(format!(
                "execution {id}: {execution} · {} steps · {} tokens in · {} out · ${:.4}",
                self.steps,
                count(self.input_tokens),
                count(self.output_tokens),
                self.cost_usd
            ));
            if let Some(Ok((files, size))) = &self.generation {
                ctx.io.out(format!(
                    "generation {id}: ready · {} files · {}",
                    count(*files),
                    bytes(*size)
                ));
                ctx.io
                    .out(format!("export it: forgeflow export {id} --tar --out ./out"));
            }
        }
        match failure {
            Some(failure) => Err(CliError::Failed(failure)),
            None => Ok(()),
        }
    }
}

async fn follow(ctx: &mut Ctx<'_>, id: &str, steps: &[(String, String)], after: u64) -> Result<Outcome, CliError> {
    let url = watch::ws_url(&ctx.settings, &ctx.api).await;
    let token = ctx.api.token()?.to_owned();
    let topics = [format!("execution:{id}"), format!("generation:{id}")];
    let mut feed = Feed::open(&url, &token, &topics, &[(topics[0].clone(), after)]).await?;
    let mut display = Display::new(ctx.io, ctx.json(), steps);
    let mut outcome = Outcome::default();
    let result = loop {
        if outcome.settled() {
            break Ok(outcome);
        }
        match feed.next().await {
            Ok(Item::Event { topic, raw, event }) => {
                display.show(ctx.io, &topic, &raw, event.as_ref());
                if let Some(event) = &event {
                    outcome.take(event);
                }
            }
            Ok(Item::Refused { topic, code, message }) => {
                break Err(CliError::Api {
                    status: if code == "not_found" { 404 } else { 400 },
                    code,
                    message: format!("{message} (subscribing to {topic})"),
                    field: None,
                });
            }
            Err(err) => break Err(err),
        }
    };
    display.finish();
    result
}
