//! The offline provider: no network, no key, and the same input always gives the same output,
//! byte for byte. It reads the brief and the earlier steps' outputs and writes what each
//! built-in role would: a plan, a file tree, real files for the template, a review.
//!
//! Limits: the English is heuristic (clauses become stories, nouns after verbs and articles
//! become entities); entities get a `name` and `notes` field, not fields read from the brief;
//! a custom contract gets placeholder values (see `placeholder`), which cannot satisfy
//! `pattern`, `not`, `if/then`, `dependentSchemas` or remote `$ref`s.

mod architect;
mod change;
mod criteria;
mod engineer;
mod lexicon;
mod placeholder;
mod plan;
mod python_fastapi;
mod react_vite;
mod review;
mod rust_axum;
mod words;

use forgeflow_domain::agent::{Agent, AgentRole, FileTreeOutput, FilesOutput, PlanOutput, WrittenFile};
use forgeflow_domain::project::Template;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::contract::Contract;
use crate::input::AgentInput;

/// What the offline roles know about the step: the input, and the earlier outputs it recognises.
pub(crate) struct Context<'a> {
    pub input: &'a AgentInput,
    pub template: Template,
    pub plan: Option<PlanOutput>,
    pub tree: Option<FileTreeOutput>,
    /// Every file the earlier engineer steps wrote, first writer wins.
    pub files: Vec<WrittenFile>,
}

impl<'a> Context<'a> {
    pub(crate) fn new(input: &'a AgentInput) -> Self {
        let values: Vec<&Value> = input.inputs.values().flat_map(candidates).collect();
        let plan = values.iter().find_map(|v| parse::<PlanOutput>(v));
        let tree = values
            .iter()
            .find_map(|v| parse::<FileTreeOutput>(v).filter(|t| !t.files.is_empty()));
        let mut files: Vec<WrittenFile> = Vec::new();
        for written in values.iter().filter_map(|v| parse::<FilesOutput>(v)) {
            for file in written.files {
                if !files.iter().any(|known| known.path == file.path) {
                    files.push(file);
                }
            }
        }
        Context {
            input,
            template: input.template,
            plan,
            tree,
            files,
        }
    }

    /// The project's package name (`book_loans`).
    pub(crate) fn package(&self) -> String {
        words::package_name(&self.input.project_name)
    }

    /// The project name, safe to embed in code and prose.
    pub(crate) fn title(&self) -> String {
        let title = words::plain(&self.input.project_name, 80);
        if title.is_empty() {
            "Generated project".to_owned()
        } else {
            title
        }
    }

    /// The brief's first sentence, safe to embed in comments.
    pub(crate) fn summary(&self) -> String {
        let first = words::clauses(&self.input.brief).into_iter().next().unwrap_or_default();
        words::plain(&first, 160)
    }
}

/// A dependency's output, or (one level down) a value inside it, in case a step wraps its output.
fn candidates(value: &Value) -> Vec<&Value> {
    let mut out = vec![value];
    if let Value::Object(map) = value {
        out.extend(map.values().filter(|v| v.is_object()));
    }
    out
}

fn parse<T: DeserializeOwned>(value: &Value) -> Option<T> {
    serde_json::from_value(value.clone()).ok()
}

/// The offline answer for `agent`: its role's output if that meets the agent's contract, else
/// placeholder values built from the contract itself; `Err` when neither meets it.
pub(crate) fn respond(agent: &Agent, input: &AgentInput, contract: &Contract) -> Result<Value, String> {
    let context = Context::new(input);
    if let Some(change) = &input.change
        && let Some(output) = change::respond(agent.role, &context, change)?
    {
        return contract.check(&output).map(|()| output).map_err(|reason| {
            format!("the offline answer to the change does not meet this agent's contract ({reason})")
        });
    }
    let by_role = match agent.role {
        AgentRole::ProductManager => Some(to_value(plan::write(&context))),
        AgentRole::Architect => Some(to_value(architect::plan(&context))),
        AgentRole::Engineer => Some(to_value(engineer::write(&context))),
        AgentRole::Reviewer => Some(to_value(review::review(&context))),
        AgentRole::Custom => None,
    };
    if let Some(output) = by_role.filter(|output| contract.check(output).is_ok()) {
        return Ok(output);
    }
    let placeholder = placeholder::fill(&agent.output_contract, &context);
    contract.check(&placeholder).map(|()| placeholder).map_err(|reason| {
        format!("cannot produce output for this contract without a model ({reason}); give the agent a real provider")
    })
}

fn to_value<T: serde::Serialize>(output: T) -> Value {
    serde_json::to_value(output).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests;
