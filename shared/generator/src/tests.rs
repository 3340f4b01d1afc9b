//! Whole generations: every template renders, docs read well, agents' files merge, and the
//! output is deterministic. (Whether the projects build is `tests/templates.rs`.)

use forgeflow_domain::agent::{Finding, Priority, ReviewOutput, Severity, Sprint, Story, WrittenFile};
use forgeflow_domain::project::Template;

use super::*;

pub(crate) fn input(template: Template, project_name: &str) -> GenerationInput {
    let story = |id: &str, as_a: &str, i_want: &str, points, priority| Story {
        id: id.into(),
        title: format!("Title of {id}"),
        as_a: as_a.into(),
        i_want: i_want.into(),
        so_that: "loans are tracked.".into(),
        acceptance_criteria: vec![format!("{id} works"), "errors | are\nclear".into()],
        estimate_points: points,
        priority,
    };
    GenerationInput {
        project_name: project_name.into(),
        brief: "Members borrow books. Librarians see overdue loans.\n\nKeep it small.".into(),
        template,
        stories: vec![
            story("S1", "member", "to borrow books", 3, Priority::Must),
            story("S2", "librarian", "to see overdue loans", 5, Priority::Should),
            story("S3", "member", "to search books", 1, Priority::Could),
        ],
        sprints: vec![Sprint {
            number: 1,
            goal: "Lending works".into(),
            story_ids: vec!["S1".into(), "S2".into(), "S9".into()],
        }],
        agent_files: vec![],
        review: None,
    }
}

fn text(tree: &GeneratedTree, path: &str) -> String {
    let file = tree.file(path).unwrap_or_else(|| panic!("{path} missing"));
    String::from_utf8(file.content.clone()).unwrap()
}

fn paths(tree: &GeneratedTree) -> Vec<&str> {
    tree.files.iter().map(|f| f.path.as_str()).collect()
}

#[test]
fn each_template_renders_a_complete_project() {
    let expected: [(Template, &[&str]); 3] = [
        (
            Template::RustAxum,
            &["Cargo.toml", "src/main.rs", "src/lib.rs", "tests/health.rs"],
        ),
        (
            Template::PythonFastapi,
            &[
                "pyproject.toml",
                "requirements.txt",
                "app/__init__.py",
                "app/main.py",
                "app/routers/__init__.py",
                "tests/test_health.py",
            ],
        ),
        (
            Template::ReactVite,
            &[
                "package.json",
                "tsconfig.json",
                "vite.config.ts",
                "index.html",
                "src/main.tsx",
                "src/App.tsx",
                "src/App.test.tsx",
            ],
        ),
    ];
    let common = [
        "README.md",
        ".gitignore",
        ".github/workflows/ci.yml",
        "scripts/check.sh",
        "docs/user-stories.md",
        "docs/sprints.md",
    ];
    for (template, own) in expected {
        let tree = generate(&input(template, "Book Loans"), &Limits::default()).unwrap();
        for path in own.iter().chain(&common) {
            assert!(
                tree.file(path).is_some(),
                "{template:?}: {path} missing from {:?}",
                paths(&tree)
            );
        }
        assert!(tree.file("docs/review.md").is_none(), "no review, no review.md");
        let readme = text(&tree, "README.md");
        assert!(readme.starts_with("# Book Loans\n"), "{readme}");
        assert!(readme.contains("> Members borrow books. Librarians see overdue loans.\n> Keep it small.\n"));
        assert!(readme.contains("## Run") && readme.contains("## Test"), "{readme}");
        assert_eq!(tree.file("scripts/check.sh").unwrap().mode, FileMode::Executable);
        let executables: Vec<&str> = tree
            .files
            .iter()
            .filter(|f| f.mode == FileMode::Executable)
            .map(|f| f.path.as_str())
            .collect();
        assert_eq!(executables, ["scripts/check.sh"], "{template:?}");
        for file in &tree.files {
            let body = std::str::from_utf8(&file.content).unwrap();
            assert!(
                body.ends_with('\n') && !body.ends_with("\n\n"),
                "{}: {body:?}",
                file.path
            );
            let expected = if file.path.starts_with("docs/") {
                Source::Docs
            } else {
                Source::Template
            };
            assert_eq!(file.source, expected, "{}", file.path);
        }
        assert!(tree.conflicts.is_empty() && tree.refused.is_empty());
    }
}

#[test]
fn names_with_quotes_and_newlines_stay_inside_their_strings() {
    let name = "Bob's \"Loans\"\n\\ Co";
    let rust = generate(&input(Template::RustAxum, name), &Limits::default()).unwrap();
    assert!(text(&rust, "Cargo.toml").contains("name = \"bobs_loans_co\"\n"));
    assert!(text(&rust, "src/lib.rs").starts_with("//! Bob's \"Loans\" \\ Co: Members borrow books\n"));
    let react = generate(&input(Template::ReactVite, name), &Limits::default()).unwrap();
    let package: serde_json::Value = serde_json::from_str(&text(&react, "package.json")).unwrap();
    assert_eq!(package["name"], "bobs-loans-co");
    assert!(text(&react, "src/App.tsx").contains(r#"const TITLE = "Bob's \"Loans\" \\ Co";"#));
    assert!(text(&react, "index.html").contains("<title>Bob&#x27;s &quot;Loans&quot; \\ Co</title>"));
    let python = generate(&input(Template::PythonFastapi, name), &Limits::default()).unwrap();
    assert!(text(&python, "app/main.py").contains(r#"app = FastAPI(title="Bob's \"Loans\" \\ Co")"#));
}

#[test]
fn the_plan_becomes_readable_markdown() {
    let tree = generate(&input(Template::RustAxum, "Book Loans"), &Limits::default()).unwrap();
    let stories = text(&tree, "docs/user-stories.md");
    assert!(stories.starts_with("# User stories: Book Loans\n\n3 stories, 9 points (1 must, 1 should, 1 could)."));
    assert!(stories.contains(
        "## S1: Title of S1\n\nAs a **member**, I want **to borrow books**, so that **loans are tracked**.\n\n\
         - Priority: **must**\n- Estimate: **3 points**\n\nAcceptance criteria:\n\n- [ ] S1 works\n- [ ] errors | are clear\n"
    ));
    assert!(stories.contains("- Estimate: **1 point**\n"));
    let sprints = text(&tree, "docs/sprints.md");
    assert!(sprints.contains(
        "## Sprint 1\n\nGoal: Lending works\n\n| Story | Title | Priority | Points |\n| --- | --- | --- | ---: |\n\
         | S1 | Title of S1 | must | 3 |\n| S2 | Title of S2 | should | 5 |\n| | **Total** | | **8** |\n"
    ));
    assert!(sprints.contains("1 sprint, 8 points in all."), "{sprints}");
    assert!(sprints.contains("Listed but not among the stories: `S9`."));
    assert!(sprints.contains("## Not yet scheduled\n\n- S3: Title of S3 (could, 1 point)\n"));

    let mut empty = input(Template::RustAxum, "Book Loans");
    empty.stories.clear();
    empty.sprints.clear();
    let tree = generate(&empty, &Limits::default()).unwrap();
    assert!(text(&tree, "docs/user-stories.md").contains("No user stories were written"));
    assert!(text(&tree, "docs/sprints.md").contains("No sprints were planned"));
}

#[test]
fn a_review_becomes_docs_review_md_most_severe_first() {
    let mut with_review = input(Template::PythonFastapi, "Book Loans");
    let finding = |severity, path: Option<&str>, message: &str| Finding {
        severity,
        path: path.map(str::to_owned),
        message: message.into(),
    };
    with_review.review = Some(ReviewOutput {
        summary: "Solid, with gaps.".into(),
        findings: vec![
            finding(Severity::Minor, None, "No test names S3"),
            finding(Severity::Major, Some("app/main.py"), "Planned | file\nmissing"),
            finding(Severity::Minor, Some("a`b.py"), "Odd name"),
        ],
    });
    let tree = generate(&with_review, &Limits::default()).unwrap();
    let review = text(&tree, "docs/review.md");
    assert_eq!(
        review,
        "# Review: Book Loans\n\nSolid, with gaps.\n\n## Findings (1 major, 2 minor)\n\n\
         | Severity | File | Finding |\n| --- | --- | --- |\n\
         | major | `app/main.py` | Planned \\| file missing |\n| minor |  | No test names S3 |\n\
         | minor | `a'b.py` | Odd name |\n"
    );
    assert_eq!(tree.file("docs/review.md").unwrap().source, Source::Docs);
    assert!(text(&tree, "README.md").contains("- [Review](docs/review.md)\n"));

    with_review.review = Some(ReviewOutput {
        summary: "Clean.".into(),
        findings: vec![],
    });
    let tree = generate(&with_review, &Limits::default()).unwrap();
    assert!(text(&tree, "docs/review.md").ends_with("Clean.\n\nNo findings.\n"));
}

#[test]
fn agent_files_are_laid_over_the_template() {
    let mut with_agents = input(Template::RustAxum, "Book Loans");
    let written = |path: &str, content: &str| WrittenFile {
        path: path.into(),
        content: content.into(),
    };
    with_agents.agent_files = vec![
        written("Cargo.toml", "[package]\nname = \"loan-desk\"\n"),
        written("./src/routes/book.rs", "pub fn f() {}\n"),
        written("../outside.rs", "x"),
        written("docs/sprints.md", "# Our own sprints\n"),
    ];
    let tree = generate(&with_agents, &Limits::default()).unwrap();
    assert_eq!(tree.conflicts, ["Cargo.toml", "docs/sprints.md"]);
    assert_eq!(tree.refused.len(), 1);
    assert_eq!(tree.refused[0].path, "../outside.rs");
    assert_eq!(tree.file("src/routes/book.rs").unwrap().source, Source::Agent);
    assert_eq!(text(&tree, "docs/sprints.md"), "# Our own sprints\n");
    // The template's code names the crate as the agent's manifest does.
    assert!(text(&tree, "tests/health.rs").contains("loan_desk::app()"));
    assert!(text(&tree, "src/main.rs").contains("loan_desk::app()"));
    let sorted = paths(&tree);
    let mut resorted = sorted.clone();
    resorted.sort();
    assert_eq!(sorted, resorted);
}

#[test]
fn the_same_input_gives_byte_identical_output() {
    for template in Template::ALL {
        let mut full = input(template, "Book Loans");
        full.agent_files = vec![WrittenFile {
            path: "README.md".into(),
            content: "# Mine\n".into(),
        }];
        let a = generate(&full, &Limits::default()).unwrap();
        let b = generate(&full, &Limits::default()).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            serde_json::to_string(&a.manifest()).unwrap(),
            serde_json::to_string(&b.manifest()).unwrap()
        );
    }
}

#[test]
fn limits_apply_to_the_whole_tree() {
    let mut big = input(Template::ReactVite, "Book Loans");
    big.agent_files = vec![WrittenFile {
        path: "assets/huge.txt".into(),
        content: "x".repeat(2_000),
    }];
    let per_file = Limits {
        max_file_bytes: 1_999,
        ..Limits::default()
    };
    let err = generate(&big, &per_file).unwrap_err();
    assert!(matches!(&err, GenerateError::FileTooLarge { path, size: 2_000, .. } if path == "assets/huge.txt"));
    let few = Limits {
        max_files: 3,
        ..Limits::default()
    };
    assert!(matches!(
        generate(&big, &few),
        Err(GenerateError::TooManyFiles { limit: 3, .. })
    ));
    let small = Limits {
        max_total_bytes: 100,
        ..Limits::default()
    };
    assert!(matches!(
        generate(&big, &small),
        Err(GenerateError::TooLarge { limit: 100, .. })
    ));
}

#[test]
fn every_template_describes_itself() {
    for template in Template::ALL {
        let set = embedded::template_set(template.as_str()).unwrap();
        assert!(!set.meta.description.is_empty(), "{template:?}");
        assert_eq!(set.meta.executable, ["scripts/check.sh"]);
    }
    assert!(embedded::template_set("cobol").is_err());
}
