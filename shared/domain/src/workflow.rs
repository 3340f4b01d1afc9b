//! Workflows: steps that run agents, joined by `depends_on` into a DAG.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::text::bounded;
use crate::user::User;
use crate::{Id, ValidationError};

pub const MAX_STEPS: usize = 50;
pub const FULL_PROJECT: &str = "full-project";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Workflow {
    /// Built-in workflows have a slug (`full-project`); users' workflows a UUID.
    pub id: String,
    pub name: String,
    pub steps: Vec<Step>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub owner: Option<Id<User>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    #[schema(pattern = "^[a-z0-9_-]{1,64}$")]
    pub id: String,
    pub agent: String,
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// Extra guidance for this step's agent (e.g. which part of the tree an engineer writes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 2_000)]
    pub instructions: Option<String>,
    /// `required`: after the step runs, the execution waits for its owner to approve, edit or
    /// reject what it wrote before anything after it runs.
    #[serde(default, skip_serializing_if = "Approval::is_none")]
    pub approval: Approval,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Approval {
    #[default]
    None,
    Required,
}

impl Approval {
    pub fn is_none(&self) -> bool {
        *self == Approval::None
    }
}

/// Body of `POST /workflows`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWorkflow {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[schema(min_items = 1, max_items = 50)]
    pub steps: Vec<Step>,
}

impl CreateWorkflow {
    /// The workflow if its steps form a DAG of known agents; `agent_exists` answers for ids.
    pub fn into_workflow(
        self,
        owner: Id<User>,
        agent_exists: impl Fn(&str) -> bool,
    ) -> Result<Workflow, ValidationError> {
        let workflow = Workflow {
            id: Id::<Workflow>::new().to_string(),
            name: bounded("name", &self.name, 100, false)?,
            steps: self.steps,
            owner: Some(owner),
        };
        workflow.validate(agent_exists)?;
        Ok(workflow)
    }
}

fn is_slug(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

impl Workflow {
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|step| step.id == id)
    }

    /// Gates the steps named in `steps` for this run (`approvals` of a start request): each
    /// must be a step of the workflow.
    pub fn require_approval(&mut self, steps: &[String]) -> Result<(), ValidationError> {
        for id in steps {
            let step = self
                .steps
                .iter_mut()
                .find(|step| step.id == *id)
                .ok_or_else(|| ValidationError::new("approvals", format!("the workflow has no step `{id}`")))?;
            step.approval = Approval::Required;
        }
        Ok(())
    }

    /// Refuses duplicate or malformed step ids, unknown agents, unknown dependencies and cycles,
    /// naming the step at fault (`steps[2].depends_on`).
    pub fn validate(&self, agent_exists: impl Fn(&str) -> bool) -> Result<(), ValidationError> {
        if self.steps.is_empty() {
            return Err(ValidationError::new("steps", "must name at least one step"));
        }
        if self.steps.len() > MAX_STEPS {
            return Err(ValidationError::new(
                "steps",
                format!("must have at most {MAX_STEPS} steps"),
            ));
        }
        let mut seen = BTreeSet::new();
        for (index, step) in self.steps.iter().enumerate() {
            let at = |field: &str| format!("steps[{index}].{field}");
            if !is_slug(&step.id) {
                return Err(ValidationError::new(
                    at("id"),
                    "must be 1-64 characters of a-z, 0-9, - and _",
                ));
            }
            if !seen.insert(step.id.as_str()) {
                return Err(ValidationError::new(
                    at("id"),
                    format!("step `{}` is defined twice", step.id),
                ));
            }
            if !agent_exists(&step.agent) {
                return Err(ValidationError::new(
                    at("agent"),
                    format!("step `{}` uses unknown agent `{}`", step.id, step.agent),
                ));
            }
            if let Some(instructions) = &step.instructions {
                bounded(&at("instructions"), instructions, 2_000, true)?;
            }
        }
        for (index, step) in self.steps.iter().enumerate() {
            for dependency in &step.depends_on {
                if !seen.contains(dependency.as_str()) {
                    return Err(ValidationError::new(
                        format!("steps[{index}].depends_on"),
                        format!("step `{}` depends on missing step `{dependency}`", step.id),
                    ));
                }
                if dependency == &step.id {
                    return Err(ValidationError::new(
                        format!("steps[{index}].depends_on"),
                        format!("step `{}` depends on itself", step.id),
                    ));
                }
            }
        }
        if let Some(stuck) = self.first_step_in_a_cycle() {
            let index = self.steps.iter().position(|step| step.id == stuck).unwrap_or_default();
            return Err(ValidationError::new(
                format!("steps[{index}].depends_on"),
                format!("step `{stuck}` is part of a dependency cycle"),
            ));
        }
        Ok(())
    }

    /// Kahn's algorithm: whatever cannot be ordered sits on (or behind) a cycle.
    fn first_step_in_a_cycle(&self) -> Option<String> {
        let mut remaining: BTreeMap<&str, usize> = self
            .steps
            .iter()
            .map(|step| (step.id.as_str(), step.depends_on.len()))
            .collect();
        let mut ready: Vec<&str> = remaining.iter().filter(|(_, n)| **n == 0).map(|(id, _)| *id).collect();
        while let Some(done) = ready.pop() {
            remaining.remove(done);
            for step in self
                .steps
                .iter()
                .filter(|step| step.depends_on.iter().any(|d| d == done))
            {
                if let Some(count) = remaining.get_mut(step.id.as_str()) {
                    *count -= 1;
                    if *count == 0 {
                        ready.push(step.id.as_str());
                    }
                }
            }
        }
        self.steps
            .iter()
            .find(|step| remaining.contains_key(step.id.as_str()))
            .map(|step| step.id.clone())
    }

    /// Steps with no dependencies: where an execution starts.
    pub fn roots(&self) -> Vec<&Step> {
        self.steps.iter().filter(|step| step.depends_on.is_empty()).collect()
    }

    /// Every step `step_id` depends on, directly or through others, in workflow order: what
    /// its agent is given (an engineer sees the plan as well as the file tree).
    pub fn ancestors(&self, step_id: &str) -> Vec<&str> {
        let mut found = std::collections::BTreeSet::new();
        let mut pending: Vec<&str> = self
            .step(step_id)
            .map(|s| s.depends_on.iter().map(String::as_str).collect())
            .unwrap_or_default();
        while let Some(id) = pending.pop() {
            if found.insert(id) {
                pending.extend(
                    self.step(id)
                        .into_iter()
                        .flat_map(|s| s.depends_on.iter().map(String::as_str)),
                );
            }
        }
        self.steps
            .iter()
            .map(|s| s.id.as_str())
            .filter(|id| found.contains(id))
            .collect()
    }

    /// Steps that depend on `step_id`.
    pub fn children(&self, step_id: &str) -> Vec<&Step> {
        self.steps
            .iter()
            .filter(|step| step.depends_on.iter().any(|d| d == step_id))
            .collect()
    }
}

/// The built-in workflow: plan, lay out, write code and tests in parallel, review.
pub fn full_project() -> Workflow {
    let step = |id: &str, agent: &str, depends_on: &[&str], instructions: Option<&str>| Step {
        id: id.to_owned(),
        agent: agent.to_owned(),
        depends_on: depends_on.iter().map(|d| (*d).to_owned()).collect(),
        instructions: instructions.map(str::to_owned),
        approval: Approval::None,
    };
    Workflow {
        id: FULL_PROJECT.to_owned(),
        name: "Full project".to_owned(),
        steps: vec![
            step("plan", "product-manager", &[], None),
            step("architecture", "architect", &["plan"], None),
            step(
                "code",
                "engineer",
                &["architecture"],
                Some("Write the application code (every file that is not a test)."),
            ),
            step(
                "tests",
                "engineer",
                &["architecture"],
                Some("Write the tests (every test file)."),
            ),
            step("review", "reviewer", &["code", "tests"], None),
        ],
        owner: None,
    }
}

/// The built-in change request: update the plan, plan the edit, write the patch, review it.
pub fn change() -> Workflow {
    let step = |id: &str, agent: &str, depends_on: &[&str]| Step {
        id: id.to_owned(),
        agent: agent.to_owned(),
        depends_on: depends_on.iter().map(|d| (*d).to_owned()).collect(),
        instructions: None,
        approval: Approval::None,
    };
    Workflow {
        id: crate::change::CHANGE_WORKFLOW.to_owned(),
        name: "Change request".to_owned(),
        steps: vec![
            step("plan", "product-manager", &[]),
            step("design", "architect", &["plan"]),
            step("patch", "patch-engineer", &["design"]),
            step("review", "reviewer", &["patch"]),
        ],
        owner: None,
    }
}

pub fn builtin_workflows() -> Vec<Workflow> {
    vec![full_project(), change()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workflow(steps: serde_json::Value) -> Result<Workflow, ValidationError> {
        let request: CreateWorkflow = serde_json::from_value(serde_json::json!({"name": "w", "steps": steps})).unwrap();
        request.into_workflow(Id::new(), |agent| agent != "ghost")
    }

    #[test]
    fn the_built_in_workflow_is_a_valid_dag_with_a_diamond() {
        let full = full_project();
        full.validate(|agent| crate::catalog::builtin_agent(agent).is_some())
            .unwrap();
        assert_eq!(full.roots().len(), 1);
        assert_eq!(full.children("architecture").len(), 2);
        assert_eq!(full.step("review").unwrap().depends_on, ["code", "tests"]);
    }

    #[test]
    fn each_broken_definition_is_refused_naming_the_step() {
        let cases = [
            (serde_json::json!([]), "steps", "at least one"),
            (
                serde_json::json!([{"id": "a", "agent": "x"}, {"id": "a", "agent": "x"}]),
                "steps[1].id",
                "twice",
            ),
            (serde_json::json!([{"id": "A b", "agent": "x"}]), "steps[0].id", "a-z"),
            (
                serde_json::json!([{"id": "a", "agent": "ghost"}]),
                "steps[0].agent",
                "unknown agent `ghost`",
            ),
            (
                serde_json::json!([{"id": "a", "agent": "x", "depends_on": ["b"]}]),
                "steps[0].depends_on",
                "missing step `b`",
            ),
            (
                serde_json::json!([{"id": "a", "agent": "x", "depends_on": ["a"]}]),
                "steps[0].depends_on",
                "itself",
            ),
            (
                serde_json::json!([
                    {"id": "root", "agent": "x"},
                    {"id": "a", "agent": "x", "depends_on": ["root", "c"]},
                    {"id": "b", "agent": "x", "depends_on": ["a"]},
                    {"id": "c", "agent": "x", "depends_on": ["b"]}
                ]),
                "steps[1].depends_on",
                "cycle",
            ),
        ];
        for (steps, field, reason) in cases {
            let err = workflow(steps.clone()).unwrap_err();
            assert_eq!(err.field, field, "{steps}");
            assert!(err.message.contains(reason), "{steps}: {}", err.message);
        }
    }

    #[test]
    fn a_step_sees_all_its_ancestors_in_order() {
        let full = full_project();
        assert_eq!(full.ancestors("review"), ["plan", "architecture", "code", "tests"]);
        assert_eq!(full.ancestors("code"), ["plan", "architecture"]);
        assert!(full.ancestors("plan").is_empty());
    }

    #[test]
    fn a_diamond_is_accepted() {
        let ok = workflow(serde_json::json!([
            {"id": "a", "agent": "x"},
            {"id": "b", "agent": "x", "depends_on": ["a"]},
            {"id": "c", "agent": "x", "depends_on": ["a"]},
            {"id": "d", "agent": "x", "depends_on": ["b", "c"]}
        ]));
        assert!(ok.is_ok());
    }
}
