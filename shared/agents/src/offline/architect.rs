//! The architect: the template's skeleton plus one route/router/component (and its test) per
//! entity the stories talk about.

use forgeflow_domain::agent::{FileTreeOutput, PlannedFile};
use forgeflow_domain::change::MODEL_FILE;
use forgeflow_domain::project::Template;

use super::Context;
use super::words::{self, Entity};

pub(super) fn plan(context: &Context) -> FileTreeOutput {
    FileTreeOutput {
        files: files_for(context.template, &entities(context)),
    }
}

/// The entities of the stories when a plan came in, else of the brief; `item` if none is found.
pub(super) fn entities(context: &Context) -> Vec<Entity> {
    let text = match &context.plan {
        Some(plan) => plan
            .stories
            .iter()
            .map(|s| format!("{}.", s.i_want))
            .collect::<Vec<_>>()
            .join(" "),
        None => context.input.brief.clone(),
    };
    let mut found = words::entities(&text);
    if found.is_empty() {
        found = words::entities(&context.input.brief);
    }
    if found.is_empty() {
        found.extend(Entity::from_snake("item"));
    }
    found
}

pub(super) fn files_for(template: Template, entities: &[Entity]) -> Vec<PlannedFile> {
    let mut files = Vec::new();
    let mut add = |path: String, purpose: String| files.push(PlannedFile { path, purpose });
    add(
        "README.md".into(),
        "What the project does, how to run and test it, and the stories it implements".into(),
    );
    add(
        MODEL_FILE.into(),
        "The resources and their fields, which change requests edit".into(),
    );
    match template {
        Template::RustAxum => {
            add("Cargo.toml".into(), "Crate manifest: axum, tokio and serde".into());
            add(
                "src/main.rs".into(),
                "Binds the listener and serves the application".into(),
            );
            add(
                "src/lib.rs".into(),
                "Builds the router from every resource's routes plus a health check".into(),
            );
            add("src/routes/mod.rs".into(), "Declares one module per resource".into());
            for e in entities {
                let purpose = format!(
                    "HTTP handlers to create, list, fetch, update and delete {} (in memory)",
                    e.labels
                );
                add(format!("src/routes/{}.rs", e.snake), purpose);
            }
            for e in entities {
                add(
                    format!("tests/{}_api.rs", e.snake),
                    format!("Tests of the {} handlers", e.label),
                );
            }
        }
        Template::PythonFastapi => {
            add(
                "requirements.txt".into(),
                "Runtime and test dependencies: fastapi, uvicorn, pydantic, pytest, httpx".into(),
            );
            add("pyproject.toml".into(), "Project metadata and pytest settings".into());
            add("app/__init__.py".into(), "Marks the application package".into());
            add(
                "app/main.py".into(),
                "Creates the FastAPI application and includes every router".into(),
            );
            add(
                "app/models.py".into(),
                "Pydantic models: what clients send and what the API returns".into(),
            );
            add("app/routers/__init__.py".into(), "Marks the routers package".into());
            for e in entities {
                let purpose = format!(
                    "Router to create, list, fetch, update and delete {} (in memory)",
                    e.labels
                );
                add(format!("app/routers/{}.py", e.snake), purpose);
            }
            for e in entities {
                add(
                    format!("tests/test_{}.py", e.snake),
                    format!("Tests of the /{} endpoints", e.plural),
                );
            }
        }
        Template::ReactVite => {
            add(
                "package.json".into(),
                "Dependencies and scripts: vite, react, typescript, vitest".into(),
            );
            add(
                "tsconfig.json".into(),
                "Strict TypeScript settings for the app and its tests".into(),
            );
            add(
                "vite.config.ts".into(),
                "Vite with the React plugin; vitest runs in jsdom".into(),
            );
            add("index.html".into(), "The page that loads the app".into());
            add("src/main.tsx".into(), "Mounts the app into the page".into());
            add("src/App.tsx".into(), "Lays out one panel per resource".into());
            for e in entities {
                let purpose = format!("Component to add, list and remove {}", e.labels);
                add(format!("src/components/{}.tsx", e.pascal), purpose);
            }
            for e in entities {
                add(
                    format!("src/components/{}.test.tsx", e.pascal),
                    format!("Tests of the {} component", e.pascal),
                );
            }
        }
    }
    files
}

/// The entities a file tree implements, read back from its paths, so the engineer's code
/// agrees with whatever tree it was given (ours or a model's).
pub(super) fn entities_in(template: Template, paths: &[&str]) -> Vec<Entity> {
    let mut found: Vec<Entity> = Vec::new();
    for path in paths {
        let entity = match template {
            Template::RustAxum => path
                .strip_prefix("src/routes/")
                .and_then(|p| p.strip_suffix(".rs"))
                .and_then(Entity::from_snake),
            Template::PythonFastapi => path
                .strip_prefix("app/routers/")
                .and_then(|p| p.strip_suffix(".py"))
                .and_then(Entity::from_snake),
            Template::ReactVite => path
                .strip_prefix("src/components/")
                .and_then(|p| p.strip_suffix(".tsx"))
                .filter(|p| !p.contains('.'))
                .and_then(Entity::from_pascal),
        };
        if let Some(entity) = entity.filter(|e| !found.contains(e)) {
            found.push(entity);
        }
    }
    found
}
