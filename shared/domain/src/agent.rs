//! Agents: who does a step (role, prompt, model, provider) and the contract its output must meet.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::text::bounded;
use crate::user::User;
use crate::{Id, ValidationError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Agent {
    /// Built-in agents have a slug (`product-manager`); users' agents a UUID.
    pub id: String,
    pub name: String,
    pub role: AgentRole,
    pub system_prompt: String,
    pub provider: ProviderKind,
    pub model: String,
    /// JSON Schema (draft 2020-12) the agent's JSON output is validated against.
    #[schema(value_type = Object)]
    pub output_contract: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub owner: Option<Id<User>>,
}

/// Body of `POST /agents`. An agent may take a built-in role (e.g. an engineer on another
/// provider); it then keeps that role's contract, since later stages read its output.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAgent {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[schema(min_length = 1, max_length = 20_000)]
    pub system_prompt: String,
    #[serde(default = "custom")]
    pub role: AgentRole,
    #[serde(default)]
    pub provider: ProviderKind,
    /// The provider's default model when absent.
    #[schema(min_length = 1, max_length = 200)]
    pub model: Option<String>,
    /// A JSON Schema; required for a `custom` agent, left out for a built-in role (its own applies).
    #[schema(value_type = Option<Object>)]
    pub output_contract: Option<Value>,
}

fn custom() -> AgentRole {
    AgentRole::Custom
}

/// How deeply a custom contract may nest (objects and arrays, the contract itself being 1).
/// DynamoDB stores documents at most 32 levels deep, and an execution keeps its agents' contracts
/// three levels down (`agents[i].output_contract`); real schemas need a handful of levels.
pub const MAX_CONTRACT_DEPTH: usize = 20;

/// Why DynamoDB could not hold `value` (at nesting `level`) as a document, if it could not:
/// nested deeper than [`MAX_CONTRACT_DEPTH`], an empty member name, or a number outside
/// DynamoDB's range (magnitude 1e-130 to below 1e126). Any JSON Schema that means something fits.
fn unstorable(value: &Value, level: usize) -> Option<String> {
    let children: Vec<&Value> = match value {
        Value::Object(map) if map.contains_key("") => return Some("has an empty property name".into()),
        Value::Object(map) => map.values().collect(),
        Value::Array(items) => items.iter().collect(),
        Value::Number(number) => {
            let magnitude = number.as_f64().unwrap_or_default().abs();
            return (magnitude != 0.0 && !(1e-130..1e126).contains(&magnitude))
                .then(|| format!("has the number {number}, outside 1e-130 to 1e126 in magnitude"));
        }
        _ => return None,
    };
    if level > MAX_CONTRACT_DEPTH {
        return Some(format!(
            "must nest at most {MAX_CONTRACT_DEPTH} levels of objects and arrays"
        ));
    }
    children.into_iter().find_map(|child| unstorable(child, level + 1))
}

impl CreateAgent {
    /// The agent, once its text fields pass. The contract's validity as a schema is checked by
    /// the caller, which owns the schema engine.
    pub fn into_agent(self, owner: Id<User>) -> Result<Agent, ValidationError> {
        let output_contract = match (self.role, self.output_contract) {
            (AgentRole::Custom, Some(contract)) => {
                if let Some(reason) = unstorable(&contract, 1) {
                    return Err(ValidationError::new("output_contract", reason));
                }
                crate::contract::check(&contract)
                    .map_err(|reason| ValidationError::new("output_contract", reason.to_string()))?;
                contract
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Must,
    Should,
    Could,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn nested(levels: usize) -> Value {
        (1..levels).fold(
            json!({"type": "object"}),
            |inner, _| json!({"type": "object", "properties": {"a": inner}}),
        )
    }

    fn custom(contract: Value) -> Result<Agent, ValidationError> {
        CreateAgent {
            name: "Deep".into(),
            system_prompt: "Answer in JSON.".into(),
            role: AgentRole::Custom,
            provider: ProviderKind::Offline,
            model: None,
            output_contract: Some(contract),
        }
        .into_agent(Id::new())
    }

    /// Levels of objects and arrays in `value`: 0 for a scalar.
    fn depth(value: &Value) -> usize {
        match value {
            Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
            Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
            _ => 0,
        }
    }

    #[test]
    fn a_contract_nested_deeper_than_the_store_keeps_is_refused() {
        let at_limit = (1..).map(nested).find(|c| depth(c) >= MAX_CONTRACT_DEPTH - 1).unwrap();
        assert!(custom(at_limit).is_ok());
        let too_deep = (1..).map(nested).find(|c| depth(c) > MAX_CONTRACT_DEPTH).unwrap();
        let err = custom(too_deep).unwrap_err();
        assert_eq!(err.field, "output_contract");
        assert!(err.message.contains("nest at most"), "{}", err.message);
    }

    #[test]
    fn empty_property_names_and_numbers_dynamodb_cannot_hold_are_refused() {
        for contract in [
            json!({"type": "object", "properties": {"": {}}}),
            json!({"type": "number", "maximum": 1e300}),
            json!({"type": "number", "multipleOf": 1e-200}),
            json!({"enum": [[{"": 1}]]}),
        ] {
            assert_eq!(
                custom(contract.clone()).unwrap_err().field,
                "output_contract",
                "{contract}"
            );
        }
        let ordinary = json!({
            "type": "object",
            "properties": {"n": {"type": "number", "minimum": -1e20, "multipleOf": 0.01, "maximum": 0}}
        });
        assert!(custom(ordinary).is_ok());
    }

    #[test]
    fn the_built_in_contracts_are_storable() {
        for role in [
            AgentRole::ProductManager,
            AgentRole::Architect,
            AgentRole::Engineer,
            AgentRole::Reviewer,
        ] {
            let contract = crate::catalog::contract_of(role);
            assert_eq!(unstorable(&contract, 1), None, "{role:?}");
            assert!(depth(&contract) <= MAX_CONTRACT_DEPTH, "{role:?}");
        }
    }
}
