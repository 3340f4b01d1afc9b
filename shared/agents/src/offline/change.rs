//! Change requests, offline: the request read as edits of the project's model (add a field to a
//! resource, add a resource, remove one, rename one), the files of the old and the new model
//! rendered by the same recipes as a first generation, and the difference answered as a patch.
//! Every role answers: the product manager adds a story, the architect lists the files the patch
//! touches, the engineer writes it, the reviewer sums it up.

use std::collections::BTreeMap;

use forgeflow_domain::agent::{
    AgentRole, FileTreeOutput, Finding, PlanOutput, PlannedFile, Priority, ReviewOutput, Severity, Sprint, Story,
};
use forgeflow_domain::change::{ChangeContext, MODEL_FILE};
use forgeflow_domain::patch::{FileEdit, Patch};
use forgeflow_domain::project::Template;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::lexicon::RESERVED;
use super::words::{self, Entity};
use super::{Context, architect, engineer, parse, plan, to_value};

/// `.forgeflow/model.json`: the resources and their fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Model {
    pub template: Template,
    pub resources: Vec<Resource>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Resource {
    pub name: String,
    #[serde(default)]
    pub fields: Vec<String>,
}

impl Model {
    pub(super) fn of(template: Template, entities: &[Entity]) -> Self {
        Model {
            template,
            resources: entities
                .iter()
                .map(|e| Resource {
                    name: e.snake.clone(),
                    fields: e.fields.clone(),
                })
                .collect(),
        }
    }

    pub(super) fn render(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    fn entities(&self) -> Vec<Entity> {
        self.resources
            .iter()
            .filter_map(|r| {
                Entity::from_snake(&r.name).map(|e| Entity {
                    fields: r.fields.clone(),
                    ..e
                })
            })
            .collect()
    }
}

/// One edit of the model.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    AddField { resource: String, field: String },
    AddResource(String),
    RemoveResource(String),
    RenameResource { from: String, to: String },
}

const UNDERSTOOD: &str = "the offline provider understands: `add a field F to R`, `add a resource R`, `remove R`, `rename R to S` (joined by `and`, commas or full stops); give the agents a real provider for anything else";

/// The answer of `role` to a change, or `None` for a custom role (placeholders answer those).
pub(super) fn respond(role: AgentRole, context: &Context, change: &ChangeContext) -> Result<Option<Value>, String> {
    Ok(match role {
        AgentRole::ProductManager => Some(to_value(updated_plan(context, change))),
        AgentRole::Architect => Some(to_value(design(context, change)?)),
        AgentRole::Engineer => Some(to_value(patch(context, change)?)),
        AgentRole::Reviewer => Some(to_value(review(context, change))),
        AgentRole::Custom => None,
    })
}

/// The plan so far with one more story (and sprint) for the request.
fn updated_plan(context: &Context, change: &ChangeContext) -> PlanOutput {
    let mut plan = change.plan.clone().unwrap_or_else(|| plan::write(context));
    let id = format!("S{}", plan.stories.len() + 1);
    let request = words::plain(&change.request, 200);
    plan.stories.push(Story {
        id: id.clone(),
        title: format!("Change: {}", words::plain(&change.request, 60)),
        as_a: format!("user of {}", context.title()),
        i_want: request.clone(),
        so_that: "the project keeps up with what its users need".into(),
        acceptance_criteria: vec![
            format!("{request}, in the code and in its tests"),
            "every test that passed before still passes".into(),
        ],
        estimate_points: 3,
        priority: Priority::Must,
    });
    let number = plan.sprints.iter().map(|s| s.number).max().unwrap_or(0) + 1;
    plan.sprints.push(Sprint {
        number,
        goal: format!("Change: {}", words::plain(&change.request, 80)),
        story_ids: vec![id],
    });
    plan
}

/// The files the change touches, each with why.
fn design(context: &Context, change: &ChangeContext) -> Result<FileTreeOutput, String> {
    let patch = patch(context, change)?;
    let files = patch
        .edits
        .iter()
        .map(|edit| {
            let (path, purpose) = match edit {
                FileEdit::Add { path, .. } => (path.clone(), "new"),
                FileEdit::Modify { path, .. } => (path.clone(), "changed"),
                FileEdit::Delete { path } => (path.clone(), "removed"),
                FileEdit::Rename { to, .. } => (to.clone(), "renamed"),
            };
            PlannedFile {
                path,
                purpose: format!("{purpose} for: {}", words::plain(&change.request, 200)),
            }
        })
        .collect();
    Ok(FileTreeOutput { files })
}

/// The patch: the project's files as the new model renders them, against the current ones.
fn patch(context: &Context, change: &ChangeContext) -> Result<Patch, String> {
    let template = context.template;
    let current = current_entities(context, change);
    let ops = parse_request(&change.request)?;
    let (next, renames) = apply(&current, &ops)?;
    let shown: BTreeMap<&str, &str> = change
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.content.as_str()))
        .collect();
    let in_tree = |path: &str| change.tree.iter().any(|p| p == path);
    let stories = context
        .plan
        .as_ref()
        .or(change.plan.as_ref())
        .map(|p| p.stories.clone())
        .unwrap_or_default();
    let before = rendered(
        context,
        template,
        &current,
        change.plan.as_ref().map(|p| p.stories.clone()).unwrap_or_default(),
    );
    let after = rendered(context, template, &next, stories);

    let mut edits = Vec::new();
    let mut renamed_to: BTreeMap<String, String> = BTreeMap::new();
    for (old, new) in &renames {
        for (from, to) in entity_paths(template, old).into_iter().zip(entity_paths(template, new)) {
            renamed_to.insert(from, to);
        }
    }
    for (path, content) in &after {
        if renamed_to.values().any(|to| to == path) {
            continue;
        }
        if !in_tree(path) {
            edits.push(FileEdit::Add {
                path: path.clone(),
                content: content.clone(),
            });
            continue;
        }
        let old = shown
            .get(path.as_str())
            .copied()
            .or(before.get(path).map(String::as_str));
        if old == Some(content.as_str()) {
            continue;
        }
        edits.push(modify(path, shown.get(path.as_str()).copied(), content));
    }
    for path in before.keys().filter(|path| !after.contains_key(*path) && in_tree(path)) {
        match renamed_to.get(path) {
            Some(to) => {
                let content = after.get(to).cloned().unwrap_or_default();
                match shown.get(path.as_str()) {
                    Some(old) => edits.push(FileEdit::Rename {
                        from: path.clone(),
                        to: to.clone(),
                        diff: Some(diffy::create_patch(old, &content).to_string()),
                    }),
                    // Not shown its text, it cannot write a diff for it: delete and add instead.
                    None => {
                        edits.push(FileEdit::Delete { path: path.clone() });
                        edits.push(FileEdit::Add {
                            path: to.clone(),
                            content,
                        });
                    }
                }
            }
            None => edits.push(FileEdit::Delete { path: path.clone() }),
        }
    }
    if edits.is_empty() {
        return Err(format!("the request changes nothing in the project ({UNDERSTOOD})"));
    }
    Ok(Patch { edits })
}

/// A changed file: a unified diff when the current text was shown, else the whole content.
fn modify(path: &str, shown: Option<&str>, content: &str) -> FileEdit {
    match shown {
        Some(old) => FileEdit::Modify {
            path: path.to_owned(),
            content: None,
            diff: Some(diffy::create_patch(old, content).to_string()),
        },
        None => FileEdit::Modify {
            path: path.to_owned(),
            content: Some(content.to_owned()),
            diff: None,
        },
    }
}

/// Every file the offline engineer writes for `entities`, by path.
fn rendered(
    context: &Context,
    template: Template,
    entities: &[Entity],
    stories: Vec<Story>,
) -> BTreeMap<String, String> {
    let project = engineer::Project {
        package: context.package(),
        title: context.title(),
        summary: context.summary(),
        entities: entities.to_vec(),
        stories: &stories,
        brief: &context.input.brief,
    };
    architect::files_for(template, entities)
        .iter()
        .map(|file| (file.path.clone(), engineer::content(template, &project, file)))
        .collect()
}

/// The files that belong to one resource, in the architect's order (for pairing renames).
fn entity_paths(template: Template, entity: &Entity) -> Vec<String> {
    let shared: Vec<String> = architect::files_for(template, &[])
        .into_iter()
        .map(|f| f.path)
        .collect();
    architect::files_for(template, std::slice::from_ref(entity))
        .into_iter()
        .map(|f| f.path)
        .filter(|path| !shared.contains(path))
        .collect()
}

/// The resources now: from the answers file when it was shown, else read back from the paths.
fn current_entities(context: &Context, change: &ChangeContext) -> Vec<Entity> {
    let model = change
        .files
        .iter()
        .find(|f| f.path == MODEL_FILE)
        .and_then(|f| serde_json::from_str::<Model>(&f.content).ok());
    match model {
        Some(model) => model.entities(),
        None => {
            let paths: Vec<&str> = change.tree.iter().map(String::as_str).collect();
            architect::entities_in(context.template, &paths)
        }
    }
}

fn parse_request(request: &str) -> Result<Vec<Op>, String> {
    let mut ops = Vec::new();
    let normalized = request
        .to_lowercase()
        .replace(" and ", ",")
        .replace(['.', ';', '\n'], ",");
    for clause in normalized.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        const FILLER: &[&str] = &[
            "a",
            "an",
            "the",
            "new",
            "each",
            "every",
            "all",
            "resource",
            "resources",
            "entity",
            "entities",
            "called",
            "named",
            "please",
            "field",
            "fields",
            "column",
            "attribute",
            "property",
        ];
        let tokens: Vec<String> = clause
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .filter(|t| !t.is_empty() && !FILLER.contains(t))
            .map(str::to_owned)
            .collect();
        let is_field = ["field", "fields", "column", "attribute", "property"]
            .iter()
            .any(|word| clause.split_whitespace().any(|t| t == *word));
        let name = |tokens: &[String]| tokens.join("_");
        let to = tokens.iter().position(|t| t == "to");
        let op = match (tokens.first().map(String::as_str), to) {
            (Some("rename"), Some(to)) if to > 1 && to + 1 < tokens.len() => Op::RenameResource {
                from: name(&tokens[1..to]),
                to: name(&tokens[to + 1..]),
            },
            (Some("remove" | "delete" | "drop"), _) if tokens.len() > 1 => Op::RemoveResource(name(&tokens[1..])),
            (Some("add"), Some(to)) if is_field && to > 1 && to + 1 < tokens.len() => Op::AddField {
                field: name(&tokens[1..to]),
                resource: name(&tokens[to + 1..]),
            },
            (Some("add"), None) if !is_field && tokens.len() > 1 => Op::AddResource(name(&tokens[1..])),
            _ => return Err(format!("`{clause}` is not a change I can make offline: {UNDERSTOOD}")),
        };
        ops.push(op);
    }
    if ops.is_empty() {
        return Err(format!("the request is empty: {UNDERSTOOD}"));
    }
    Ok(ops)
}

/// Resources renamed by a change: (old, new).
type Renames = Vec<(Entity, Entity)>;

/// The resources after `ops`, and the renames among them.
fn apply(current: &[Entity], ops: &[Op]) -> Result<(Vec<Entity>, Renames), String> {
    let mut entities = current.to_vec();
    let mut renames = Vec::new();
    let names = |entities: &[Entity]| entities.iter().map(|e| e.snake.clone()).collect::<Vec<_>>().join(", ");
    for op in ops {
        match op {
            Op::AddField { resource, field } => {
                let index = find(&entities, resource).ok_or_else(|| {
                    format!(
                        "no resource `{resource}` to add a field to (the project has: {})",
                        names(&entities)
                    )
                })?;
                let field = field_name(field)?;
                let entity = &mut entities[index];
                if entity.fields.contains(&field) {
                    return Err(format!("{} already has a field `{field}`", entity.snake));
                }
                entity.fields.push(field);
            }
            Op::AddResource(name) => {
                let snake = words::singular(name);
                let entity = Entity::from_snake(&snake).ok_or_else(|| format!("`{name}` cannot name a resource"))?;
                if find(&entities, &snake).is_some() {
                    return Err(format!("the project already has a resource `{snake}`"));
                }
                entities.push(entity);
            }
            Op::RemoveResource(name) => {
                let index = find(&entities, name)
                    .ok_or_else(|| format!("no resource `{name}` to remove (the project has: {})", names(&entities)))?;
                if entities.len() == 1 {
                    return Err(format!(
                        "`{name}` is the project's only resource; add another one first"
                    ));
                }
                entities.remove(index);
            }
            Op::RenameResource { from, to } => {
                let index = find(&entities, from)
                    .ok_or_else(|| format!("no resource `{from}` to rename (the project has: {})", names(&entities)))?;
                let snake = words::singular(to);
                if find(&entities, &snake).is_some() {
                    return Err(format!("the project already has a resource `{snake}`"));
                }
                let renamed = entities[index]
                    .renamed(&snake)
                    .ok_or_else(|| format!("`{to}` cannot name a resource"))?;
                renames.push((entities[index].clone(), renamed.clone()));
                entities[index] = renamed;
            }
        }
    }
    Ok((entities, renames))
}

fn find(entities: &[Entity], name: &str) -> Option<usize> {
    let singular = words::singular(name);
    let squashed = name.replace('_', "");
    entities
        .iter()
        .position(|e| e.snake == name || e.plural == name || e.snake == singular || e.pascal.to_lowercase() == squashed)
}

/// A field's identifier: lower-case snake, not a keyword, not one every resource already has.
fn field_name(raw: &str) -> Result<String, String> {
    let valid = raw.starts_with(|c: char| c.is_ascii_lowercase())
        && raw
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && raw.len() <= 40;
    if !valid || RESERVED.contains(&raw) || ["id", "name", "notes"].contains(&raw) {
        return Err(format!(
            "`{raw}` cannot name a field (lower-case letters, digits and `_`; not id, name or notes)"
        ));
    }
    Ok(raw.to_owned())
}

/// The reviewer's summary of the patch it was given.
fn review(context: &Context, change: &ChangeContext) -> ReviewOutput {
    let patch = context
        .input
        .inputs
        .values()
        .find_map(parse::<Patch>)
        .unwrap_or_default();
    let count = |op: &str| {
        patch
            .edits
            .iter()
            .filter(|edit| {
                matches!(
                    (edit, op),
                    (FileEdit::Add { .. }, "add")
                        | (FileEdit::Modify { .. }, "modify")
                        | (FileEdit::Delete { .. }, "delete")
                        | (FileEdit::Rename { .. }, "rename")
                )
            })
            .count()
    };
    let mut findings = Vec::new();
    if patch.edits.is_empty() {
        findings.push(Finding {
            severity: Severity::Critical,
            path: None,
            message: "No patch was written for the request".into(),
        });
    }
    let tests_touched = patch.edits.iter().any(|edit| match edit {
        FileEdit::Add { path, .. } | FileEdit::Modify { path, .. } | FileEdit::Delete { path } => {
            engineer::is_test_path(path)
        }
        FileEdit::Rename { to, .. } => engineer::is_test_path(to),
    });
    if !patch.edits.is_empty() && !tests_touched {
        findings.push(Finding {
            severity: Severity::Info,
            path: None,
            message: "The patch changes no test; the existing tests cover it".into(),
        });
    }
    ReviewOutput {
        summary: format!(
            "The patch for \"{}\" adds {} files, modifies {}, deletes {} and renames {}.",
            words::plain(&change.request, 120),
            count("add"),
            count("modify"),
            count("delete"),
            count("rename")
        ),
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_read_as_model_edits() {
        assert_eq!(
            parse_request(
                "Add a field isbn to books and rename member to patron. Remove the loan resource; add a resource shelf"
            )
            .unwrap(),
            vec![
                Op::AddField {
                    resource: "books".into(),
                    field: "isbn".into()
                },
                Op::RenameResource {
                    from: "member".into(),
                    to: "patron".into()
                },
                Op::RemoveResource("loan".into()),
                Op::AddResource("shelf".into()),
            ]
        );
        assert!(parse_request("make it faster").unwrap_err().contains("understands"));
    }

    #[test]
    fn edits_of_missing_or_clashing_resources_are_refused_by_name() {
        let current: Vec<Entity> = ["book", "member"]
            .iter()
            .filter_map(|n| Entity::from_snake(n))
            .collect();
        let err = |ops: Vec<Op>| apply(&current, &ops).unwrap_err();
        assert!(err(vec![Op::RemoveResource("shelf".into())]).contains("book, member"));
        assert!(err(vec![Op::AddResource("books".into())]).contains("already"));
        assert!(
            err(vec![Op::AddField {
                resource: "book".into(),
                field: "name".into()
            }])
            .contains("cannot name a field")
        );
        let (next, renames) = apply(
            &current,
            &[
                Op::AddField {
                    resource: "book".into(),
                    field: "isbn".into(),
                },
                Op::RenameResource {
                    from: "books".into(),
                    to: "volumes".into(),
                },
            ],
        )
        .unwrap();
        assert_eq!(next[0].snake, "volume");
        assert_eq!(next[0].fields, ["isbn"]);
        assert_eq!(renames[0].0.snake, "book");
    }
}
