//! The engineer: real contents for the planned files it is given. Its step's instructions may
//! name a subset: "tests" writes only test files, "code" only the rest, anything else both.

use forgeflow_domain::agent::{FilesOutput, PlannedFile, Story, WrittenFile};
use forgeflow_domain::project::Template;

use super::change::Model;
use super::words::{self, Entity};
use super::{Context, architect, python_fastapi, react_vite, rust_axum};
use forgeflow_domain::change::MODEL_FILE;

/// What every file generator needs to know about the project.
pub(super) struct Project<'a> {
    pub package: String,
    pub title: String,
    pub summary: String,
    pub entities: Vec<Entity>,
    pub stories: &'a [Story],
    pub brief: &'a str,
}

impl Project<'_> {
    /// The ids of the stories about `entity`, for test files to name (`S1, S3`).
    pub(super) fn covers(&self, entity: &Entity) -> String {
        let ids: Vec<&str> = self
            .stories
            .iter()
            .filter(|s| words::mentions(&format!("{} {}", s.title, s.i_want), entity))
            .map(|s| s.id.as_str())
            .collect();
        if ids.is_empty() {
            "no story names it yet".to_owned()
        } else {
            ids.join(", ")
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Subset {
    All,
    Code,
    Tests,
}

impl Subset {
    pub(super) fn from_instructions(instructions: Option<&str>) -> Self {
        let tokens = words::tokens(instructions.unwrap_or_default());
        let tests = tokens.iter().any(|t| t == "test" || t == "tests");
        let code = tokens.iter().any(|t| t == "code");
        match (code, tests) {
            (true, false) => Subset::Code,
            (false, true) => Subset::Tests,
            _ => Subset::All,
        }
    }

    fn wants(self, path: &str) -> bool {
        match self {
            Subset::All => true,
            Subset::Code => !is_test_path(path),
            Subset::Tests => is_test_path(path),
        }
    }
}

pub(super) fn is_test_path(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    path.starts_with("tests/")
        || path.contains("/tests/")
        || path.contains("__tests__/")
        || name.starts_with("test_")
        || name.contains(".test.")
        || name.contains(".spec.")
        || name.ends_with("_test.rs")
        || name.ends_with("_test.py")
        || name == "conftest.py"
}

pub(super) fn write(context: &Context) -> FilesOutput {
    let planned: Vec<PlannedFile> = match &context.tree {
        Some(tree) => tree.files.clone(),
        None => architect::plan(context).files,
    };
    let paths: Vec<&str> = planned.iter().map(|f| f.path.as_str()).collect();
    let project = Project {
        package: context.package(),
        title: context.title(),
        summary: context.summary(),
        entities: architect::entities_in(context.template, &paths),
        stories: context.plan.as_ref().map(|p| p.stories.as_slice()).unwrap_or_default(),
        brief: &context.input.brief,
    };
    let subset = Subset::from_instructions(context.input.instructions.as_deref());
    let files = planned
        .iter()
        .filter(|file| subset.wants(&file.path))
        .map(|file| WrittenFile {
            path: file.path.clone(),
            content: content(context.template, &project, file),
        })
        .collect();
    FilesOutput { files }
}

pub(super) fn content(template: Template, project: &Project, file: &PlannedFile) -> String {
    if file.path == "README.md" {
        return readme(template, project);
    }
    if file.path == MODEL_FILE {
        return Model::of(template, &project.entities).render();
    }
    let known = match template {
        Template::RustAxum => rust_axum::content(project, &file.path),
        Template::PythonFastapi => python_fastapi::content(project, &file.path),
        Template::ReactVite => react_vite::content(project, &file.path),
    };
    known.unwrap_or_else(|| stub(&file.path, &words::plain(&file.purpose, 300)))
}

/// A file the offline engineer has no recipe for: a valid, empty-ish file of its kind that
/// says what it is for, so the project still builds and a reviewer can see the gap.
fn stub(path: &str, purpose: &str) -> String {
    let extension = path.rsplit_once('.').map(|(_, ext)| ext).unwrap_or_default();
    match extension {
        "rs" => format!("//! {purpose}\n"),
        "py" => format!("\"\"\"{purpose}\"\"\"\n"),
        "ts" | "tsx" | "js" | "jsx" | "mjs" => format!("// {purpose}\nexport {{}};\n"),
        "json" => "{}\n".to_owned(),
        "toml" | "yaml" | "yml" | "sh" | "txt" | "cfg" | "ini" => format!("# {purpose}\n"),
        "html" => format!("<!doctype html>\n<!-- {purpose} -->\n<html lang=\"en\"><body></body></html>\n"),
        "css" => format!("/* {purpose} */\n"),
        "md" => format!("# {purpose}\n"),
        _ => format!("{purpose}\n"),
    }
}

/// Fills `__entity__`-style placeholders in a code template.
pub(super) fn fill(template: &str, e: &Entity) -> String {
    let lines = |line: &dyn Fn(&str) -> String| e.fields.iter().map(|f| line(f)).collect::<String>();
    template
        .replace("__struct_fields__", &lines(&|f| format!("    pub {f}: String,\n")))
        .replace(
            "__input_fields__",
            &lines(&|f| format!("    #[serde(default)]\n    pub {f}: String,\n")),
        )
        .replace("__field_moves__", &lines(&|f| format!(", {f}: input.{f}")))
        .replace("__field_updates__", &lines(&|f| format!("    row.{f} = input.{f};\n")))
        .replace("__field_defaults__", &lines(&|f| format!(", {f}: String::new()")))
        .replace("__py_fields__", &lines(&|f| format!("    {f}: str = \"\"\n")))
        .replace("__ts_fields__", &lines(&|f| format!("  {f}?: string;\n")))
        .replace("__Entity__", &e.pascal)
        .replace("__entity__", &e.snake)
        .replace("__entities__", &e.plural)
        .replace("__Labels__", &words::capitalize(&e.labels))
        .replace("__labels__", &e.labels)
        .replace("__label__", &e.label)
}

fn readme(template: Template, project: &Project) -> String {
    let (run, test) = match template {
        Template::RustAxum => ("cargo run", "cargo test"),
        Template::PythonFastapi => (
            "pip install -r requirements.txt\nuvicorn app.main:app --reload",
            "pytest",
        ),
        Template::ReactVite => ("npm install\nnpm run dev", "npm test"),
    };
    let mut text = format!("# {}\n\n", project.title);
    for line in project.brief.lines().map(str::trim).filter(|l| !l.is_empty()) {
        text.push_str(&format!("> {line}\n"));
    }
    text.push_str(&format!(
        "\n## Run\n\n```sh\n{run}\n```\n\n## Test\n\n```sh\n{test}\n```\n\n## Resources\n\n"
    ));
    for e in &project.entities {
        let place = match template {
            Template::ReactVite => format!("`{}` panel", e.pascal),
            _ => format!("`/{}`", e.plural),
        };
        text.push_str(&format!("- {place}: create, list, update and remove {}\n", e.labels));
    }
    if !project.stories.is_empty() {
        text.push_str("\n## Stories\n\n");
        for s in project.stories {
            let priority = serde_json::to_value(s.priority)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned));
            text.push_str(&format!(
                "- **{}** ({}, {} pts): as a {}, I want {}, so that {}.\n",
                s.id,
                priority.unwrap_or_default(),
                s.estimate_points,
                s.as_a,
                s.i_want,
                s.so_that
            ));
        }
    }
    text
}
