//! Each template, alone, filled by the offline agents, and after an offline change request, is a
//! real project: written to disk,
//! it builds and passes its own tests with its language's own tools (cargo; python + pytest;
//! npm + tsc + vitest).
//!
//! Slow on purpose (a cold cargo build of axum, an npm install). A missing toolchain fails the
//! test with what to install; `FORGEFLOW_SKIP_TEMPLATE_BUILDS=1` skips only the tool runs, and
//! `FORGEFLOW_KEEP_TEMPLATE_BUILDS=1` keeps the projects (under the temp dir) to look at.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use forgeflow_agents::{AgentInput, Agents, AgentsConfig};
use forgeflow_domain::agent::{AgentRole, FilesOutput, PlanOutput, ReviewOutput, WrittenFile};
use forgeflow_domain::catalog::builtin_agent;
use forgeflow_domain::change::{CONTEXT_BUDGET_BYTES, ChangeContext, relevant_files};
use forgeflow_domain::patch::Patch;
use forgeflow_domain::project::Template;
use forgeflow_domain::workflow::{change as change_workflow, full_project};
use forgeflow_generator::{FileMode, GeneratedFile, GeneratedTree, GenerationInput, Limits, generate, revise};
use serde_json::Value;

const LIBRARY: &str = "A small web service that tracks book loans. Members can borrow books and return them; \
     librarians see overdue loans. Librarians should be able to add new books.";
const CLINIC: &str = "Patients book appointments with doctors at a clinic. Receptionists can cancel appointments, \
     and doctors could see their schedule for the day.";
/// No single tool run may hang the suite.
const TOOL_TIMEOUT: Duration = Duration::from_secs(600);

/// The built-in workflow run offline, step by step as the step-worker runs it (each step's
/// `inputs` are its dependencies' outputs by step id), then gathered as the generate-worker does.
async fn offline_generation(project_name: &str, brief: &str, template: Template) -> GenerationInput {
    let agents = Agents::new(AgentsConfig::default());
    let workflow = full_project();
    let mut outputs: BTreeMap<String, Value> = BTreeMap::new();
    let mut roles = Vec::new();
    for step in &workflow.steps {
        let agent = builtin_agent(&step.agent).expect("a built-in agent");
        let input = AgentInput {
            step_id: step.id.clone(),
            project_name: project_name.to_owned(),
            brief: brief.to_owned(),
            template,
            instructions: step.instructions.clone(),
            inputs: step
                .depends_on
                .iter()
                .map(|d| (d.clone(), outputs[d].clone()))
                .collect(),
            change: None,
        };
        let run = agents
            .run(&agent, &input, &forgeflow_agents::Unmetered, &|_| {})
            .await
            .expect("the offline agent answers");
        outputs.insert(step.id.clone(), run.output);
        roles.push((step.id.clone(), agent.role));
    }
    let of_role = |role: AgentRole| {
        roles
            .iter()
            .filter(move |(_, r)| *r == role)
            .map(|(id, _)| &outputs[id])
    };
    let plan: PlanOutput = serde_json::from_value(of_role(AgentRole::ProductManager).next().unwrap().clone()).unwrap();
    let agent_files = of_role(AgentRole::Engineer)
        .flat_map(|v| serde_json::from_value::<FilesOutput>(v.clone()).unwrap().files)
        .collect();
    let review: ReviewOutput = serde_json::from_value(of_role(AgentRole::Reviewer).next().unwrap().clone()).unwrap();
    GenerationInput {
        project_name: project_name.to_owned(),
        brief: brief.to_owned(),
        template,
        stories: plan.stories,
        sprints: plan.sprints,
        agent_files,
        review: Some(review),
    }
}

/// A change request on `tree`, run offline as the step-worker runs the `change` workflow (each
/// step shown the tree, the request's relevant files and the plan), then applied as the
/// generate-worker applies it: the patch over the tree, the docs rendered again.
async fn offline_change(first: &GenerationInput, tree: &GeneratedTree, request: &str) -> GeneratedTree {
    let agents = Agents::new(AgentsConfig::default());
    let manifest = tree.manifest();
    let shown = relevant_files(request, &manifest, CONTEXT_BUDGET_BYTES);
    let text = |path: &str| String::from_utf8(tree.file(path).unwrap().content.clone()).unwrap();
    let context = ChangeContext {
        request: request.to_owned(),
        tree: manifest.iter().map(|e| e.path.clone()).collect(),
        files: shown
            .iter()
            .map(|path| WrittenFile {
                path: path.clone(),
                content: text(path),
            })
            .collect(),
        plan: Some(PlanOutput {
            stories: first.stories.clone(),
            sprints: first.sprints.clone(),
        }),
        feedback: None,
    };
    let mut outputs: BTreeMap<String, Value> = BTreeMap::new();
    for step in &change_workflow().steps {
        let agent = builtin_agent(&step.agent).expect("a built-in agent");
        let input = AgentInput {
            step_id: step.id.clone(),
            project_name: first.project_name.clone(),
            brief: first.brief.clone(),
            template: first.template,
            instructions: None,
            inputs: step
                .depends_on
                .iter()
                .map(|d| (d.clone(), outputs[d].clone()))
                .collect(),
            change: Some(context.clone()),
        };
        let run = agents
            .run(&agent, &input, &forgeflow_agents::Unmetered, &|_| {})
            .await
            .expect("the offline agent answers the change");
        outputs.insert(step.id.clone(), run.output);
    }
    let patch: Patch = serde_json::from_value(outputs["patch"].clone()).unwrap();
    let applied = patch
        .apply(|path| tree.file(path).is_some(), |path| Some(text(path)))
        .unwrap_or_else(|conflicts| panic!("the patch applies: {conflicts:?}"));
    let plan: PlanOutput = serde_json::from_value(outputs["plan"].clone()).unwrap();
    let input = GenerationInput {
        stories: plan.stories,
        sprints: plan.sprints,
        review: Some(serde_json::from_value(outputs["review"].clone()).unwrap()),
        ..first.clone()
    };
    let revision = revise(&manifest, &applied, &input, &Limits::default()).expect("the change revises the tree");
    let mut files: Vec<GeneratedFile> = revision
        .kept
        .iter()
        .map(|entry| tree.file(&entry.path).unwrap().clone())
        .chain(revision.written)
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    GeneratedTree {
        files,
        conflicts: Vec::new(),
        refused: Vec::new(),
    }
}

/// A project folder under the system temp dir, removed when the test passes (kept to look at
/// when it fails, or when asked to).
struct Workspace(PathBuf);

impl Workspace {
    fn new(template: Template) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "forgeflow-templates-{}/{}",
            std::process::id(),
            template.as_str()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Workspace(dir)
    }

    fn project(&self) -> PathBuf {
        self.0.join("project")
    }

    /// Replaces the project's files with `tree`, keeping `keep` (installed dependencies).
    fn write(&self, tree: &GeneratedTree, keep: &[&str]) {
        let project = self.project();
        if project.exists() {
            for entry in std::fs::read_dir(&project).unwrap() {
                let path = entry.unwrap().path();
                if keep.iter().any(|k| path.ends_with(k)) {
                    continue;
                }
                if path.is_dir() {
                    std::fs::remove_dir_all(&path).unwrap();
                } else {
                    std::fs::remove_file(&path).unwrap();
                }
            }
        }
        for file in &tree.files {
            let path = project.join(&file.path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &file.content).unwrap();
            if file.mode == FileMode::Executable {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            }
        }
    }

    /// Runs a tool in the project; on failure, panics with the end of its output.
    fn run(&self, program: &str, args: &[&str], env: &[(&str, &OsStr)], install_hint: &str) {
        let log_path = self.0.join("tool.log");
        let log = File::create(&log_path).unwrap();
        let mut command = Command::new(program);
        command
            .args(args)
            .current_dir(self.project())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        for (key, value) in env {
            command.env(key, value);
        }
        let started = Instant::now();
        let mut child = command
            .spawn()
            .unwrap_or_else(|err| panic!("cannot run `{program}` ({err}): {install_hint}"));
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > TOOL_TIMEOUT {
                let _ = child.kill();
                break child.wait().unwrap();
            }
            std::thread::sleep(Duration::from_millis(200));
        };
        let output = std::fs::read_to_string(&log_path).unwrap_or_default();
        let lines: Vec<&str> = output.lines().collect();
        let tail = lines[lines.len().saturating_sub(60)..].join("\n");
        assert!(
            status.success(),
            "`{program} {}` failed ({status}) after {:?} in {}:\n{tail}",
            args.join(" "),
            started.elapsed(),
            self.project().display()
        );
        println!("  `{program} {}`: {:.1?}", args.join(" "), started.elapsed());
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let keep = std::env::var("FORGEFLOW_KEEP_TEMPLATE_BUILDS").is_ok_and(|v| v == "1");
        if std::thread::panicking() || keep {
            println!("kept {}", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
            // The run's folder goes with the last template in it (`remove_dir` needs it empty).
            let _ = self.0.parent().map(std::fs::remove_dir);
        }
    }
}

fn skipping(template: Template) -> bool {
    let skip = std::env::var("FORGEFLOW_SKIP_TEMPLATE_BUILDS").is_ok_and(|v| v == "1");
    if skip {
        println!(
            "FORGEFLOW_SKIP_TEMPLATE_BUILDS=1: skipped building the {} project",
            template.as_str()
        );
    }
    skip
}

/// Generates the template alone, with the offline agents' files, and after `change`; checks
/// all three with `check`.
async fn check_template(
    project_name: &str,
    brief: &str,
    template: Template,
    expected_conflicts: &[&str],
    change: (&str, &str),
    keep: &[&str],
    check: impl Fn(&Workspace),
) {
    let full = offline_generation(project_name, brief, template).await;
    let alone = GenerationInput {
        agent_files: vec![],
        ..full.clone()
    };
    let merged = generate(&full, &Limits::default()).expect("the offline output generates");
    assert!(merged.refused.is_empty(), "{:?}", merged.refused);
    for path in expected_conflicts {
        assert!(
            merged.conflicts.iter().any(|c| c == path),
            "{path} not in {:?}",
            merged.conflicts
        );
    }
    for path in [
        "docs/user-stories.md",
        "docs/sprints.md",
        "docs/review.md",
        ".github/workflows/ci.yml",
    ] {
        assert!(merged.file(path).is_some(), "{path} missing");
    }
    let template_only = generate(&alone, &Limits::default()).expect("the template alone generates");
    let (request, changed_file) = change;
    let changed = offline_change(&full, &merged, request).await;
    let before = merged.file(changed_file).map(|f| f.content.clone());
    let after = changed.file(changed_file).map(|f| f.content.clone());
    assert!(
        after.is_some() && after != before,
        "{changed_file} is changed by `{request}`"
    );
    if skipping(template) {
        return;
    }
    let workspace = Workspace::new(template);
    for (what, tree) in [
        ("template alone", &template_only),
        ("with the agents' files", &merged),
        ("after a change request", &changed),
    ] {
        println!("{} {what}: {} files", template.as_str(), tree.files.len());
        workspace.write(tree, keep);
        check(&workspace);
    }
}

#[tokio::test]
async fn the_rust_axum_project_builds_and_passes_its_tests() {
    let target = std::env::temp_dir().join("forgeflow-template-target");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    check_template(
        "Book Loans",
        LIBRARY,
        Template::RustAxum,
        &["Cargo.toml", "src/lib.rs", "src/main.rs"],
        (
            "Add a field isbn to books, add a resource shelf and rename loan to lending",
            "src/routes/book.rs",
        ),
        &[],
        |ws| {
            // Its own target dir: never the workspace's, kept between runs for speed.
            // Incremental state is of no use to a one-off build and only grows the folder.
            let env = [
                ("CARGO_TARGET_DIR", target.as_os_str()),
                ("CARGO_INCREMENTAL", OsStr::new("0")),
            ];
            let hint = "install Rust (rustup) or set FORGEFLOW_SKIP_TEMPLATE_BUILDS=1";
            ws.run(&cargo, &["test", "--quiet"], &env, hint);
        },
    )
    .await;
}

#[tokio::test]
async fn the_python_fastapi_project_compiles_and_passes_pytest() {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    let python = python.to_str().unwrap().to_owned();
    check_template(
        "Clinic Rota",
        CLINIC,
        Template::PythonFastapi,
        &["requirements.txt", "pyproject.toml", "app/main.py"],
        (
            "Add a field room to clinics and add a resource invoice",
            "app/models.py",
        ),
        &[],
        |ws| {
            let hint = "the project's .venv needs fastapi, httpx and pytest: run `bash scripts/python-env.sh` \
                        (or `make setup`), or set FORGEFLOW_SKIP_TEMPLATE_BUILDS=1";
            ws.run(&python, &["-c", "import fastapi, httpx, pydantic, pytest"], &[], hint);
            ws.run(&python, &["-m", "compileall", "-q", "."], &[], hint);
            ws.run(&python, &["-m", "pytest", "-q", "-p", "no:cacheprovider"], &[], hint);
        },
    )
    .await;
}

#[tokio::test]
async fn the_react_vite_project_type_checks_and_passes_vitest() {
    check_template(
        "Reading Room",
        LIBRARY,
        Template::ReactVite,
        &["package.json", "tsconfig.json", "src/App.tsx"],
        (
            "Add a field isbn to books, add a resource shelf, remove the loan resource",
            "src/components/Book.tsx",
        ),
        &["node_modules"],
        |ws| {
            let hint = "install Node.js 20+ with npm, or set FORGEFLOW_SKIP_TEMPLATE_BUILDS=1";
            ws.run(
                "npm",
                &["install", "--no-audit", "--no-fund", "--loglevel=error"],
                &[],
                hint,
            );
            ws.run("npx", &["--no-install", "tsc", "--noEmit"], &[], hint);
            ws.run("npx", &["--no-install", "vitest", "run"], &[], hint);
        },
    )
    .await;
}
