//! Laying the agents' files over the template's: the agent wins a path both write (the path
//! is reported as a conflict), unsafe paths are refused, and a file that would also have to be
//! a folder (`src` next to `src/main.rs`) is refused, since no file system or git tree holds both.

use std::collections::{BTreeMap, BTreeSet};

use forgeflow_domain::agent::WrittenFile;

use crate::error::GenerateError;
use crate::text::shorten;
use crate::{GeneratedTree, Refusal};
use forgeflow_domain::manifest::{FileMode, GeneratedFile, Source};
use forgeflow_domain::path::{MAX_PATH_BYTES, case_collision, safe_path};

/// `base` (template and docs files, unique paths) with `agent_files` laid over it in order, so
/// of two agent files with one path the later wins.
pub(crate) fn merge(base: Vec<GeneratedFile>, agent_files: &[WrittenFile]) -> Result<GeneratedTree, GenerateError> {
    let mut files: BTreeMap<String, GeneratedFile> = BTreeMap::new();
    for file in base {
        let path = file.path.clone();
        if files.insert(path.clone(), file).is_some() {
            return Err(clash_in_templates(&path));
        }
    }
    let mut conflicts = BTreeSet::new();
    let mut refused = Vec::new();
    for written in agent_files {
        let path = match safe_path(&written.path) {
            Ok(path) => path,
            Err(reason) => {
                refused.push(Refusal {
                    path: shorten(&written.path, MAX_PATH_BYTES),
                    reason: reason.to_string(),
                });
                continue;
            }
        };
        // A script the template marks executable stays executable whoever writes it.
        let mode = files.get(&path).map_or(FileMode::Regular, |old| old.mode);
        let file = GeneratedFile {
            path: path.clone(),
            content: written.content.clone().into_bytes(),
            mode,
            source: Source::Agent,
        };
        if files.insert(path.clone(), file).is_some() {
            conflicts.insert(path);
        }
    }
    refuse_files_that_are_folders(&mut files, &mut conflicts, &mut refused)?;
    refuse_case_collisions(&mut files, &mut conflicts, &mut refused)?;
    Ok(GeneratedTree {
        files: files.into_values().collect(),
        conflicts: conflicts.into_iter().collect(),
        refused,
    })
}

/// Where a file's path is a folder of another file, the agent's file goes (its path is the
/// mistake; the template's layout is known to be sound).
fn refuse_files_that_are_folders(
    files: &mut BTreeMap<String, GeneratedFile>,
    conflicts: &mut BTreeSet<String>,
    refused: &mut Vec<Refusal>,
) -> Result<(), GenerateError> {
    let paths: Vec<String> = files.keys().cloned().collect();
    for path in &paths {
        for (slash, _) in path.match_indices('/') {
            let folder = &path[..slash];
            let (Some(outer), Some(inner)) = (files.get(folder), files.get(path)) else {
                continue;
            };
            let (loser, reason) = match (outer.source, inner.source) {
                (Source::Agent, _) => (folder, format!("a file cannot also be a folder: `{path}` is inside it")),
                (_, Source::Agent) => (
                    path.as_str(),
                    format!("`{folder}` is a file, so it cannot hold other files"),
                ),
                _ => return Err(clash_in_templates(path)),
            };
            let loser = loser.to_owned();
            files.remove(&loser);
            conflicts.remove(&loser);
            refused.push(Refusal { path: loser, reason });
        }
    }
    Ok(())
}

/// Two paths that differ only by case are one file on Windows and macOS: the agent's goes (of two
/// agents' files, the one that sorts later).
fn refuse_case_collisions(
    files: &mut BTreeMap<String, GeneratedFile>,
    conflicts: &mut BTreeSet<String>,
    refused: &mut Vec<Refusal>,
) -> Result<(), GenerateError> {
    while let Some((first, second)) = case_collision(files.keys().map(String::as_str)) {
        let (first, second) = (first.to_owned(), second.to_owned());
        let loser = match (files[&first].source, files[&second].source) {
            (_, Source::Agent) => second.clone(),
            (Source::Agent, _) => first.clone(),
            _ => return Err(clash_in_templates(&second)),
        };
        let other = if loser == first { &second } else { &first };
        refused.push(Refusal {
            reason: format!("it differs from `{other}` only by case, so the two are one file on Windows and macOS"),
            path: loser.clone(),
        });
        files.remove(&loser);
        conflicts.remove(&loser);
    }
    Ok(())
}

fn clash_in_templates(path: &str) -> GenerateError {
    GenerateError::Template {
        template: "templates and docs".to_owned(),
        path: path.to_owned(),
        reason: "written twice, or both as a file and a folder".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(path: &str, mode: FileMode, source: Source) -> GeneratedFile {
        GeneratedFile {
            path: path.to_owned(),
            content: b"template".to_vec(),
            mode,
            source,
        }
    }

    fn agent(path: &str, content: &str) -> WrittenFile {
        WrittenFile {
            path: path.to_owned(),
            content: content.to_owned(),
        }
    }

    #[test]
    fn a_path_that_differs_from_another_only_by_case_is_refused() {
        let tree = merge(
            vec![base("README.md", FileMode::Regular, Source::Template)],
            &[
                agent("readme.md", "mine"),
                agent("src/Lib.rs", "a"),
                agent("src/lib.rs", "b"),
                agent(".git::$INDEX_ALLOCATION/config", "x"),
                agent("notes\u{202e}txt.exe", "x"),
            ],
        )
        .unwrap();
        let paths: Vec<&str> = tree.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["README.md", "src/Lib.rs"]);
        let refused: Vec<&str> = tree.refused.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(refused.len(), 4, "{refused:?}");
        assert!(refused.contains(&"readme.md") && refused.contains(&"src/lib.rs"));
    }

    #[test]
    fn agents_win_shared_paths_and_each_is_listed_once() {
        let tree = merge(
            vec![
                base("Cargo.toml", FileMode::Regular, Source::Template),
                base("README.md", FileMode::Regular, Source::Template),
                base("scripts/check.sh", FileMode::Executable, Source::Template),
            ],
            &[
                agent("./Cargo.toml", "first"),
                agent("src/main.rs", "fn main() {}"),
                agent("Cargo.toml", "second"),
                agent("scripts//check.sh", "#!/bin/sh"),
            ],
        )
        .unwrap();
        let summary: Vec<(&str, &[u8], FileMode, Source)> = tree
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.content.as_slice(), f.mode, f.source))
            .collect();
        assert_eq!(
            summary,
            [
                ("Cargo.toml", &b"second"[..], FileMode::Regular, Source::Agent),
                ("README.md", &b"template"[..], FileMode::Regular, Source::Template),
                (
                    "scripts/check.sh",
                    &b"#!/bin/sh"[..],
                    FileMode::Executable,
                    Source::Agent
                ),
                ("src/main.rs", &b"fn main() {}"[..], FileMode::Regular, Source::Agent),
            ]
        );
        assert_eq!(tree.conflicts, ["Cargo.toml", "scripts/check.sh"]);
        assert!(tree.refused.is_empty());
    }

    #[test]
    fn unsafe_agent_paths_are_skipped_and_reported_in_order() {
        let long = format!("{}/x", "d".repeat(2000));
        let tree = merge(
            vec![],
            &[
                agent("../../etc/passwd", "root"),
                agent("ok.txt", "fine"),
                agent(".git/hooks/pre-commit", "evil"),
                agent(&long, "long"),
            ],
        )
        .unwrap();
        assert_eq!(tree.files.len(), 1);
        let refused: Vec<&str> = tree.refused.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(refused[..2], ["../../etc/passwd", ".git/hooks/pre-commit"]);
        assert!(tree.refused[0].reason.contains(".."), "{:?}", tree.refused[0]);
        assert!(refused[2].len() < 600 && refused[2].ends_with('…'));
    }

    #[test]
    fn a_file_where_a_folder_must_be_is_refused() {
        let tree = merge(
            vec![
                base("README.md", FileMode::Regular, Source::Template),
                base("src/main.rs", FileMode::Regular, Source::Template),
            ],
            &[
                agent("src", "a file named like a template folder"),
                agent("README.md/extra", "inside a template file"),
                agent("a", "a file named like an agent folder"),
                agent("a/b", "inside it"),
            ],
        )
        .unwrap();
        let paths: Vec<&str> = tree.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["README.md", "a/b", "src/main.rs"]);
        let refused: Vec<&str> = tree.refused.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(refused, ["README.md/extra", "a", "src"]);
        assert!(tree.refused[0].reason.contains("is a file"), "{:?}", tree.refused[0]);
    }

    #[test]
    fn two_template_files_on_one_path_are_a_template_error() {
        let twice = merge(
            vec![
                base("a", FileMode::Regular, Source::Template),
                base("a", FileMode::Regular, Source::Docs),
            ],
            &[],
        );
        assert!(matches!(twice, Err(GenerateError::Template { .. })));
        let nested = merge(
            vec![
                base("a", FileMode::Regular, Source::Template),
                base("a/b", FileMode::Regular, Source::Docs),
            ],
            &[],
        );
        assert!(matches!(nested, Err(GenerateError::Template { .. })));
    }
}
