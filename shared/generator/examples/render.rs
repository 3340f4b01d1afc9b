//! Writes one template's project, without agent files, to a folder to look at or build:
//! `cargo run -p forgeflow-generator --example render -- rust-axum /tmp/out "Book Loans" "A brief."`

use std::os::unix::fs::PermissionsExt;

use forgeflow_domain::project::Template;
use forgeflow_generator::{FileMode, GenerationInput, Limits, generate};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [template, out, rest @ ..] = args.as_slice() else {
        return Err("usage: render <rust-axum|python-fastapi|react-vite> <out-dir> [name] [brief]".into());
    };
    let template: Template = serde_json::from_value(serde_json::Value::String(template.clone()))?;
    let input = GenerationInput {
        project_name: rest.first().cloned().unwrap_or_else(|| "Book Loans".to_owned()),
        brief: rest
            .get(1)
            .cloned()
            .unwrap_or_else(|| "Members borrow books.".to_owned()),
        template,
        stories: vec![],
        sprints: vec![],
        agent_files: vec![],
        review: None,
    };
    let tree = generate(&input, &Limits::default())?;
    for file in &tree.files {
        let path = std::path::Path::new(out).join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, &file.content)?;
        if file.mode == FileMode::Executable {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        }
        println!("{} {:>6} {}", file.mode.as_str(), file.content.len(), file.path);
    }
    Ok(())
}
