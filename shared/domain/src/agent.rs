//! Agents: who does a step (role, prompt, model, provider) and the contract its output must meet.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::text::bounded;
use crate::user::User;
use crate::{Id, ValidationError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentRole {
    ProductManager,
    Architect,
    Engineer,
    Reviewer,
    /// A user's own agent; its output is checked only against its own contract.
    Custom,
}

impl AgentRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProductManager => "product_manager",
            Self::Architect => "architect",
            Self::Engineer => "engineer",
            Self::Reviewer => "reviewer",
            Self::Custom => "custom",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// Deterministic, no network, no key: the default.
    #[default]
    Offline,
    /// Any OpenAI-compatible chat completions endpoint (OpenAI, Ollama, vLLM, OpenRouter).
    Openai,
    /// Anthropic Messages API.
    Anthropic,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    /// Built-in agents have a slug (`product-manager`); users' agents a UUID.
    pub id: String,
    pub name: String,
    pub role: AgentRole,
    pub system_prompt: String,
    pub provider: ProviderKind,
    pub model: String,
    /// JSON Schema (draft 2020-12) the agent's JSON output is validated against.
    pub output_contract: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Id<User>>,
}

/// Body of `POST /agents`. An agent may take a built-in role (e.g. an engineer on another
/// provider); it then keeps that role's contract, since later stages read its output.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateAgent {
    pub name: String,
    pub system_prompt: String,
    #[serde(default = "custom")]
    pub role: AgentRole,
    #[serde(default)]
    pub provider: ProviderKind,
    pub model: Option<String>,
    pub output_contract: Option<Value>,
}

fn custom() -> AgentRole {
    AgentRole::Custom
}

impl CreateAgent {
    /// The agent, once its text fields pass. The contract's validity as a schema is checked by
    /// the caller, which owns the schema engine.
    pub fn into_agent(self, owner: Id<User>) -> Result<Agent, ValidationError> {
        let output_contract = match (self.role, self.output_contract) {
            (AgentRole::Custom, Some(contract)) if contract.is_object() => contract,
            (AgentRole::Custom, Some(_)) => {
                return Err(ValidationError::new("output_contract", "must be a JSON Schema object"));
            }
            (AgentRole::Custom, None) => {
                return Err(ValidationError::new(
                    "output_contract",
                    "is required for a custom agent",
                ));
            }
            (role, None) => crate::catalog::contract_of(role),
            (_, Some(_)) => {
                return Err(ValidationError::new(
                    "output_contract",
                    "must be left out for a built-in role: the role's own contract applies",
                ));
            }
        };
        let model = match self.model {
            Some(model) => bounded("model", &model, 200, false)?,
            None => default_model(self.provider).to_owned(),
        };
        Ok(Agent {
            id: Id::<Agent>::new().to_string(),
            name: bounded("name", &self.name, 100, false)?,
            role: self.role,
            system_prompt: bounded("system_prompt", &self.system_prompt, 20_000, true)?,
            provider: self.provider,
            model,
            output_contract,
            owner: Some(owner),
        })
    }
}

pub fn default_model(provider: ProviderKind) -> &'static str {
    match provider {
        ProviderKind::Offline => "offline-1",
        ProviderKind::Openai => "gpt-4o-mini",
        ProviderKind::Anthropic => "claude-3-5-haiku-latest",
    }
}

// ---- The built-in roles' outputs. Their JSON Schemas below are the contracts. ----

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanOutput {
    pub stories: Vec<Story>,
    pub sprints: Vec<Sprint>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Story {
    pub id: String,
    pub title: String,
    pub as_a: String,
    pub i_want: String,
    pub so_that: String,
    pub acceptance_criteria: Vec<String>,
    pub estimate_points: u32,
    pub priority: Priority,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Must,
    Should,
    Could,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sprint {
    pub number: u32,
    pub goal: String,
    pub story_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileTreeOutput {
    pub files: Vec<PlannedFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedFile {
    pub path: String,
    pub purpose: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilesOutput {
    pub files: Vec<WrittenFile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WrittenFile {
    pub path: String,
    pub content: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewOutput {
    pub summary: String,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Minor,
    Major,
    Critical,
}
