//! A change request's steps: what they are shown of the project (its tree, the files relevant to
//! the request within a budget, the plan so far), and the engineer's patch checked against the
//! tree before the step may succeed.

use std::collections::BTreeSet;

use forgeflow_agents::{AgentError, AgentInput, AgentRun, Agents, Meter, TokenProgress};
use forgeflow_domain::agent::{Agent, PlanOutput, WrittenFile};
use forgeflow_domain::change::{CONTEXT_BUDGET_BYTES, ChangeContext, ChangeRequest, patch_step, relevant_files};
use forgeflow_domain::generation::{files_prefix, manifest_key};
use forgeflow_domain::manifest::Manifest;
use forgeflow_domain::patch::{self, Patch, PatchConflict};
use forgeflow_store::engine::output_key;
use forgeflow_store::{Engine, StoreError};
use futures_util::{StreamExt, TryStreamExt, stream};

const READ_CONCURRENCY: usize = 16;

/// The generation a change edits, as its steps need it.
pub struct Base {
    pub change: ChangeRequest,
    pub manifest: Manifest,
}

impl Base {
    pub async fn load(engine: &Engine, change: &ChangeRequest) -> Result<Self, StoreError> {
        let manifest = engine.blobs.get_json(&manifest_key(change.base_generation)).await?;
        Ok(Self {
            change: change.clone(),
            manifest,
        })
    }

    /// What every step of the change is told about the project.
    pub async fn context(&self, engine: &Engine) -> Result<ChangeContext, StoreError> {
        let paths = relevant_files(&self.change.request, &self.manifest.files, CONTEXT_BUDGET_BYTES);
        let texts = self.read(engine, paths).await?;
        let files = texts
            .into_iter()
            .filter_map(|(path, bytes)| {
                String::from_utf8(bytes)
                    .ok()
                    .map(|content| WrittenFile { path, content })
            })
            .collect();
        Ok(ChangeContext {
            request: self.change.request.clone(),
            tree: self.manifest.files.iter().map(|file| file.path.clone()).collect(),
            files,
            plan: self.plan(engine).await?,
            feedback: None,
        })
    }

    /// The plan the base generation was made from (the change's product manager updates it).
    async fn plan(&self, engine: &Engine) -> Result<Option<PlanOutput>, StoreError> {
        let Some((execution, _)) = engine.executions.load(self.change.base_execution).await? else {
            return Ok(None);
        };
        Ok(engine.plan_of(&execution).await?.map(|plan| PlanOutput {
            stories: plan.stories,
            sprints: plan.sprints,
        }))
    }

    /// Whether `output` is a patch that applies to the base: `Err` lists why not.
    pub async fn check(
        &self,
        engine: &Engine,
        output: &serde_json::Value,
    ) -> Result<Result<(), Vec<PatchConflict>>, StoreError> {
        let patch: Patch = match serde_json::from_value(output.clone()) {
            Ok(patch) => patch,
            Err(error) => {
                return Ok(Err(vec![PatchConflict {
                    path: "(patch)".into(),
                    reason: format!("not a patch: {error}"),
                }]));
            }
        };
        let applied = self.apply(engine, &patch).await?;
        Ok(applied.map(|_| ()))
    }

    /// The patch applied to the base tree, reading only the files it edits by diff or renames.
    pub async fn apply(
        &self,
        engine: &Engine,
        patch: &Patch,
    ) -> Result<Result<Vec<patch::Applied>, Vec<PatchConflict>>, StoreError> {
        let present: BTreeSet<&str> = self.manifest.files.iter().map(|file| file.path.as_str()).collect();
        let wanted: Vec<String> = patch
            .needs_text()
            .into_iter()
            .filter_map(|path| forgeflow_domain::path::safe_path(path).ok())
            .filter(|path| present.contains(path.as_str()))
            .collect();
        let texts = self.read(engine, wanted).await?;
        let text = |path: &str| {
            texts
                .iter()
                .find(|(known, _)| known == path)
                .and_then(|(_, bytes)| String::from_utf8(bytes.clone()).ok())
        };
        Ok(patch.apply(|path| present.contains(path), text))
    }

    async fn read(&self, engine: &Engine, paths: Vec<String>) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let prefix = files_prefix(self.change.base_generation);
        let blobs = &engine.blobs;
        stream::iter(paths)
            .map(|path| {
                let key = format!("{prefix}{path}");
                async move { blobs.get_bytes(&key).await.map(|bytes| (path, bytes)) }
            })
            .buffered(READ_CONCURRENCY)
            .try_collect()
            .await
    }
}

/// Runs the step's agent; an engineer's patch that does not apply is answered once more with
/// the conflicts as feedback, and fails the step if it still does not. Both answers are paid for.
pub async fn run_engineer(
    agents: &Agents,
    engine: &Engine,
    base: &Base,
    agent: &Agent,
    input: &mut AgentInput,
    meter: &dyn Meter,
    progress: &(dyn Fn(TokenProgress) + Send + Sync),
) -> Result<Result<AgentRun, AgentError>, StoreError> {
    let first = match agents.run(agent, input, meter, progress).await {
        Ok(run) => run,
        Err(error) => return Ok(Err(error)),
    };
    let conflicts = match base.check(engine, &first.output).await? {
        Ok(()) => return Ok(Ok(first)),
        Err(conflicts) => conflicts,
    };
    tracing::info!(
        conflicts = conflicts.len(),
        "the patch does not apply; asking once more"
    );
    if let Some(change) = input.change.as_mut() {
        change.feedback = Some(patch::describe(&conflicts));
    }
    let second = match agents.run(agent, input, meter, progress).await {
        Ok(run) => run,
        Err(error) => return Ok(Err(error)),
    };
    let both = AgentRun {
        attempts: first.attempts + second.attempts,
        input_tokens: first.input_tokens + second.input_tokens,
        output_tokens: first.output_tokens + second.output_tokens,
        cost_usd: first.cost_usd + second.cost_usd,
        ..second
    };
    Ok(match base.check(engine, &both.output).await? {
        Ok(()) => Ok(both),
        Err(conflicts) => Err(AgentError::Unusable {
            reason: patch::describe(&conflicts),
            attempts: both.attempts,
        }),
    })
}

/// The patch the change's patch step wrote.
pub async fn patch_of(
    engine: &Engine,
    execution: &forgeflow_domain::execution::Execution,
) -> Result<Patch, StoreError> {
    let step = patch_step(&execution.workflow, &execution.agents)
        .ok_or_else(|| StoreError::backend("read patch", "the change workflow has no step that writes a patch"))?;
    engine.blobs.get_json(&output_key(execution, &step.id)).await
}
