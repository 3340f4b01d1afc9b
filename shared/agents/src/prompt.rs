//! The words sent to a model: the agent's system prompt plus its contract, the step's input,
//! and the repair request after a contract breach.

use forgeflow_domain::agent::Agent;

use crate::input::AgentInput;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    User,
    Assistant,
}

impl Role {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Message {
    pub role: Role,
    pub content: String,
}

/// A conversation: one system prompt, then alternating user/assistant turns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Prompt {
    pub system: String,
    pub messages: Vec<Message>,
}

impl Prompt {
    pub(crate) fn for_step(agent: &Agent, input: &AgentInput) -> Self {
        let contract = serde_json::to_string(&agent.output_contract).unwrap_or_default();
        let system = format!(
            "{}\n\nAnswer with exactly one JSON object and nothing else: no prose, no Markdown fences. \
             It must validate against this JSON Schema (draft 2020-12):\n{contract}",
            agent.system_prompt.trim()
        );
        Prompt {
            system,
            messages: vec![Message {
                role: Role::User,
                content: user_message(input),
            }],
        }
    }

    /// The same conversation plus the bad answer and what was wrong with it.
    pub(crate) fn with_repair(&self, bad_answer: &str, reason: &str) -> Self {
        let mut repaired = self.clone();
        repaired.messages.push(Message {
            role: Role::Assistant,
            content: bad_answer.to_owned(),
        });
        repaired.messages.push(Message {
            role: Role::User,
            content: format!(
                "Your answer does not satisfy the required JSON Schema:\n{reason}\n\n\
                 Reply with the corrected JSON object only, complete, with nothing before or after it."
            ),
        });
        repaired
    }

    /// Everything sent, for token estimates.
    pub(crate) fn all_text(&self) -> String {
        let mut all = self.system.clone();
        for message in &self.messages {
            all.push_str(&message.content);
        }
        all
    }
}

fn user_message(input: &AgentInput) -> String {
    let mut text = format!(
        "Project: {}\nTemplate: {}\nStep: {}\n\nBrief:\n{}\n",
        input.project_name,
        input.template.as_str(),
        input.step_id,
        input.brief.trim()
    );
    if let Some(instructions) = input.instructions.as_deref().filter(|i| !i.trim().is_empty()) {
        text.push_str(&format!("\nInstructions for this step:\n{}\n", instructions.trim()));
    }
    if !input.inputs.is_empty() {
        let inputs = serde_json::to_string_pretty(&input.inputs).unwrap_or_default();
        text.push_str(&format!(
            "\nOutputs of the earlier steps, by step id (JSON):\n{inputs}\n"
        ));
    }
    if let Some(change) = &input.change {
        text.push_str(&change_message(change));
    }
    text
}

/// A change request: what to change, the tree, the files shown, the plan, and why the last
/// patch did not apply.
fn change_message(change: &forgeflow_domain::change::ChangeContext) -> String {
    let mut text = format!(
        "\nChange request:\n{}\n\nEvery file of the current project ({}):\n{}\n",
        change.request.trim(),
        change.tree.len(),
        change.tree.join("\n")
    );
    for file in &change.files {
        text.push_str(&format!(
            "\n--- {} (current content) ---\n{}\n",
            file.path, file.content
        ));
    }
    if let Some(plan) = &change.plan {
        let plan = serde_json::to_string_pretty(plan).unwrap_or_default();
        text.push_str(&format!("\nThe plan so far (JSON):\n{plan}\n"));
    }
    if let Some(feedback) = &change.feedback {
        text.push_str(&format!(
            "\nYour previous patch did not apply to the project:\n{feedback}\nAnswer with a corrected patch.\n"
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use forgeflow_domain::catalog::builtin_agent;
    use forgeflow_domain::project::Template;
    use serde_json::json;

    fn input() -> AgentInput {
        AgentInput {
            step_id: "code".into(),
            project_name: "Loans".into(),
            brief: "Members borrow books.".into(),
            template: Template::PythonFastapi,
            instructions: Some("tests".into()),
            inputs: [("plan".to_owned(), json!({"stories": []}))].into(),
            change: None,
        }
    }

    #[test]
    fn the_step_prompt_carries_the_contract_brief_instructions_and_inputs() {
        let agent = builtin_agent("engineer").unwrap();
        let prompt = Prompt::for_step(&agent, &input());
        assert!(prompt.system.starts_with(&agent.system_prompt));
        assert!(prompt.system.contains("\"required\":[\"files\"]"));
        let user = &prompt.messages[0].content;
        for part in [
            "Project: Loans",
            "Template: python-fastapi",
            "Members borrow books.",
            "tests",
            "\"plan\"",
        ] {
            assert!(user.contains(part), "missing {part}: {user}");
        }
    }

    #[test]
    fn a_repair_appends_the_bad_answer_and_the_reasons() {
        let agent = builtin_agent("reviewer").unwrap();
        let prompt = Prompt::for_step(&agent, &input()).with_repair("{\"summary\": 1}", "/summary: 1 is not a string");
        let roles: Vec<_> = prompt.messages.iter().map(|m| m.role).collect();
        assert_eq!(roles, [Role::User, Role::Assistant, Role::User]);
        assert_eq!(prompt.messages[1].content, "{\"summary\": 1}");
        assert!(prompt.messages[2].content.contains("/summary: 1 is not a string"));
    }
}
