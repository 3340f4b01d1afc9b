//! Embeds `templates/` into the crate: one `(path, text)` entry per file, sorted by path, so the
//! Lambda carries its templates and needs no file system. `include_str!` makes cargo rebuild
//! when a file changes; `rerun-if-changed` on the folder catches files added or removed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("templates");
    println!("cargo::rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    walk(&root, &mut files)?;
    files.sort();
    let mut code = String::from(
        "/// Every file under `templates/`, by path relative to it.\npub(crate) static FILES: &[(&str, &str)] = &[\n",
    );
    for file in &files {
        let relative = file
            .strip_prefix(&root)?
            .to_str()
            .ok_or("template paths must be UTF-8")?;
        let relative = relative.replace(std::path::MAIN_SEPARATOR, "/");
        let absolute = file.to_str().ok_or("template paths must be UTF-8")?;
        writeln!(code, "    ({relative:?}, include_str!({absolute:?})),")?;
    }
    code.push_str("];\n");
    std::fs::write(PathBuf::from(std::env::var("OUT_DIR")?).join("embedded.rs"), code)?;
    Ok(())
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}
