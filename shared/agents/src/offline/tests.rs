use std::collections::BTreeMap;

use forgeflow_domain::agent::{FileTreeOutput, FilesOutput, PlanOutput, ReviewOutput};
use forgeflow_domain::catalog::builtin_agent;
use serde_json::json;

use super::*;

pub(crate) const LIBRARY: &str = "A small web service that tracks book loans. Members can borrow books and return them; \
     librarians see overdue loans. Librarians should be able to add new books, and members could search books by author.";

fn input(template: Template, step: &str, instructions: Option<&str>, inputs: &[(&str, &Value)]) -> AgentInput {
    AgentInput {
        step_id: step.to_owned(),
        project_name: "Book Loans".to_owned(),
        brief: LIBRARY.to_owned(),
        template,
        instructions: instructions.map(str::to_owned),
        inputs: inputs
            .iter()
            .map(|(k, v)| (k.to_string(), (*v).clone()))
            .collect::<BTreeMap<_, _>>(),
        change: None,
    }
}

/// Runs `agent_id` offline and checks its output against the agent's own contract.
fn run(agent_id: &str, input: &AgentInput) -> Value {
    let agent = builtin_agent(agent_id).unwrap();
    let contract = Contract::compile(&agent.output_contract).unwrap();
    let output = respond(&agent, input, &contract).unwrap();
    contract
        .check(&output)
        .unwrap_or_else(|reason| panic!("{agent_id}: {reason}"));
    output
}

struct Pipeline {
    plan: Value,
    tree: Value,
    code: Value,
    tests: Value,
    review: Value,
}

fn pipeline(template: Template) -> Pipeline {
    let plan = run("product-manager", &input(template, "plan", None, &[]));
    let tree = run("architect", &input(template, "design", None, &[("plan", &plan)]));
    let deps = [("plan", &plan), ("design", &tree)];
    let code = run("engineer", &input(template, "code", Some("Write the code"), &deps));
    let tests = run("engineer", &input(template, "tests", Some("Write the tests"), &deps));
    let review_deps = [("plan", &plan), ("design", &tree), ("code", &code), ("tests", &tests)];
    let review = run("reviewer", &input(template, "review", None, &review_deps));
    Pipeline {
        plan,
        tree,
        code,
        tests,
        review,
    }
}

fn paths(files: &Value) -> Vec<String> {
    let files: FilesOutput = serde_json::from_value(files.clone()).unwrap();
    files.files.into_iter().map(|f| f.path).collect()
}

#[test]
fn every_role_meets_its_contract_for_every_template() {
    for template in Template::ALL {
        let result = pipeline(template);
        let review: ReviewOutput = serde_json::from_value(result.review).unwrap();
        let blocking: Vec<_> = review
            .findings
            .iter()
            .filter(|f| {
                matches!(
                    f.severity,
                    forgeflow_domain::agent::Severity::Major | forgeflow_domain::agent::Severity::Critical
                )
            })
            .collect();
        assert!(
            blocking.is_empty(),
            "{template:?}: our own files should pass our own review: {blocking:?}"
        );
    }
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    for template in Template::ALL {
        let (a, b) = (pipeline(template), pipeline(template));
        for (x, y) in [
            (a.plan, b.plan),
            (a.tree, b.tree),
            (a.code, b.code),
            (a.tests, b.tests),
            (a.review, b.review),
        ] {
            assert_eq!(x.to_string(), y.to_string());
        }
    }
}

#[test]
fn the_plan_reads_actors_wants_and_priorities_from_the_brief() {
    let plan: PlanOutput = serde_json::from_value(pipeline(Template::RustAxum).plan).unwrap();
    let summary: Vec<(&str, &str)> = plan
        .stories
        .iter()
        .map(|s| (s.as_a.as_str(), s.i_want.as_str()))
        .collect();
    assert_eq!(
        summary,
        [
            ("user", "a small web service that tracks book loans"),
            ("member", "to borrow books and return them"),
            ("librarian", "to see overdue loans"),
            ("librarian", "to add new books"),
            ("member", "to search books by author"),
        ]
    );
    let priorities: Vec<Priority> = plan.stories.iter().map(|s| s.priority).collect();
    use forgeflow_domain::agent::Priority;
    assert_eq!(priorities[0], Priority::Must);
    assert_eq!(priorities[3], Priority::Should, "`should` in the clause");
    assert_eq!(priorities[4], Priority::Could, "`could` in the clause");
    for story in &plan.stories {
        assert!([1, 2, 3, 5, 8, 13].contains(&story.estimate_points), "{story:?}");
        assert!((2..=4).contains(&story.acceptance_criteria.len()), "{story:?}");
    }
    let mut seen: Vec<&String> = plan.sprints.iter().flat_map(|s| &s.story_ids).collect();
    seen.sort();
    assert_eq!(seen.len(), plan.stories.len(), "every story is in exactly one sprint");
    for sprint in &plan.sprints {
        let points: u32 = sprint
            .story_ids
            .iter()
            .map(|id| plan.stories.iter().find(|s| &s.id == id).unwrap().estimate_points)
            .sum();
        assert!(
            points <= 13 || sprint.story_ids.len() == 1,
            "sprint {} has {points} points",
            sprint.number
        );
    }
}

#[test]
fn the_architect_plans_one_route_and_test_per_entity() {
    let expected = [
        (
            Template::RustAxum,
            [
                "src/routes/book.rs",
                "src/routes/loan.rs",
                "tests/book_api.rs",
                "tests/loan_api.rs",
            ],
        ),
        (
            Template::PythonFastapi,
            [
                "app/routers/book.py",
                "app/routers/loan.py",
                "tests/test_book.py",
                "tests/test_loan.py",
            ],
        ),
        (
            Template::ReactVite,
            [
                "src/components/Book.tsx",
                "src/components/Loan.tsx",
                "src/components/Book.test.tsx",
                "src/components/Loan.test.tsx",
            ],
        ),
    ];
    for (template, wanted) in expected {
        let tree: FileTreeOutput = serde_json::from_value(pipeline(template).tree).unwrap();
        let planned: Vec<&str> = tree.files.iter().map(|f| f.path.as_str()).collect();
        for path in wanted {
            assert!(planned.contains(&path), "{template:?} lacks {path}: {planned:?}");
        }
        assert!(
            !planned.iter().any(|p| p.contains("author")),
            "`by author` is an attribute: {planned:?}"
        );
    }
}

#[test]
fn engineer_instructions_pick_code_or_tests() {
    for template in Template::ALL {
        let result = pipeline(template);
        let (code, tests) = (paths(&result.code), paths(&result.tests));
        assert!(!code.is_empty() && !tests.is_empty());
        assert!(code.iter().all(|p| !engineer::is_test_path(p)), "{code:?}");
        assert!(tests.iter().all(|p| engineer::is_test_path(p)), "{tests:?}");
        let all = run("engineer", &input(template, "all", None, &[("design", &result.tree)]));
        assert_eq!(paths(&all).len(), code.len() + tests.len());
    }
}

#[test]
fn written_code_wires_every_entity_and_tests_name_their_stories() {
    let result = pipeline(Template::RustAxum);
    let files: FilesOutput = serde_json::from_value(result.code).unwrap();
    let file = |path: &str| {
        files
            .files
            .iter()
            .find(|f| f.path == path)
            .map(|f| f.content.clone())
            .unwrap()
    };
    assert!(file("Cargo.toml").contains("name = \"book_loans\""));
    assert!(file("src/main.rs").contains("book_loans::app()"));
    assert!(file("src/lib.rs").contains(".merge(routes::loan::router())"));
    assert!(file("src/routes/mod.rs").contains("pub mod book;"));
    assert!(file("src/routes/book.rs").contains(".route(\"/books/{id}\""));
    let tests: FilesOutput = serde_json::from_value(result.tests).unwrap();
    let book_test = &tests
        .files
        .iter()
        .find(|f| f.path == "tests/book_api.rs")
        .unwrap()
        .content;
    assert!(book_test.contains("Covers: S1, S2, S4, S5"), "{book_test}");
}

#[test]
fn an_engineer_without_a_tree_plans_its_own_and_unknown_paths_get_stubs() {
    let alone = run("engineer", &input(Template::PythonFastapi, "code", None, &[]));
    assert!(paths(&alone).contains(&"app/routers/book.py".to_owned()));
    let tree = json!({"files": [{"path": "docs/usage.md", "purpose": "How to use it"}, {"path": "src/db.rs", "purpose": "Database access"}]});
    let output = run(
        "engineer",
        &input(Template::RustAxum, "code", None, &[("design", &tree)]),
    );
    assert_eq!(output["files"][0]["content"], "# How to use it\n");
    assert_eq!(output["files"][1]["content"], "//! Database access\n");
}

#[test]
fn entity_names_are_safe_identifiers() {
    let brief = "Teachers manage the classes, the types and the émigré records; each class has 3 students. \
                 Students see their self-assessments.";
    let found: Vec<String> = words::entities(brief).into_iter().map(|e| e.snake).collect();
    assert!(found.contains(&"class_item".to_owned()), "{found:?}");
    for name in &found {
        assert!(
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{name}"
        );
        assert!(name.starts_with(|c: char| c.is_ascii_lowercase()), "{name}");
    }
}

#[test]
fn a_brief_without_clauses_still_gets_a_plan_and_an_entity() {
    let mut bare = input(Template::ReactVite, "plan", None, &[]);
    bare.brief = "Hi".to_owned();
    bare.project_name = "X1".to_owned();
    let plan = run("product-manager", &bare);
    assert_eq!(plan["stories"].as_array().unwrap().len(), 1);
    let tree = run(
        "architect",
        &AgentInput {
            inputs: [("plan".to_owned(), plan)].into(),
            ..bare
        },
    );
    assert!(
        tree["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "src/components/Item.tsx"),
        "{tree}"
    );
}

#[test]
fn other_briefs_yield_sensible_actors_and_entities() {
    let cases = [
        (
            "A todo app where users create tasks with due dates, mark them done, and filter by tag.",
            vec!["user", "user"],
            vec!["task"],
        ),
        (
            "An online shop. Customers browse products, add them to a cart and pay by card. Admins manage the \
             catalog and see orders. Customers should get an email when their order ships.",
            vec!["user", "customer", "admin", "customer"],
            vec!["order", "product", "cart", "catalog"],
        ),
    ];
    for (brief, actors, entities) in cases {
        let mut step = input(Template::PythonFastapi, "plan", None, &[]);
        step.brief = brief.to_owned();
        let plan: PlanOutput = serde_json::from_value(run("product-manager", &step)).unwrap();
        let found: Vec<&str> = plan.stories.iter().map(|s| s.as_a.as_str()).collect();
        assert_eq!(found, actors, "{brief}");
        assert!(
            plan.stories
                .iter()
                .all(|s| !s.title.ends_with(" and") && !s.title.ends_with(',')),
            "{plan:?}"
        );
        let names: Vec<String> = words::entities(brief).into_iter().map(|e| e.snake).collect();
        assert_eq!(names, entities, "{brief}");
    }
}

/// The files of a first run, as a tree by path.
fn first_tree(result: &Pipeline) -> BTreeMap<String, String> {
    [&result.code, &result.tests]
        .into_iter()
        .flat_map(|files| serde_json::from_value::<FilesOutput>((*files).clone()).unwrap().files)
        .map(|file| (file.path, file.content))
        .collect()
}

/// Runs the `change` workflow's roles offline on `tree`, showing the agents the files in `shown`.
fn change_pipeline(
    template: Template,
    tree: &BTreeMap<String, String>,
    plan: &Value,
    request: &str,
    shown: impl Fn(&str) -> bool,
) -> (Value, forgeflow_domain::patch::Patch, Value) {
    let change = forgeflow_domain::change::ChangeContext {
        request: request.into(),
        tree: tree.keys().cloned().collect(),
        files: tree
            .iter()
            .filter(|(path, _)| shown(path))
            .map(|(path, content)| forgeflow_domain::agent::WrittenFile {
                path: path.clone(),
                content: content.clone(),
            })
            .collect(),
        plan: Some(serde_json::from_value(plan.clone()).unwrap()),
        feedback: None,
    };
    let step = |id: &str, deps: &[(&str, &Value)]| AgentInput {
        change: Some(change.clone()),
        ..input(template, id, None, deps)
    };
    let updated = run("product-manager", &step("plan", &[]));
    let design = run("architect", &step("design", &[("plan", &updated)]));
    let patch = run(
        "patch-engineer",
        &step("patch", &[("plan", &updated), ("design", &design)]),
    );
    let review = run("reviewer", &step("review", &[("plan", &updated), ("patch", &patch)]));
    (updated, serde_json::from_value(patch).unwrap(), review)
}

fn applied(tree: &BTreeMap<String, String>, patch: &forgeflow_domain::patch::Patch) -> BTreeMap<String, String> {
    use forgeflow_domain::patch::Applied;
    let edits = patch
        .apply(|path| tree.contains_key(path), |path| tree.get(path).cloned())
        .unwrap_or_else(|conflicts| panic!("{conflicts:?}"));
    let mut next = tree.clone();
    for edit in edits {
        match edit {
            Applied::Write { path, content } => next.insert(path, content),
            Applied::Remove { path } => next.remove(&path),
        };
    }
    next
}

#[test]
fn a_change_request_edits_the_model_and_patches_every_file_it_touches() {
    for template in Template::ALL {
        let first = pipeline(template);
        let tree = first_tree(&first);
        assert!(tree.contains_key(forgeflow_domain::change::MODEL_FILE));
        let (plan, patch, review) = change_pipeline(
            template,
            &tree,
            &first.plan,
            "Add a field isbn to books, add a resource shelf",
            |_| true,
        );
        let plan: PlanOutput = serde_json::from_value(plan).unwrap();
        assert!(
            plan.stories.last().unwrap().title.starts_with("Change:"),
            "{template:?}"
        );
        assert!(
            patch
                .edits
                .iter()
                .any(|e| matches!(e, forgeflow_domain::patch::FileEdit::Modify { diff: Some(_), .. })),
            "shown files are changed by diff: {:?}",
            patch.edits
        );
        let next = applied(&tree, &patch);
        let model = &next[forgeflow_domain::change::MODEL_FILE];
        assert!(model.contains("\"isbn\"") && model.contains("\"shelf\""), "{model}");
        let fields_live_in = match template {
            Template::RustAxum => "src/routes/book.rs",
            Template::PythonFastapi => "app/models.py",
            Template::ReactVite => "src/components/Book.tsx",
        };
        assert!(
            next[fields_live_in].contains("isbn"),
            "{template:?}: {}",
            next[fields_live_in]
        );
        assert!(
            next.keys().any(|path| path.to_lowercase().contains("shelf")),
            "{template:?}"
        );
        assert!(review["summary"].as_str().unwrap().contains("adds"));
    }
}

#[test]
fn renames_and_removals_patch_unseen_files_whole() {
    let template = Template::RustAxum;
    let first = pipeline(template);
    let tree = first_tree(&first);
    let model = forgeflow_domain::change::MODEL_FILE;
    // Shown every file: the rename carries a diff.
    let (_, patch, _) = change_pipeline(template, &tree, &first.plan, "rename book to volume", |_| true);
    assert!(
        patch.edits.iter().any(
            |e| matches!(e, forgeflow_domain::patch::FileEdit::Rename { from, to, diff: Some(_) }
            if from == "src/routes/book.rs" && to == "src/routes/volume.rs")
        ),
        "{:?}",
        patch.edits
    );
    let next = applied(&tree, &patch);
    assert!(next["src/routes/volume.rs"].contains("pub struct Volume"));
    assert!(!next.contains_key("src/routes/book.rs") && next["src/lib.rs"].contains("routes::volume::router()"));

    // Shown only the answers file: whole contents.
    let (_, patch, _) = change_pipeline(template, &tree, &first.plan, "remove the loan resource", |p| p == model);
    assert!(patch.edits.iter().all(|e| match e {
        forgeflow_domain::patch::FileEdit::Modify { path, diff, .. } => diff.is_some() == (path == model),
        _ => true,
    }));
    let next = applied(&tree, &patch);
    assert!(!next.keys().any(|p| p.contains("loan")), "{:?}", next.keys());
    assert!(!next["src/lib.rs"].contains("routes::loan"));
}

#[test]
fn a_change_the_offline_provider_cannot_read_fails_the_engineer_with_what_it_understands() {
    let template = Template::PythonFastapi;
    let first = pipeline(template);
    let tree = first_tree(&first);
    let change = forgeflow_domain::change::ChangeContext {
        request: "make it faster".into(),
        tree: tree.keys().cloned().collect(),
        files: Vec::new(),
        plan: None,
        feedback: None,
    };
    let agent = builtin_agent("patch-engineer").unwrap();
    let contract = Contract::compile(&agent.output_contract).unwrap();
    let input = AgentInput {
        change: Some(change),
        ..input(template, "patch", None, &[])
    };
    let error = respond(&agent, &input, &contract).unwrap_err();
    assert!(error.contains("add a field F to R"), "{error}");
}
