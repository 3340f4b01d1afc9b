//! A change's tree: the base generation's files, the patch's edits over them, and the docs
//! rendered again from the updated plan and review. Files the patch does not touch are kept by
//! their manifest entries, so the worker copies them without reading them.

use std::collections::BTreeMap;

use forgeflow_domain::manifest::{FileMode, GeneratedFile, ManifestEntry, Source};
use forgeflow_domain::patch::Applied;
use forgeflow_domain::path::case_collision;

use crate::{GenerateError, GenerationInput, Limits, context, embedded, render};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// Unchanged from the base: copy them.
    pub kept: Vec<ManifestEntry>,
    /// New or changed content: write them. Sorted by path.
    pub written: Vec<GeneratedFile>,
}

impl Revision {
    /// The new generation's manifest, sorted by path.
    pub fn manifest(&self) -> Vec<ManifestEntry> {
        let mut entries: Vec<ManifestEntry> = self
            .kept
            .iter()
            .cloned()
            .chain(self.written.iter().map(GeneratedFile::manifest_entry))
            .collect();
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        entries
    }
}

/// `applied` over `base`; `input` gives the plan and review the docs are rendered from (its
/// `agent_files` are not used: the patch is the change).
pub fn revise(
    base: &[ManifestEntry],
    applied: &[Applied],
    input: &GenerationInput,
    limits: &Limits,
) -> Result<Revision, GenerateError> {
    let mut kept: BTreeMap<&str, &ManifestEntry> = base.iter().map(|e| (e.path.as_str(), e)).collect();
    let mut written: BTreeMap<String, GeneratedFile> = BTreeMap::new();
    for edit in applied {
        match edit {
            Applied::Remove { path } => {
                kept.remove(path.as_str());
                written.remove(path);
            }
            Applied::Write { path, content } => {
                let mode = kept.remove(path.as_str()).map_or(FileMode::Regular, |entry| entry.mode);
                written.insert(
                    path.clone(),
                    GeneratedFile {
                        path: path.clone(),
                        content: content.clone().into_bytes(),
                        mode,
                        source: Source::Agent,
                    },
                );
            }
        }
    }
    // The docs Forgeflow wrote follow the plan; an imported project has none to keep current.
    if base.iter().any(|entry| entry.source == Source::Docs) {
        let docs = embedded::template_set(embedded::DOCS)?;
        for doc in render::render(&docs, Source::Docs, &context::Context::new(input, None))? {
            kept.remove(doc.path.as_str());
            written.insert(doc.path.clone(), doc);
        }
    }
    // A file the patch rewrote with the same bytes is kept, not written again.
    let base_blob: BTreeMap<&str, &ManifestEntry> = base.iter().map(|e| (e.path.as_str(), e)).collect();
    let mut revision = Revision {
        kept: kept.into_values().cloned().collect(),
        written: Vec::new(),
    };
    for file in written.into_values() {
        match base_blob.get(file.path.as_str()) {
            Some(entry)
                if entry.git_blob_id == forgeflow_domain::manifest::git_blob_id(&file.content)
                    && entry.mode == file.mode =>
            {
                revision.kept.push((*entry).clone());
            }
            _ => revision.written.push(file),
        }
    }
    revision.kept.sort_by(|a, b| a.path.cmp(&b.path));
    let manifest = revision.manifest();
    if let Some((first, second)) = case_collision(manifest.iter().map(|e| e.path.as_str())) {
        return Err(GenerateError::CaseCollision {
            first: first.to_owned(),
            second: second.to_owned(),
        });
    }
    let sizes: Vec<(&str, u64)> = manifest.iter().map(|e| (e.path.as_str(), e.size)).collect();
    limits.check_sizes(&sizes)?;
    Ok(revision)
}

#[cfg(test)]
mod tests {
    use super::*;
    use forgeflow_domain::project::Template;

    fn entry(path: &str, content: &str, mode: FileMode) -> ManifestEntry {
        GeneratedFile {
            path: path.into(),
            content: content.as_bytes().to_vec(),
            mode,
            source: Source::Agent,
        }
        .manifest_entry()
    }

    fn input() -> GenerationInput {
        GenerationInput {
            project_name: "Library".into(),
            brief: "Lend books.".into(),
            template: Template::RustAxum,
            stories: Vec::new(),
            sprints: Vec::new(),
            agent_files: Vec::new(),
            review: None,
        }
    }

    #[test]
    fn untouched_files_are_kept_edits_written_and_docs_rendered_again() {
        let base = vec![
            entry("src/lib.rs", "lib\n", FileMode::Regular),
            entry("run.sh", "old\n", FileMode::Executable),
            entry("gone.txt", "bye\n", FileMode::Regular),
            entry("same.txt", "same\n", FileMode::Regular),
            ManifestEntry {
                source: Source::Docs,
                ..entry("docs/user-stories.md", "old stories\n", FileMode::Regular)
            },
        ];
        let applied = vec![
            Applied::Write {
                path: "run.sh".into(),
                content: "new\n".into(),
            },
            Applied::Remove {
                path: "gone.txt".into(),
            },
            Applied::Write {
                path: "src/new.rs".into(),
                content: "new\n".into(),
            },
            Applied::Write {
                path: "same.txt".into(),
                content: "same\n".into(),
            },
        ];
        let revision = revise(&base, &applied, &input(), &Limits::default()).unwrap();
        let kept: Vec<&str> = revision.kept.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(kept, ["same.txt", "src/lib.rs"]);
        let written: Vec<&str> = revision.written.iter().map(|f| f.path.as_str()).collect();
        assert!(
            written.contains(&"run.sh") && written.contains(&"src/new.rs"),
            "{written:?}"
        );
        assert!(written.contains(&"docs/user-stories.md"), "{written:?}");
        let run = revision.written.iter().find(|f| f.path == "run.sh").unwrap();
        assert_eq!(run.mode, FileMode::Executable, "a rewritten file keeps its mode");
        let manifest = revision.manifest();
        assert!(manifest.windows(2).all(|w| w[0].path < w[1].path));
        assert!(!manifest.iter().any(|e| e.path == "gone.txt"));

        // An imported tree has no docs of Forgeflow's: none are added to it.
        let imported: Vec<ManifestEntry> = base
            .iter()
            .filter(|e| e.source != Source::Docs)
            .map(|e| ManifestEntry {
                source: Source::Imported,
                ..e.clone()
            })
            .collect();
        let revision = revise(&imported, &applied, &input(), &Limits::default()).unwrap();
        assert!(
            revision.written.iter().all(|f| !f.path.starts_with("docs/")),
            "{:?}",
            revision.written
        );
    }

    #[test]
    fn case_collisions_and_limits_fail_the_revision() {
        let base = vec![entry("README.md", "x", FileMode::Regular)];
        let add = |path: &str| Applied::Write {
            path: path.into(),
            content: "y".into(),
        };
        let error = revise(&base, &[add("readme.md")], &input(), &Limits::default()).unwrap_err();
        assert!(matches!(error, GenerateError::CaseCollision { .. }), "{error}");
        let tight = Limits {
            max_files: 1,
            ..Limits::default()
        };
        let error = revise(&base, &[add("a.txt")], &input(), &tight).unwrap_err();
        assert!(matches!(error, GenerateError::TooManyFiles { .. }), "{error}");
    }
}
