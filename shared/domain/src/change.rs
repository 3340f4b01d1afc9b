//! Change requests: what a user asks to change in a generated project, and which of the project's
//! files the agents are shown for it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::agent::{Agent, PlanOutput, WrittenFile};
use crate::execution::Execution;
use crate::generation::Generation;
use crate::manifest::ManifestEntry;
use crate::workflow::{Step, Workflow};
use crate::{Id, ValidationError, text};

/// The built-in workflow a change request runs.
pub const CHANGE_WORKFLOW: &str = "change";
pub const MAX_REQUEST_CHARS: usize = 4_000;
/// The project's answers file, as Copier keeps `.copier-answers.yml`: the resources and their
/// fields, so a later change edits the model rather than guessing it from the code.
pub const MODEL_FILE: &str = ".forgeflow/model.json";
/// How much of the current tree's text the agents see for a change (about 24k tokens); the
/// manifest's paths are always shown in full.
pub const CONTEXT_BUDGET_BYTES: u64 = 96 * 1024;

/// Body of `POST /projects/{id}/changes`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateChange {
    /// What to change, in a few sentences ("add a field isbn to book").
    pub request: String,
    /// The generation to change; the project's latest ready generation by default.
    #[serde(default)]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub base: Option<Id<Generation>>,
    /// A workflow of yours to run instead of the built-in `change` (its engineers answer patches).
    #[serde(default)]
    pub workflow: Option<String>,
    /// Caps on what this run may spend (USD, tokens); none by default.
    #[serde(default)]
    pub budget: crate::budget::Budget,
}

/// What an execution of the `change` workflow changes, and from which generation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChangeRequest {
    pub request: String,
    #[schema(value_type = uuid::Uuid)]
    pub base_generation: Id<Generation>,
    /// The execution that made the base generation: its plan is the one the change updates.
    #[schema(value_type = uuid::Uuid)]
    pub base_execution: Id<Execution>,
}

impl CreateChange {
    pub fn request(&self) -> Result<String, ValidationError> {
        text::bounded("request", &self.request, MAX_REQUEST_CHARS, true)
    }
}

/// What every step of a change is told besides the brief: the request, the whole tree's paths,
/// the files relevant to the request, the plan so far, and (on the engineer's second try) why
/// its first patch did not apply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeContext {
    pub request: String,
    pub tree: Vec<String>,
    pub files: Vec<WrittenFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanOutput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<String>,
}

/// Whether `agent` answers a patch (its contract requires `edits`): the built-in patch-engineer,
/// or a user's agent with the patch contract.
pub fn writes_patch(agent: &Agent) -> bool {
    agent.output_contract["required"]
        .as_array()
        .is_some_and(|required| required.iter().any(|field| field == "edits"))
}

/// The step whose patch a change applies: the first one whose agent writes patches.
pub fn patch_step<'a>(workflow: &'a Workflow, agents: &[Agent]) -> Option<&'a Step> {
    workflow.steps.iter().find(|step| {
        agents
            .iter()
            .find(|agent| agent.id == step.agent)
            .is_some_and(writes_patch)
    })
}

/// The files to show the agents for `request`, most relevant first, within `budget` bytes: the
/// answers file, then files whose path names a word of the request (singular or plural), then
/// the project's entry points (README, manifests, the modules that list resources). Chosen from
/// the manifest alone, so a 1,000-file tree costs nothing to read but what is sent.
pub fn relevant_files(request: &str, files: &[ManifestEntry], budget: u64) -> Vec<String> {
    let words = request_words(request);
    let mut scored: Vec<(u32, &ManifestEntry)> = files
        .iter()
        .map(|entry| (score(&entry.path, &words), entry))
        .filter(|(score, _)| *score > 0)
        .collect();
    scored.sort_by(|(a, x), (b, y)| b.cmp(a).then_with(|| x.path.cmp(&y.path)));
    let mut chosen = Vec::new();
    let mut used = 0;
    for (_, entry) in scored {
        if used + entry.size <= budget {
            used += entry.size;
            chosen.push(entry.path.clone());
        }
    }
    chosen
}

fn score(path: &str, words: &[String]) -> u32 {
    if path == MODEL_FILE {
        return 1_000;
    }
    let lower = path.to_lowercase();
    let stem = lower.rsplit('/').next().unwrap_or(&lower);
    let stem = stem.split('.').next().unwrap_or(stem);
    // `book_loan.rs` is named by `book_loan`, `bookloan` (`BookLoan.tsx`), `book` and `loan`.
    let parts: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .flat_map(|part| std::iter::once(part).chain(part.split('_')))
        .collect();
    let named = words
        .iter()
        .filter(|word| {
            parts.iter().any(|part| {
                *part == word.as_str() || part.replace('_', "") == **word || part.trim_end_matches('s') == word.as_str()
            })
        })
        .count() as u32;
    let entry_point = matches!(
        stem,
        "readme" | "lib" | "main" | "mod" | "app" | "models" | "cargo" | "package" | "__init__"
    ) && path.matches('/').count() <= 2;
    named * 100 + u32::from(entry_point)
}

/// The request's words, lower-case and singular, without the short and common ones.
fn request_words(request: &str) -> Vec<String> {
    const COMMON: &[&str] = &[
        "add",
        "the",
        "and",
        "field",
        "fields",
        "resource",
        "resources",
        "remove",
        "delete",
        "rename",
        "with",
        "from",
        "into",
        "new",
        "for",
        "each",
        "every",
        "called",
        "named",
    ];
    let mut words: Vec<String> = request
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .map(str::to_lowercase)
        .filter(|word| word.len() >= 3 && !COMMON.contains(&word.as_str()))
        .flat_map(|word| {
            let singular = word.strip_suffix('s').filter(|s| s.len() >= 3).map(str::to_owned);
            std::iter::once(word).chain(singular)
        })
        .flat_map(|word| {
            // `book_loan` matches `book_loan.rs` and `BookLoan.tsx` (lower-cased: `bookloan`).
            let joined = word.replace('_', "");
            std::iter::once(word).chain(std::iter::once(joined))
        })
        .collect();
    words.sort();
    words.dedup();
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{FileMode, Source};

    fn entry(path: &str, size: u64) -> ManifestEntry {
        ManifestEntry {
            path: path.into(),
            size,
            sha256: String::new(),
            git_blob_id: String::new(),
            mode: FileMode::Regular,
            source: Source::Agent,
        }
    }

    #[test]
    fn the_answers_file_and_the_named_resources_come_first_then_entry_points() {
        let mut tree = vec![
            entry("README.md", 500),
            entry("src/lib.rs", 300),
            entry("src/routes/book.rs", 2_000),
            entry("src/routes/member.rs", 2_000),
            entry("tests/book_api.rs", 1_500),
            entry(MODEL_FILE, 100),
            entry("docs/deep/nested/main.rs", 100),
        ];
        for n in 0..1_000 {
            tree.push(entry(&format!("src/generated/file{n}.rs"), 5_000));
        }
        let chosen = relevant_files("Add a field isbn to books", &tree, CONTEXT_BUDGET_BYTES);
        assert_eq!(
            chosen,
            [
                MODEL_FILE,
                "src/routes/book.rs",
                "tests/book_api.rs",
                "README.md",
                "src/lib.rs"
            ]
        );
    }

    #[test]
    fn the_budget_is_never_exceeded_and_big_files_give_way_to_smaller_ones() {
        let tree = vec![
            entry("src/routes/book.rs", 90 * 1024),
            entry("tests/book_api.rs", 10 * 1024),
            entry("src/book_loan.rs", 5 * 1024),
        ];
        let chosen = relevant_files("rename book to volume", &tree, 16 * 1024);
        assert_eq!(chosen, ["src/book_loan.rs", "tests/book_api.rs"]);
        let chosen = relevant_files(
            "remove the BookLoan resource",
            &[entry("src/components/BookLoan.tsx", 10)],
            100,
        );
        assert_eq!(chosen, ["src/components/BookLoan.tsx"]);
    }

    #[test]
    fn a_request_is_required_and_bounded() {
        let change = |request: &str| CreateChange {
            request: request.into(),
            base: None,
            workflow: None,
            budget: Default::default(),
        };
        assert_eq!(change("  ").request().unwrap_err().field, "request");
        assert_eq!(
            change(&"x".repeat(MAX_REQUEST_CHARS + 1)).request().unwrap_err().field,
            "request"
        );
        assert_eq!(
            change("add a field isbn to book").request().unwrap(),
            "add a field isbn to book"
        );
    }
}
