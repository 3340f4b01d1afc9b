//! The built-in agents and their output contracts.

use serde_json::{Value, json};

use crate::agent::{Agent, AgentRole, ProviderKind, default_model};

fn string() -> Value {
    json!({"type": "string", "minLength": 1})
}

pub fn plan_contract() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["stories", "sprints"],
        "properties": {
            "stories": {"type": "array", "minItems": 1, "items": {
                "type": "object",
                "required": ["id", "title", "as_a", "i_want", "so_that", "acceptance_criteria", "estimate_points", "priority"],
                "properties": {
                    "id": string(), "title": string(), "as_a": string(), "i_want": string(), "so_that": string(),
                    "acceptance_criteria": {"type": "array", "minItems": 1, "items": string()},
                    "estimate_points": {"type": "integer", "minimum": 1, "maximum": 21},
                    "priority": {"enum": ["must", "should", "could"]}
                }
            }},
            "sprints": {"type": "array", "minItems": 1, "items": {
                "type": "object",
                "required": ["number", "goal", "story_ids"],
                "properties": {
                    "number": {"type": "integer", "minimum": 1},
                    "goal": string(),
                    "story_ids": {"type": "array", "minItems": 1, "items": string()}
                }
            }}
        }
    })
}

pub fn file_tree_contract() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["files"],
        "properties": {"files": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["path", "purpose"],
            "properties": {"path": string(), "purpose": string()}
        }}}
    })
}

pub fn files_contract() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["files"],
        "properties": {"files": {"type": "array", "items": {
            "type": "object", "required": ["path", "content"],
            "properties": {"path": string(), "content": {"type": "string"}}
        }}}
    })
}

/// A change request's patch ([`crate::patch::Patch`]): each edit adds, modifies (whole content
/// or unified diff), deletes or renames one file.
pub fn patch_contract() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["edits"],
        "properties": {"edits": {"type": "array", "minItems": 1, "items": {
            "type": "object",
            "required": ["op"],
            "properties": {
                "op": {"enum": ["add", "modify", "delete", "rename"]},
                "path": string(), "from": string(), "to": string(),
                "content": {"type": "string"}, "diff": string()
            }
        }}}
    })
}

pub fn review_contract() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["summary", "findings"],
        "properties": {
            "summary": string(),
            "findings": {"type": "array", "items": {
                "type": "object", "required": ["severity", "message"],
                "properties": {
                    "severity": {"enum": ["info", "minor", "major", "critical"]},
                    "path": {"type": "string"},
                    "message": string()
                }
            }}
        }
    })
}

/// The contract of a built-in role (`Custom` has none of its own: an empty object schema).
pub fn contract_of(role: AgentRole) -> Value {
    match role {
        AgentRole::ProductManager => plan_contract(),
        AgentRole::Architect => file_tree_contract(),
        AgentRole::Engineer => files_contract(),
        AgentRole::Reviewer => review_contract(),
        AgentRole::Custom => json!({"type": "object"}),
    }
}

fn builtin(id: &str, name: &str, role: AgentRole, prompt: &str, contract: Value) -> Agent {
    Agent {
        id: id.to_owned(),
        name: name.to_owned(),
        role,
        system_prompt: prompt.to_owned(),
        provider: ProviderKind::Offline,
        model: default_model(ProviderKind::Offline).to_owned(),
        output_contract: contract,
        owner: None,
    }
}

/// The built-in catalog, in workflow order.
pub fn builtin_agents() -> Vec<Agent> {
    vec![
        builtin(
            "product-manager",
            "Product manager",
            AgentRole::ProductManager,
            "You are a product manager. From the project brief, write user stories (as a / I want / so that) with testable acceptance criteria, a priority (must/should/could) and an estimate in story points (1, 2, 3, 5, 8, 13), then group them into sprints of about 13 points, most valuable first. Answer with JSON only, matching the schema.",
            plan_contract(),
        ),
        builtin(
            "architect",
            "Architect",
            AgentRole::Architect,
            "You are a software architect. From the brief, the template and the user stories, lay out the project's file tree: every file the engineers must write, with one sentence on its purpose. Use the template's language and conventions. Answer with JSON only, matching the schema.",
            file_tree_contract(),
        ),
        builtin(
            "engineer",
            "Engineer",
            AgentRole::Engineer,
            "You are a senior engineer. Write the complete contents of the files you are given, following the architect's purposes and the stories' acceptance criteria. Code must compile and include tests. Answer with JSON only, matching the schema.",
            files_contract(),
        ),
        builtin(
            "patch-engineer",
            "Patch engineer",
            AgentRole::Engineer,
            "You are a senior engineer changing an existing project. You are given the change request, every path of the current tree, the relevant files' contents and the updated plan. Answer with a patch: the files to add, modify (the whole new content, or a unified diff against the content you were shown), delete or rename. Keep the project compiling and its tests passing; change nothing the request does not need. Answer with JSON only, matching the schema.",
            patch_contract(),
        ),
        builtin(
            "reviewer",
            "Reviewer",
            AgentRole::Reviewer,
            "You are a code reviewer. Review the files against the stories: correctness, security, tests, clarity. Report findings with a severity (info, minor, major, critical) and the file they concern, and a one-paragraph summary. Answer with JSON only, matching the schema.",
            review_contract(),
        ),
    ]
}

pub fn builtin_agent(id: &str) -> Option<Agent> {
    builtin_agents().into_iter().find(|agent| agent.id == id)
}
